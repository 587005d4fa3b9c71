/** A desired state with PostgreSQL and MySQL tenants, rotated and excluded, for the Vault tests. */
import { modelFromYaml as modelFromYamlOf, synthEngine } from '@db/core/testing';
import type { Engine, K8sObject, PlatformModel } from '@db/core';
import { postgresEngine } from '@db/postgres';
import { mysqlEngine } from '@db/mysql';
import { vaultEngine } from '../src/engine.ts';

export const DATABASE_ENGINES: readonly Engine[] = [postgresEngine, mysqlEngine];
export const vault = vaultEngine(DATABASE_ENGINES);
/** A model checked against the schemas of the engines here (others' sections pass unchecked). */
const modelFromYaml = (text: string) => modelFromYamlOf(text, [...DATABASE_ENGINES, vault], { othersOpaque: true });

export const BASE = `
cluster: test
storage: { block: lvm, nfs: [nfs-client] }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
monitoring:
  pushgateway: http://pushgateway.monitoring:9091
  runbookBaseUrl: https://example.com/docs/runbooks
postgres: { instances: 2 }
mysql: { topology: standalone }
`;

export const TENANTS = `
tenants:
  - name: linkwarden
    postgres: { database: linkwarden }
  - name: apple-health-data
    postgres: { database: health }
  - name: authentik
    postgres: { database: authentik, rotate: false, rotateReason: "Excluded in the seeds: incompatible with PgBouncer." }
  - name: wrongmove
    namespace: realestate-crawler
    mysql: { database: wrongmove, rotationPeriod: 3d }
  - name: speedtest
    mysql: { database: speedtest }
  - name: technitium
    mysql:
      database: technitium
      pushPassword:
        every: 6h
        url: http://technitium-web.technitium.svc.cluster.local:5380/api/apps/config/set
        tokenSecret: technitium-api-token
        fields:
          name: Query Logs (MySQL)
          config: '{"connectionString":"Server=\${host}; Port=\${port}; Uid=\${username}; Pwd=\${password}; Database=\${database};"}'
`;

export function model(extra = 'vault: {}\n'): PlatformModel {
  return modelFromYaml(`${BASE}${extra}${TENANTS}`);
}

export function render(m: PlatformModel = model()): K8sObject[] {
  return synthEngine(vault, m);
}
