/** The operator this engine needs for the innodb-cluster topology, installed from its pinned upstream chart (bumped together with the vendored CRDs, schemas/crds/SOURCES.md). */
import { CHART_KINDS, gk, type HelmOperator } from '@db/core';

const { CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, DEPLOYMENT, SERVICE, SERVICE_ACCOUNT } = CHART_KINDS;

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
