/** A desired state with Redis tenants, Vault and generated credentials, for the secrets tests. */
import { modelFromYaml as modelFromYamlOf, synthEngine } from '@db/core/testing';
import type { Engine, K8sObject, PlatformModel } from '@db/core';
import { redisEngine } from '@db/redis';
import { vaultEngine } from '@db/vault';
import { secretsEngine } from '../src/engine.ts';

export const ENGINES: readonly Engine[] = [redisEngine];
export const secrets = secretsEngine(ENGINES);
const modelFromYaml = (text: string) => modelFromYamlOf(text, [...ENGINES, vaultEngine(ENGINES), secrets], { othersOpaque: true });

export const PLATFORM = `cluster: test
storage: { block: lvm, encrypted: lvm-encrypted }
backups: { nfs: { server: nfs.test, path: /srv/nfs } }
monitoring: { pushgateway: "http://pushgateway.monitoring:9091", runbookBaseUrl: "https://example.test/docs/runbooks" }
redis: { topology: standalone, auth: migrating }
vault: {}
secrets: {}
tenants:
  - { name: immich, redis: { use: queue, prefixes: ["bull"] } }
  - { name: wrongmove, namespace: realestate-crawler, redis: { use: cache } }
`;

export const model = (text = PLATFORM): PlatformModel => modelFromYaml(text);
/** The secrets component and the vault component (which delivers the tenants' copies), as the platform renders them. */
export const render = (m: PlatformModel = model()): K8sObject[] => [...synthEngine(secrets, m), ...synthEngine(vaultEngine(ENGINES), m)];
