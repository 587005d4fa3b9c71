/**
 * Generated credentials (the engines' `generatedSecrets`): nobody types a password, and none
 * is in the repository. For each one, in the namespace of the server that reads it:
 *
 *   Password generator ──► PushSecret (updatePolicy IfNotExists) ──► Vault KV v2 `database-kv`
 *                                                                       │
 *              ExternalSecret (server's namespace) ◄────────────────────┤
 *              ExternalSecret (tenant's namespace, shaped for the app) ◄┘  (@db/vault, tenants phase)
 *
 * Vault KV is the single owner: the PushSecret writes a value only where none exists (External
 * Secrets v2.9.0 pushsecret_controller.go:592-600 asks the store `SecretExists` first; the
 * Vault provider answers from the KV entry's property, providers/v1/vault/client_get.go:105-122),
 * so a re-sync, a re-created PushSecret or a new generator run never replaces a password.
 * An ExternalSecret fed by a generator directly would not do: it generates again whenever its
 * Secret is deleted or edited. Both the server's copy and the app's copy are read from the same
 * KV entry, so the server's ACL and the app agree by construction.
 *
 * KV layout: `<namespace>/<name>` for the platform's own credentials; a tenant's login sits at
 * `<namespace>/tenants/<tenant namespace>/<name>`, the only subtree that tenant may read.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import {
  ClusterSecretStore,
  ClusterSecretStoreSpecProviderVaultVersion,
  externalSecretFromKv,
  generatedLabels,
  KubernetesAuthEngineRole,
  KV,
  nsTemplate,
  Policy,
  PolicySpecType,
  SecretEngineMount,
  type VaultModel,
} from '@db/vault';
import type { PlannedSecret, SecretsModel } from './model.ts';

/** The platform namespaces' policy: each writes and reads its own subtree only (PushSecret reads the metadata to check it manages the entry, client_push.go:75-83). */
export function platformPolicyHcl(v: VaultModel, mount: string): string {
  const ns = nsTemplate(v);
  return `# db-platform: each platform namespace generates and reads its own credentials only.
path "${mount}/data/${ns}/*" {
  capabilities = ["create", "read", "update"]
}
path "${mount}/metadata/${ns}/*" {
  capabilities = ["read"]
}
`;
}

export const DEFAULT_TEMPLATE = { password: '{{ .password }}' } as const;

export class GeneratedSecrets extends Construct {
  constructor(scope: Construct, id: string, props: { vault: VaultModel; model: SecretsModel; secrets: readonly PlannedSecret[] }) {
    super(scope, id);
    const { vault: v, model: m, secrets } = props;
    const authentication = { path: v.authMount, role: v.operator.role, serviceAccount: { name: v.operator.serviceAccount } };
    const meta = (name: string, component: string) => ({ name, namespace: v.namespace, labels: generatedLabels(component) });
    const owners = [...new Set(secrets.map((s) => s.secret.namespace))].sort();

    new SecretEngineMount(this, 'Mount', {
      metadata: meta(m.kvMount, 'secrets-engine'),
      spec: { authentication, type: 'kv', options: { version: '2' }, description: 'db-platform: generated credentials, one owner each (PushSecret IfNotExists)' },
    });
    new Policy(this, 'PlatformPolicy', { metadata: meta(KV.platformPolicy, 'policy'), spec: { authentication, type: PolicySpecType.ACL, policy: platformPolicyHcl(v, m.kvMount) } });
    const role = (id: string, name: string, policy: string, namespaces: string[], account: string) =>
      new KubernetesAuthEngineRole(this, id, {
        metadata: meta(name, 'auth-role'),
        spec: { authentication, path: v.authMount, policies: [policy], targetNamespaces: { targetNamespaces: namespaces }, targetServiceAccounts: [account], tokenTtl: 600, tokenMaxTtl: 900 } as never,
      });
    role('PlatformRole', KV.platformRole, KV.platformPolicy, owners, KV.platformAccount);

    const store = (id: string, name: string, namespaces: string[], authRole: string, account: string) =>
      new ClusterSecretStore(this, id, {
        metadata: { name, labels: generatedLabels('secret-store') },
        spec: {
          conditions: [{ namespaces }],
          provider: {
            vault: {
              server: v.address,
              path: m.kvMount,
              version: ClusterSecretStoreSpecProviderVaultVersion.V2,
              // A ServiceAccount without a namespace: External Secrets logs in as the one in the namespace of the object being synced.
              auth: { kubernetes: { mountPath: v.authMount, role: authRole, serviceAccountRef: { name: account } } },
            },
          },
        },
      });
    store('PlatformStore', KV.platformStore, owners, KV.platformRole, KV.platformAccount);

    for (const ns of owners) {
      new k8s.KubeServiceAccount(this, `Account-${ns}`, { metadata: { name: KV.platformAccount, namespace: ns, labels: generatedLabels('secret-owner', ns) }, automountServiceAccountToken: false });
      new ApiObject(this, `Generator-${ns}`, {
        apiVersion: 'generators.external-secrets.io/v1alpha1',
        kind: 'Password',
        metadata: { name: KV.generator, namespace: ns, labels: generatedLabels('generator', ns) },
        spec: { ...m.password },
      });
    }
    for (const { secret: s, key } of secrets) {
      new ApiObject(this, `Push-${s.namespace}-${s.name}`, {
        apiVersion: 'external-secrets.io/v1alpha1',
        kind: 'PushSecret',
        metadata: { name: s.name, namespace: s.namespace, labels: generatedLabels('generator', s.namespace) },
        spec: {
          refreshInterval: m.pushInterval,
          // Write only when the KV entry has no `password` yet: generated once, never overwritten.
          updatePolicy: 'IfNotExists',
          // Deleting the PushSecret leaves the password in Vault.
          deletionPolicy: 'None',
          secretStoreRefs: [{ kind: 'ClusterSecretStore', name: KV.platformStore }],
          selector: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: KV.generator } },
          data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: key, property: 'password' } } }],
        },
      });
      externalSecretFromKv(this, `Secret-${s.namespace}-${s.name}`, {
        namespace: s.namespace,
        name: s.name,
        store: KV.platformStore,
        key,
        refresh: v.refreshInterval,
        template: s.template ?? DEFAULT_TEMPLATE,
        ...(s.type ? { type: s.type } : {}),
        // A rotated entry's `previous` too (the whole entry; the Vault provider returns every key, client_get.go:83-103).
        ...(s.rotation ? { extract: true } : {}),
      });
    }
  }
}
