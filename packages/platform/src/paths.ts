import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/platform/src/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SCHEMA_ROOT = join(REPO_ROOT, 'schemas');
export const APPS_DIR = join(REPO_ROOT, 'apps');
export const CLUSTERS_DIR = join(REPO_ROOT, 'clusters');
export const platformFileOf = (cluster: string) => join(APPS_DIR, cluster, 'platform.yaml');
export const outputDirOf = (cluster: string) => join(CLUSTERS_DIR, cluster);
