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
  /**
   * Every kind the chart renders with our values, read from the chart's templates at the
   * pinned version (each operator cites them), for the Argo CD project's allow lists: a
   * cluster-scoped kind missing there fails the operator's whole sync.
   */
  readonly kinds: { readonly cluster: readonly GroupKind[]; readonly namespaced: readonly GroupKind[] };
  /**
   * What the chart needs that no platform object provides: installed on the cluster first
   * (the generated docs and the README list them).
   */
  readonly prerequisites?: readonly { readonly name: string; readonly crds: readonly string[]; readonly reason: string }[];
}

const gk = (group: string, kind: string): GroupKind => ({ group, kind });
const CRD = gk('apiextensions.k8s.io', 'CustomResourceDefinition');
const CLUSTER_ROLE = gk('rbac.authorization.k8s.io', 'ClusterRole');
const CLUSTER_ROLE_BINDING = gk('rbac.authorization.k8s.io', 'ClusterRoleBinding');
const MUTATING_WEBHOOK = gk('admissionregistration.k8s.io', 'MutatingWebhookConfiguration');
const VALIDATING_WEBHOOK = gk('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration');
const DEPLOYMENT = gk('apps', 'Deployment');
const SERVICE = gk('', 'Service');
const SERVICE_ACCOUNT = gk('', 'ServiceAccount');
const CONFIG_MAP = gk('', 'ConfigMap');
const SECRET = gk('', 'Secret');
const ROLE = gk('rbac.authorization.k8s.io', 'Role');
const ROLE_BINDING = gk('rbac.authorization.k8s.io', 'RoleBinding');

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
    // charts/cloudnative-pg templates/ at cloudnative-pg-v0.29.0 with crds.create, rbac.create,
    // config.clusterWide and both webhooks on (the defaults): crds/crds.yaml, rbac.yaml,
    // *webhookconfiguration.yaml, config.yaml, monitoring-configmap.yaml, deployment.yaml, service.yaml.
    kinds: { cluster: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, MUTATING_WEBHOOK, VALIDATING_WEBHOOK], namespaced: [CONFIG_MAP, DEPLOYMENT, SERVICE, SERVICE_ACCOUNT] },
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
    // helm/mysql-operator at 8.4.3-2.1.5: templates/cluster_kopf_keepering.yaml renders the
    // cluster-scoped zalando.org ClusterKopfPeering (kopf's peering, clusterwide=True in
    // operator_main.py:49-53), cluster_role_*.yaml, cluster_role_binding_operator.yaml,
    // deployment.yaml, service.yaml, service_account_operator.yaml; CRDs in crds/crd.yaml.
    kinds: { cluster: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, gk('zalando.org', 'ClusterKopfPeering')], namespaced: [DEPLOYMENT, SERVICE, SERVICE_ACCOUNT] },
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
    // Its CRDs are chart templates (hack/helm.generate.sh), deleted by `helm uninstall` and, with
    // them, every ExternalSecret: kept instead.
    values: { installCRDs: true, crds: { annotations: { 'helm.sh/resource-policy': 'keep' } } },
    mirrorValues: (mirror) => {
      const image = { repository: mirrored(mirror, { repository: 'external-secrets/external-secrets' }) };
      return { image, webhook: { image }, certController: { image } };
    },
    // deploy/charts/external-secrets templates/ at helm-chart-2.9.0, default values: CRDs,
    // ClusterRoles and bindings of the controller and cert-controller, two validating
    // webhooks, three Deployments, the webhook Service and its (empty) certificate Secret,
    // ServiceAccounts, the leader-election Role and RoleBinding.
    kinds: { cluster: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, VALIDATING_WEBHOOK], namespaced: [DEPLOYMENT, SERVICE, SECRET, SERVICE_ACCOUNT, ROLE, ROLE_BINDING] },
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
    // The published chart vault-config-operator-v0.8.52.tgz (config/helmchart at v0.8.52):
    // CRDs, three ClusterRoles and two bindings, both webhook configurations, the Deployment,
    // two Services and ServiceAccounts, a ConfigMap, two Roles and RoleBindings, a
    // ServiceMonitor (enableMonitoring defaults to true), and with enableCertManager a
    // self-signed Issuer and two Certificates (templates/certificate.yaml).
    kinds: {
      cluster: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, MUTATING_WEBHOOK, VALIDATING_WEBHOOK],
      namespaced: [
        DEPLOYMENT,
        SERVICE,
        SERVICE_ACCOUNT,
        CONFIG_MAP,
        ROLE,
        ROLE_BINDING,
        gk('monitoring.coreos.com', 'ServiceMonitor'),
        gk('cert-manager.io', 'Certificate'),
        gk('cert-manager.io', 'Issuer'),
      ],
    },
    prerequisites: [
      {
        name: 'cert-manager',
        crds: ['certificates.cert-manager.io', 'issuers.cert-manager.io'],
        reason:
          "vault-config-operator's webhooks take their serving certificate from cert-manager (enableCertManager: true); without it the chart expects OpenShift's service CA and the operator pod never starts",
      },
      { name: 'Prometheus operator CRDs', crds: ['servicemonitors.monitoring.coreos.com'], reason: 'the chart renders a ServiceMonitor for the operator' },
    ],
  };
}
