/** What the generated docs say about the generated credentials. */
import type { EngineDocs } from '@db/core';
import type { PlannedSecret, SecretsModel } from './model.ts';

export function secretsDocs(m: SecretsModel, planned: readonly PlannedSecret[]): EngineDocs {
  return {
    title: 'Generated credentials',
    summary:
      `${planned.length} credentials are generated in the cluster, none typed by a person or kept in the repository: an External Secrets \`Password\` generator (${m.password.length} of [A-Za-z0-9]) feeds a \`PushSecret\` that writes Vault KV \`${m.kvMount}\` only where no value exists yet (\`updatePolicy: IfNotExists\`), and ExternalSecrets deliver that one value to the server's namespace and, for a tenant's login, to the tenant's namespace. ` +
      `Delivered before the servers (component \`secrets\`). Secrets: ${planned.map((p) => `\`${p.secret.namespace}/${p.secret.name}\``).join(', ')}.`,
    endpoints: [],
    users: planned.flatMap((p) =>
      p.secret.tenantCopy
        ? [
            {
              tenant: p.secret.tenantCopy.tenant.name,
              namespace: p.secret.tenantCopy.tenant.namespace,
              what: `Secret \`${p.secret.tenantCopy.name}\` with keys ${Object.keys(p.secret.tenantCopy.template)
                .map((k) => `\`${k}\``)
                .join(', ')}`,
              connectsTo: `Vault KV \`${m.kvMount}/${p.key}\``,
              node: 'secrets_kv',
            },
          ]
        : [],
    ),
    credentials: [],
    backups: [],
    graph: { nodes: [{ id: 'secrets_kv', label: `Vault KV ${m.kvMount}<br/>generated once` }], edges: [] },
  };
}
