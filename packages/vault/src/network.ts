/**
 * Vault must reach each database server to rotate passwords. The database namespaces deny
 * all ingress by default (NamespaceBaseline), so one policy per connection admits the
 * Vault server pods on the server's port, and nothing else.
 */
import { Construct } from 'constructs';
import { FlowPolicy } from '@db/core';
import type { VaultModel } from './model.ts';
import { vaultLabels } from './labels.ts';

export class VaultNetwork extends Construct {
  constructor(scope: Construct, id: string, props: { vault: VaultModel }) {
    super(scope, id);
    const v = props.vault;
    for (const c of v.connections) {
      const server = c.connection.server;
      new FlowPolicy(this, `To-${c.engine}`, {
        namespace: server.namespace,
        name: `vault-to-${c.connection.name}`,
        labels: vaultLabels('network-policy'),
        pods: { ...server.podSelector },
        ingress: [{ peers: [{ namespace: v.namespace, pods: { ...v.podLabels } }], ports: [{ port: server.port }] }],
      });
    }
  }
}
