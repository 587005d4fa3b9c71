/** The operators this add-on needs, installed from their pinned upstream charts (bumped together with the vendored CRDs, schemas/crds/SOURCES.md). */
import { CHART_KINDS, gk, mirrored, type HelmOperator } from '@db/core';

const { CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, MUTATING_WEBHOOK, VALIDATING_WEBHOOK, DEPLOYMENT, SERVICE, SERVICE_ACCOUNT, CONFIG_MAP, SECRET, ROLE, ROLE_BINDING } = CHART_KINDS;

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
