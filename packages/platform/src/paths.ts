import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/platform/src/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Vendored Kubernetes schemas and CRDs. */
export const SCHEMA_ROOT = join(REPO_ROOT, 'schemas');
/**
 * Where apps/ and clusters/ are: the repository, or DB_PLATFORM_WORKSPACE (tests render a
 * scratch copy there to prove a refused render leaves the output untouched).
 */
export const WORKSPACE = process.env.DB_PLATFORM_WORKSPACE ? resolve(process.env.DB_PLATFORM_WORKSPACE) : REPO_ROOT;
export const APPS_DIR = join(WORKSPACE, 'apps');
export const CLUSTERS_DIR = join(WORKSPACE, 'clusters');
export const platformFileOf = (cluster: string) => join(APPS_DIR, cluster, 'platform.yaml');
export const outputDirOf = (cluster: string) => join(CLUSTERS_DIR, cluster);
/** Helm charts rendered from the same objects (charts/db-platform-<cluster>/). */
export const CHARTS_DIR = join(WORKSPACE, 'charts');
export const chartDirOf = (cluster: string) => join(CHARTS_DIR, `db-platform-${cluster}`);
