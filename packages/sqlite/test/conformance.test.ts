/** The conformance suite every engine passes (core/src/testing/conformance.ts). */
import { describeEngineConformance } from '@db/core/testing';
import { sqliteEngine } from '../src/engine.ts';

describeEngineConformance({
  engine: sqliteEngine,
  platformYaml: `cluster: t
storage: { block: proxmox-lvm, nfs: [nfs-client] }
backups: { nfs: { server: n, path: /x } }
monitoring: { pushgateway: "http://p:9091", runbookBaseUrl: "https://e.org/r" }
tenants: []
sqlite:
  - { app: vaultwarden, size: 1Gi }
  - { app: headscale, namespace: vpn, size: 2Gi }
`,
});
