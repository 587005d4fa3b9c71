/** The operator this engine needs, installed from its pinned upstream chart (bumped together with the vendored CRDs, schemas/crds/SOURCES.md). */
import { CHART_KINDS, mirrored, type HelmOperator } from '@db/core';

const { CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, MUTATING_WEBHOOK, VALIDATING_WEBHOOK, DEPLOYMENT, SERVICE, SERVICE_ACCOUNT, CONFIG_MAP } = CHART_KINDS;

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
