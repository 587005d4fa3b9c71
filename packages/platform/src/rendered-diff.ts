/**
 * The rendered diff of a workspace: a fresh render of every apps/<cluster>/platform.yaml
 * against clusters/ as committed at a git ref. Writes nothing.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '@db/core';
import { committedTrees, diffTrees, type ObjectChange } from '@db/delivery';
import { renderFile } from './render.ts';

export type RenderedDiff = { ok: true; changes: ObjectChange[] } | { ok: false; refused: { cluster: string; problems: readonly Problem[] }[] };

/** Throws when `ref` does not exist in the workspace's git repository. */
export function renderedDiff(workspace: string, ref: string): RenderedDiff {
  const before = committedTrees(workspace, ref);
  const apps = join(workspace, 'apps');
  const clusters = existsSync(apps)
    ? readdirSync(apps)
        .filter((c) => existsSync(join(apps, c, 'platform.yaml')))
        .sort()
    : [];
  const after = new Map<string, Map<string, string>>();
  const refused: { cluster: string; problems: readonly Problem[] }[] = [];
  for (const cluster of clusters) {
    const result = renderFile(join(apps, cluster, 'platform.yaml'), cluster);
    if (result.ok) after.set(cluster, result.files);
    else refused.push({ cluster, problems: result.problems });
  }
  return refused.length > 0 ? { ok: false, refused } : { ok: true, changes: diffTrees(before, after) };
}
