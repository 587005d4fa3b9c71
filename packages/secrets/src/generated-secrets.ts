/**
 * Generated credentials (the engines' `generatedSecrets`): nobody types a password, and none
 * is in the repository. For each one, in the namespace of the server that reads it:
 *
 *   Password generator ──► PushSecret (updatePolicy IfNotExists) ──► Vault KV v2 `database-kv`
 *                                                                       │
 *              ExternalSecret (server's namespace) ◄────────────────────┤
 *              ExternalSecret (tenant's namespace, shaped for the app) ◄┘
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
import { recommendedLabels } from '@db/core';
import {
  ClusterSecretStore,
  ClusterSecretStoreSpecProviderVaultVersion,
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
  ExternalSecretSpecTargetTemplateEngineVersion,
  ExternalSecretSpecTargetTemplateMergePolicy,
  KubernetesAuthEngineRole,
  Policy,
  PolicySpecType,
  RELOADER_MATCH,
  SecretEngineMount,
  type VaultModel,
} from '@db/vault';
import type { PlannedSecret, SecretsModel } from './model.ts';

/** Names, fixed: the Vault bootstrap policy (README) already allows `sys/policies/acl/db-*`, `auth/kubernetes/role/db-*`. */
export const KV = {
  platformPolicy: 'db-platform-secrets',
  tenantPolicy: 'db-tenant-secrets',
  platformRole: 'db-platform-secrets',
  tenantRole: 'db-tenant-secrets',
  platformStore: 'vault-platform-secrets',
  tenantStore: 'vault-tenant-secrets',
  /** ServiceAccount External Secrets logs in as, per namespace (referent authentication). */
  platformAccount: 'db-platform-secrets',
  tenantAccount: 'vault-generated-secrets',
  generator: 'db-platform-password',
} as const;

const nsTemplate = (v: VaultModel) => `{{identity.entity.aliases.\${auth/${v.authMount}/@accessor}.metadata.service_account_namespace}}`;

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

/** The tenants' policy: a namespace reads the logins filed under its own name, whichever server they are for (`+` is one path segment). */
export function tenantPolicyHcl(v: VaultModel, mount: string): string {
  return `# db-platform: each tenant namespace reads only its own generated credentials.
path "${mount}/data/+/tenants/${nsTemplate(v)}/*" {
  capabilities = ["read"]
}
`;
}

const labels = (component: string, instance = 'generated-secrets') => recommendedLabels({ name: 'generated-secrets', instance, component });

function externalSecret(
  scope: Construct,
  id: string,
  props: { namespace: string; name: string; store: string; key: string; refresh: string; template: Readonly<Record<string, string>>; type?: string; tenant?: string },
) {
  const l = { ...labels('credentials', props.tenant ?? props.namespace), ...(props.tenant ? { 'db-platform.io/tenant': props.tenant } : {}) };
  new ExternalSecret(scope, id, {
    metadata: { name: props.name, namespace: props.namespace, labels: l },
    spec: {
      refreshInterval: props.refresh,
      secretStoreRef: { kind: ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE, name: props.store },
      target: {
        name: props.name,
        // No ownerReference: pruning the ExternalSecret must not delete a Secret a running pod reads.
        creationPolicy: ExternalSecretSpecTargetCreationPolicy.CREATE_OR_MERGE,
        deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
        template: {
          engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2,
          mergePolicy: ExternalSecretSpecTargetTemplateMergePolicy.REPLACE,
          type: props.type ?? 'Opaque',
          metadata: { labels: l, annotations: { ...RELOADER_MATCH } },
          data: { ...props.template },
        },
      },
      data: [{ secretKey: 'password', remoteRef: { key: props.key, property: 'password' } }],
    },
  });
}

export const DEFAULT_TEMPLATE = { password: '{{ .password }}' } as const;

export class GeneratedSecrets extends Construct {
  constructor(scope: Construct, id: string, props: { vault: VaultModel; model: SecretsModel; secrets: readonly PlannedSecret[] }) {
    super(scope, id);
    const { vault: v, model: m, secrets } = props;
    const authentication = { path: v.authMount, role: v.operator.role, serviceAccount: { name: v.operator.serviceAccount } };
    const meta = (name: string, component: string) => ({ name, namespace: v.namespace, labels: labels(component) });
    const owners = [...new Set(secrets.map((s) => s.secret.namespace))].sort();
    const tenants = [...new Set(secrets.flatMap((s) => (s.secret.tenantCopy ? [s.secret.tenantCopy.tenant.namespace] : [])))].sort();

    new SecretEngineMount(this, 'Mount', {
      metadata: meta(m.kvMount, 'secrets-engine'),
      spec: { authentication, type: 'kv', options: { version: '2' }, description: 'db-platform: generated credentials, one owner each (PushSecret IfNotExists)' },
    });
    new Policy(this, 'PlatformPolicy', { metadata: meta(KV.platformPolicy, 'policy'), spec: { authentication, type: PolicySpecType.ACL, policy: platformPolicyHcl(v, m.kvMount) } });
    new Policy(this, 'TenantPolicy', { metadata: meta(KV.tenantPolicy, 'policy'), spec: { authentication, type: PolicySpecType.ACL, policy: tenantPolicyHcl(v, m.kvMount) } });
    const role = (id: string, name: string, policy: string, namespaces: string[], account: string) =>
      new KubernetesAuthEngineRole(this, id, {
        metadata: meta(name, 'auth-role'),
        spec: { authentication, path: v.authMount, policies: [policy], targetNamespaces: { targetNamespaces: namespaces }, targetServiceAccounts: [account], tokenTtl: 600, tokenMaxTtl: 900 } as never,
      });
    role('PlatformRole', KV.platformRole, KV.platformPolicy, owners, KV.platformAccount);
    if (tenants.length > 0) role('TenantRole', KV.tenantRole, KV.tenantPolicy, tenants, KV.tenantAccount);

    const store = (id: string, name: string, namespaces: string[], authRole: string, account: string) =>
      new ClusterSecretStore(this, id, {
        metadata: { name, labels: labels('secret-store') },
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
    if (tenants.length > 0) store('TenantStore', KV.tenantStore, tenants, KV.tenantRole, KV.tenantAccount);

    for (const ns of owners) {
      new k8s.KubeServiceAccount(this, `Account-${ns}`, { metadata: { name: KV.platformAccount, namespace: ns, labels: labels('secret-owner', ns) }, automountServiceAccountToken: false });
      new ApiObject(this, `Generator-${ns}`, {
        apiVersion: 'generators.external-secrets.io/v1alpha1',
        kind: 'Password',
        metadata: { name: KV.generator, namespace: ns, labels: labels('generator', ns) },
        spec: { ...m.password },
      });
    }
    for (const ns of tenants) {
      new k8s.KubeServiceAccount(this, `TenantAccount-${ns}`, { metadata: { name: KV.tenantAccount, namespace: ns, labels: labels('secret-reader', ns) }, automountServiceAccountToken: false });
    }

    for (const { secret: s, key } of secrets) {
      new ApiObject(this, `Push-${s.namespace}-${s.name}`, {
        apiVersion: 'external-secrets.io/v1alpha1',
        kind: 'PushSecret',
        metadata: { name: s.name, namespace: s.namespace, labels: labels('generator', s.namespace) },
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
      externalSecret(this, `Secret-${s.namespace}-${s.name}`, {
        namespace: s.namespace,
        name: s.name,
        store: KV.platformStore,
        key,
        refresh: v.refreshInterval,
        template: s.template ?? DEFAULT_TEMPLATE,
        ...(s.type ? { type: s.type } : {}),
      });
      if (s.tenantCopy) {
        externalSecret(this, `Tenant-${s.tenantCopy.tenant.namespace}-${s.tenantCopy.name}`, {
          namespace: s.tenantCopy.tenant.namespace,
          name: s.tenantCopy.name,
          store: KV.tenantStore,
          key,
          refresh: v.refreshInterval,
          template: s.tenantCopy.template,
          tenant: s.tenantCopy.tenant.name,
        });
      }
    }
  }
}
