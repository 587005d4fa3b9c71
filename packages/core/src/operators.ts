/**
 * The operators the platform's objects need, each installed from its upstream Helm chart at
 * a pinned version (the version of the CRDs vendored under schemas/crds, see SOURCES.md).
 * Engines name the operators they need (`Engine.operators`); @db/delivery turns the needs of
 * a cluster into Argo CD Applications or Flux HelmReleases. Pins are bumped here, together
 * with the vendored CRDs.
 */
import type { PinnedImage } from './images.ts';

/** A Kubernetes kind by API group (`''` for the core group), as Argo CD projects list them. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface HelmOperator {
  /** Release name and id, e.g. `cloudnative-pg`. */
  readonly id: string;
  readonly description: string;
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /** Upstream chart: a classic Helm repository URL, the chart name and its pinned version. */
  readonly chart: { readonly repository: string; readonly name: string; readonly version: string };
  /** Operator version the chart installs (the vendored CRDs' version). */
  readonly appVersion: string;
  /** Chart values the platform sets (besides image mirroring). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Chart values that pull every operator image from `mirror` (air-gapped clusters). */
  readonly mirrorValues: (mirror: string) => Record<string, unknown>;
  /** Kinds the chart creates, for the Argo CD project's allow lists. */
  readonly kinds: { readonly cluster: readonly GroupKind[]; readonly namespaced: readonly GroupKind[] };
}

/** What an operator chart typically renders: its controller, RBAC, webhooks and CRDs. */
const OPERATOR_KINDS = {
  cluster: [
    { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
    { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
    { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
  ],
  namespaced: [
    { group: 'apps', kind: 'Deployment' },
    { group: '', kind: 'Service' },
    { group: '', kind: 'ServiceAccount' },
    { group: '', kind: 'ConfigMap' },
    { group: '', kind: 'Secret' },
    { group: 'rbac.authorization.k8s.io', kind: 'Role' },
    { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
    { group: 'policy', kind: 'PodDisruptionBudget' },
  ],
} as const;

/** `registry/path` of a pinned image's repository with the registry replaced by the mirror. */
const mirrored = (mirror: string, image: Pick<PinnedImage, 'repository'>) => `${mirror}/${image.repository}`;

/** CloudNativePG 1.30.0, chart cloudnative-pg 0.29.0 (https://github.com/cloudnative-pg/charts). */
export function cloudnativePgOperator(namespace: string): HelmOperator {
  return {
    id: 'cloudnative-pg',
    description: 'CloudNativePG operator: PostgreSQL Cluster, Pooler and Database resources',
    namespace,
    chart: { repository: 'https://cloudnative-pg.github.io/charts', name: 'cloudnative-pg', version: '0.29.0' },
    appVersion: '1.30.0',
    values: { crds: { create: true } },
    mirrorValues: (mirror) => ({ image: { repository: mirrored(mirror, { repository: 'cloudnative-pg/cloudnative-pg' }) } }),
    kinds: OPERATOR_KINDS,
  };
}

/** MySQL Operator for Kubernetes 8.4.3-2.1.5, chart mysql-operator 2.1.5 (https://github.com/mysql/mysql-operator). */
export function mysqlOperator(namespace: string): HelmOperator {
  return {
    id: 'mysql-operator',
    description: 'MySQL Operator for Kubernetes: InnoDBCluster resources (the innodb-cluster topology)',
    namespace,
    chart: { repository: 'https://mysql.github.io/mysql-operator/', name: 'mysql-operator', version: '2.1.5' },
    appVersion: '8.4.3-2.1.5',
    values: {},
    // The operator's own image, and the default registry of the images it starts (router, sidecar).
    mirrorValues: (mirror) => ({ image: { registry: mirror }, envs: { imagesDefaultRegistry: mirror } }),
    kinds: OPERATOR_KINDS,
  };
}

/** External Secrets Operator 2.9.0, chart external-secrets 2.9.0 (https://github.com/external-secrets/external-secrets). */
export function externalSecretsOperator(namespace = 'external-secrets'): HelmOperator {
  return {
    id: 'external-secrets',
    description: 'External Secrets Operator: ExternalSecret and SecretStore resources (tenant credentials from Vault)',
    namespace,
    chart: { repository: 'https://charts.external-secrets.io', name: 'external-secrets', version: '2.9.0' },
    appVersion: '2.9.0',
    values: { installCRDs: true },
    mirrorValues: (mirror) => {
      const image = { repository: mirrored(mirror, { repository: 'external-secrets/external-secrets' }) };
      return { image, webhook: { image }, certController: { image } };
    },
    kinds: OPERATOR_KINDS,
  };
}

/** vault-config-operator 0.8.52, chart vault-config-operator 0.8.52 (https://github.com/redhat-cop/vault-config-operator). */
export function vaultConfigOperator(vaultAddress: string, namespace = 'vault-config-operator'): HelmOperator {
  return {
    id: 'vault-config-operator',
    description: 'vault-config-operator: Vault database secret engines, static roles and policies as resources',
    namespace,
    chart: { repository: 'https://redhat-cop.github.io/vault-config-operator', name: 'vault-config-operator', version: '0.8.52' },
    appVersion: '0.8.52',
    // Its webhooks take their serving certificate from cert-manager (a cluster prerequisite).
    values: { enableCertManager: true, env: [{ name: 'VAULT_ADDR', value: vaultAddress }] },
    mirrorValues: (mirror) => ({
      image: { repository: mirrored(mirror, { repository: 'redhat-cop/vault-config-operator' }) },
      kube_rbac_proxy: { image: { repository: mirrored(mirror, { repository: 'redhat-cop/kube-rbac-proxy' }) } },
    }),
    kinds: {
      cluster: OPERATOR_KINDS.cluster,
      namespaced: [...OPERATOR_KINDS.namespaced, { group: 'cert-manager.io', kind: 'Certificate' }, { group: 'cert-manager.io', kind: 'Issuer' }, { group: 'monitoring.coreos.com', kind: 'ServiceMonitor' }],
    },
  };
}
