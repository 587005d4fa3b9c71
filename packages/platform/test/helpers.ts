/** Test helpers: the clusters of apps/, the repository's workload waivers, and problems the verify steps report. */
import { existsSync, readdirSync } from 'node:fs';
import type { Problem } from '@db/core';
import { APPS_DIR, REPO_ROOT, platformFileOf } from '../src/paths.ts';
import { loadWorkloadWaivers, type LoadedWaivers } from '../src/verify.ts';

/** Every cluster of apps/ (a folder with a platform.yaml), by name. */
export function appClusters(): string[] {
  return readdirSync(APPS_DIR)
    .filter((c) => existsSync(platformFileOf(c)))
    .sort();
}

/** policy/workload-waivers.yaml of the repository; a refused file fails the test file that loads it. */
export function repositoryWaivers(): LoadedWaivers {
  const loaded = loadWorkloadWaivers(REPO_ROOT);
  if (!loaded.ok) throw new Error(`policy/workload-waivers.yaml is refused: ${JSON.stringify(loaded.problems)}`);
  return loaded.value;
}

/** The `cause` a verify step (verifyPosture, verifyKubeScore) reports a problem with: here one in `file`, with no position. */
export const problemIn =
  (file: string) =>
  (message: string, hint: string): Problem => ({ file, line: 0, column: 0, field: '', message, hint });
