/**
 * The cluster side: one ClusterSecretStore for Vault, and per rotated login an
 * ExternalSecret in the tenant's namespace that writes a ready-to-use Secret (host, port,
 * database, username, password, uri) and re-reads Vault every `refreshInterval`.
 *
 * Isolation. The store uses Kubernetes auth with a ServiceAccount reference without a
 * namespace: External Secrets then logs in as the `vault-db-credentials` ServiceAccount of
 * the namespace of the ExternalSecret being synced ("referent" authentication), so Vault
 * sees which namespace asks, and the templated policy lets it read that namespace's
 * static credentials only. The store's `conditions` also limit which namespaces may use it.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import {
  ClusterSecretStore,
  ClusterSecretStoreSpecProviderVaultVersion,
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
  ExternalSecretSpecTargetTemplateEngineVersion,
  ExternalSecretSpecTargetTemplateMergePolicy,
} from './imports/external-secrets.io.ts';
import type { StaticRole, VaultModel } from './model.ts';
import { vaultLabels } from './labels.ts';

/** Annotation Stakater Reloader matches on: workloads that opt in restart when the Secret changes. */
export const RELOADER_MATCH = { 'reloader.stakater.com/match': 'true' } as const;

/** The Secret's keys, as Go templates over the two values read from Vault. */
export function secretTemplate(r: StaticRole): Record<string, string> {
  const c = r.login.client;
  const query = c.uriQuery ? `?${c.uriQuery}` : '';
  return {
    host: c.host,
    port: String(c.port),
    database: r.login.database,
    username: '{{ .username }}',
    password: '{{ .password }}',
    uri: `${c.uriScheme}://{{ .username | urlquery }}:{{ .password | urlquery }}@${c.host}:${c.port}/${r.login.database}${query}`,
  };
}

export class TenantCredentials extends Construct {
  constructor(scope: Construct, id: string, props: { vault: VaultModel }) {
    super(scope, id);
    const v = props.vault;
    const roles = v.connections.flatMap((c) => c.staticRoles);
    const namespaces = [...new Set(roles.map((r) => r.login.tenant.namespace))].sort();

    new ClusterSecretStore(this, 'Store', {
      metadata: { name: v.store.name, labels: vaultLabels('secret-store') },
      spec: {
        // Only the namespaces of rotated tenants may reference this store.
        conditions: [{ namespaces }],
        provider: {
          vault: {
            server: v.address,
            // `database/static-creds/...` is not a KV engine: read it as a plain (v1) path.
            version: ClusterSecretStoreSpecProviderVaultVersion.V1,
            auth: { kubernetes: { mountPath: v.authMount, role: v.store.authRole, serviceAccountRef: { name: v.store.serviceAccount } } },
          },
        },
      },
    });

    for (const ns of namespaces) {
      new k8s.KubeServiceAccount(this, `Account-${ns}`, {
        metadata: { name: v.store.serviceAccount, namespace: ns, labels: vaultLabels('secret-reader', ns) },
        // External Secrets requests a token for it; no pod runs as it.
        automountServiceAccountToken: false,
      });
    }

    for (const r of roles) {
      const key = `${v.mount}/static-creds/${r.vaultName}`;
      const labels = { ...vaultLabels('credentials', r.login.tenant.name), 'db-platform.io/tenant': r.login.tenant.name };
      new ExternalSecret(this, `Secret-${r.objectName}`, {
        metadata: { name: r.secretName, namespace: r.login.tenant.namespace, labels },
        spec: {
          refreshInterval: v.refreshInterval,
          secretStoreRef: { kind: ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE, name: v.store.name },
          target: {
            name: r.secretName,
            // No ownerReference (Owner would set one, and pruning the ExternalSecret, e.g. on
            // rotate: false, would garbage-collect the Secret under a running app); a deleted
            // Secret is still re-created at once while the ExternalSecret exists
            // (operator-contract.ts).
            creationPolicy: ExternalSecretSpecTargetCreationPolicy.CREATE_OR_MERGE,
            // Keep the last value if the static role disappears from Vault.
            deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
            template: {
              engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2,
              mergePolicy: ExternalSecretSpecTargetTemplateMergePolicy.REPLACE,
              type: 'Opaque',
              metadata: { labels, annotations: { ...RELOADER_MATCH } },
              data: secretTemplate(r),
            },
          },
          data: [
            { secretKey: 'username', remoteRef: { key, property: 'username' } },
            { secretKey: 'password', remoteRef: { key, property: 'password' } },
          ],
        },
      });
    }
  }
}
