/**
 * The tenants' side of the generated credentials (@db/secrets makes them, in the `secrets`
 * phase, before the servers): for every generated login with a tenant copy, the ExternalSecret
 * in the tenant's namespace that shapes it for the app, and what lets that namespace read its
 * own entries and no other's. Rendered here, in the `tenants` phase with the rotated
 * credentials, because a tenant's namespace belongs to its app: one that does not exist yet
 * must hold up only the tenants' Secrets, never the servers.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { isActive, recommendedLabels, type Engine, type GeneratedSecret, type PlatformModel } from '@db/core';
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
import { KubernetesAuthEngineRole, Policy, PolicySpecType } from './imports/redhatcop.redhat.io.ts';
import { RELOADER_MATCH } from './external-secrets.ts';
import type { VaultModel } from './model.ts';

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

export const nsTemplate = (v: VaultModel) => `{{identity.entity.aliases.\${auth/${v.authMount}/@accessor}.metadata.service_account_namespace}}`;

/** `<namespace>/<name>`; a tenant's login at `<namespace>/tenants/<tenant namespace>/<name>`, the only subtree that tenant may read. */
export function kvKey(s: GeneratedSecret): string {
  return s.tenantCopy ? `${s.namespace}/tenants/${s.tenantCopy.tenant.namespace}/${s.name}` : `${s.namespace}/${s.name}`;
}

/** Every enabled engine's generated credentials that have a tenant copy, for active tenants (a retired tenant's copy is no longer delivered). */
export function tenantCopies(engines: readonly Engine[], model: PlatformModel): GeneratedSecret[] {
  return engines.filter((e) => e.enabled(model) && e.generatedSecrets).flatMap((e) => e.generatedSecrets!(model).filter((s) => s.tenantCopy && isActive(s.tenantCopy.tenant)));
}

/** The tenants' policy: a namespace reads the logins filed under its own name, whichever server they are for (`+` is one path segment). */
export function tenantPolicyHcl(v: VaultModel, mount: string): string {
  return `# db-platform: each tenant namespace reads only its own generated credentials.
path "${mount}/data/+/tenants/${nsTemplate(v)}/*" {
  capabilities = ["read"]
}
`;
}

export const generatedLabels = (component: string, instance = 'generated-secrets') => recommendedLabels({ name: 'generated-secrets', instance, component });

export function externalSecretFromKv(
  scope: Construct,
  id: string,
  props: { namespace: string; name: string; store: string; key: string; refresh: string; template: Readonly<Record<string, string>>; type?: string; tenant?: string; extract?: boolean },
) {
  const l = { ...generatedLabels('credentials', props.tenant ?? props.namespace), ...(props.tenant ? { 'db-platform.io/tenant': props.tenant } : {}) };
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
      // `extract`: every key of the entry (a rotated one also holds `previous`), else `password` alone.
      ...(props.extract ? { dataFrom: [{ extract: { key: props.key } }] } : { data: [{ secretKey: 'password', remoteRef: { key: props.key, property: 'password' } }] }),
    },
  });
}

export class TenantSecretCopies extends Construct {
  constructor(scope: Construct, id: string, props: { vault: VaultModel; kvMount: string; secrets: readonly GeneratedSecret[] }) {
    super(scope, id);
    const { vault: v, kvMount, secrets } = props;
    const authentication = { path: v.authMount, role: v.operator.role, serviceAccount: { name: v.operator.serviceAccount } };
    const meta = (name: string, component: string) => ({ name, namespace: v.namespace, labels: generatedLabels(component) });
    const tenants = [...new Set(secrets.map((s) => s.tenantCopy!.tenant.namespace))].sort();
    if (tenants.length === 0) return;
    new Policy(this, 'TenantPolicy', { metadata: meta(KV.tenantPolicy, 'policy'), spec: { authentication, type: PolicySpecType.ACL, policy: tenantPolicyHcl(v, kvMount) } });
    new KubernetesAuthEngineRole(this, 'TenantRole', {
      metadata: meta(KV.tenantRole, 'auth-role'),
      spec: {
        authentication,
        path: v.authMount,
        policies: [KV.tenantPolicy],
        targetNamespaces: { targetNamespaces: tenants },
        targetServiceAccounts: [KV.tenantAccount],
        tokenTtl: 600,
        tokenMaxTtl: 900,
      } as never,
    });
    new ClusterSecretStore(this, 'TenantStore', {
      metadata: { name: KV.tenantStore, labels: generatedLabels('secret-store') },
      spec: {
        conditions: [{ namespaces: tenants }],
        provider: {
          vault: {
            server: v.address,
            path: kvMount,
            version: ClusterSecretStoreSpecProviderVaultVersion.V2,
            // A ServiceAccount without a namespace: External Secrets logs in as the one in the namespace of the object being synced.
            auth: { kubernetes: { mountPath: v.authMount, role: KV.tenantRole, serviceAccountRef: { name: KV.tenantAccount } } },
          },
        },
      },
    });
    for (const ns of tenants) {
      new k8s.KubeServiceAccount(this, `TenantAccount-${ns}`, {
        metadata: { name: KV.tenantAccount, namespace: ns, labels: generatedLabels('secret-reader', ns) },
        automountServiceAccountToken: false,
      });
    }
    for (const s of secrets) {
      const c = s.tenantCopy!;
      externalSecretFromKv(this, `Tenant-${c.tenant.namespace}-${c.name}`, {
        namespace: c.tenant.namespace,
        name: c.name,
        store: KV.tenantStore,
        key: kvKey(s),
        refresh: v.refreshInterval,
        template: c.template,
        tenant: c.tenant.name,
      });
    }
  }
}
