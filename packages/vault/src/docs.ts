/** The Vault engine's part of the generated platform docs: the rotation policy and its endpoint. */
import { durationSeconds, type Engine, type EngineDocs, type PlatformModel } from '@db/core';
import { engineCredentials, resolveVault } from './model.ts';

export function vaultDocs(engines: readonly Engine[], model: PlatformModel): EngineDocs {
  const v = resolveVault(model, engineCredentials(engines, model));
  const url = new URL(v.address);
  const roles = v.connections.flatMap((c) => c.staticRoles);
  return {
    title: 'Vault',
    summary:
      `Vault's \`${v.mount}\` secrets engine rotates ${roles.length} tenant login(s) through static roles (configured by vault-config-operator in namespace \`${v.namespace}\`), ` +
      `connecting straight to each primary (${v.connections.map((c) => `\`${c.connection.name}\``).join(', ') || 'no connection'}) as its own login \`vault\`, whose password it rotates every ${v.rootRotationPeriod}. ` +
      `External Secrets reads each password through the ClusterSecretStore \`${v.store.name}\` as the ServiceAccount \`${v.store.serviceAccount}\` of the app's namespace, which may read only its own namespace's credentials, and writes the Secret \`<app>-<engine>\` (host, port, database, username, password, uri) every ${v.refreshInterval}. ` +
      'Apps that opt in with `reloader.stakater.com/search: "true"` restart when it changes.',
    endpoints: [{ host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), purpose: 'Vault API (External Secrets and vault-config-operator); apps never call it' }],
    users: [],
    credentials: [],
    backups: [],
    graph: {
      nodes: [
        { id: 'vault', label: `Vault database engine<br/>static roles, ${durationSeconds(v.rotationPeriod)} s` },
        { id: 'external_secrets', label: `External Secrets<br/>refresh ${v.refreshInterval}` },
      ],
      edges: [{ from: 'vault', to: 'external_secrets' }],
    },
    rotationPolicy: {
      periodSeconds: durationSeconds(v.rotationPeriod),
      refresh: v.refreshInterval,
      rotatedBy: `the Vault database secrets engine (static roles under \`${v.mount}/\`)`,
      syncedBy: 'External Secrets Operator',
      node: 'vault',
      syncNode: 'external_secrets',
      ownership: 'A rotated password has exactly one owner: CNPG is never given one for a rotated role.',
    },
  };
}
