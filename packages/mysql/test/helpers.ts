/** Test helpers: models from desired-state text, and a private MariaDB server. */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { PlatformModel } from '@db/core';
import { modelFromYaml } from '@db/core/testing';
import { mysqlEngine } from '../src/engine.ts';
export { PrivateMariaDb } from '@db/core/testing';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** A model from desired-state text, checked against this package's schema (other engines' sections pass unchecked). */
export const modelOf = (text: string) => modelFromYaml(text, [mysqlEngine], { othersOpaque: true });

export function clusterModel(cluster: 'prod' | 'lab'): PlatformModel {
  const file = join(REPO_ROOT, 'apps', cluster, 'platform.yaml');
  // Both clusters rotate passwords with Vault, which provides this service (the vault engine is not a dependency here).
  return modelFromYaml(readFileSync(file, 'utf8'), [mysqlEngine], { othersOpaque: true, services: { credentialRotation: { login: 'vault' } } });
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
