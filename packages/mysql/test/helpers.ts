/** Test helpers: models from desired-state text, and a private MariaDB server. */
import { join, resolve } from 'node:path';
import { loadPlatformFile, resolvePlatform, type PlatformModel } from '@db/core';
export { PrivateMariaDb } from '@db/core/testing';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** A model from desired-state text (core's test helper). */
export { modelFromYaml as modelOf } from '@db/core/testing';

export function clusterModel(cluster: 'prod' | 'lab'): PlatformModel {
  const file = join(REPO_ROOT, 'apps', cluster, 'platform.yaml');
  const loaded = loadPlatformFile(file, `apps/${cluster}/platform.yaml`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems, null, 2));
  return resolvePlatform(loaded.value.input, loaded.value.source);
}

export const BASE = `
cluster: test
storage: { block: lvm, nfs: [nfs-client] }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
scheduling: { avoidNodes: [gpu-node] }
monitoring:
  pushgateway: http://pushgateway.monitoring:9091
  runbookBaseUrl: https://example.com/docs/runbooks
`;
