import { modelFromYaml as modelFromYamlOf } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';

/** A model checked against this package's schema (other engines' sections pass unchecked). */
export const modelFromYaml = (text: string) => modelFromYamlOf(text, [postgresEngine], { othersOpaque: true });

export const PROD_LIKE = `
cluster: test
storage: { block: proxmox-lvm, nfs: [nfs-client] }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
scheduling: { avoidNodes: [k8s-node1] }
monitoring:
  pushgateway: http://pushgateway.monitoring.svc:9091
  runbookBaseUrl: https://example.org/runbooks
postgres: { instances: 2 }
tenants:
  - { name: linkwarden, postgres: { database: linkwarden } }
  - { name: apple-health-data, postgres: { database: health } }
  - { name: authentik, postgres: { database: authentik, rotate: false, rotateReason: "password managed by hand", passwordSecret: authentik-db } }
  - { name: lumen, postgres: { database: lumen, connection: direct } }
`;

export const prodLike = () => modelFromYaml(PROD_LIKE);
