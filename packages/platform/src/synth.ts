/**
 * Render one desired-state file to its output folder: everything is checked in memory
 * first, and the folder is replaced atomically only when the render is accepted. A refused
 * render touches nothing on disk.
 */
import { writeTreeAtomically } from '@db/core';
import { renderFile, type Rendered, type Refused } from './render.ts';

export function synthToDisk(platformFile: string, outputDir: string, expectedCluster?: string): Rendered | Refused {
  const result = renderFile(platformFile, expectedCluster);
  if (result.ok) writeTreeAtomically(outputDir, result.files);
  return result;
}
