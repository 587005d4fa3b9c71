/**
 * What CloudNativePG 1.30.0 does with the Cluster and Pooler we render, as its source does it
 * (cloudnative-pg/cloudnative-pg@v1.30.0). The Go module proxy refuses CNPG, so the operator
 * cannot run here: its behaviour is pinned in code and tests (test/operator-contract.test.ts)
 * and stood in for on the simulated control plane (packages/control-plane). Bumping CNPG
 * means re-reading these lines.
 */

/**
 * Labels on an instance pod (pkg/specs/pods.go:545-554; `role`/`cnpg.io/instanceRole` are
 * added once the pod runs, internal/reconciler/instance/metadata.go:166-218). CNPG then
 * applies `inheritedMetadata` over them (internal/controller/cluster_create.go:1584-1589).
 */
export function cnpgInstancePodLabels(cluster: string, podName: string, pgMajor: number, role?: 'primary' | 'replica'): Record<string, string> {
  return {
    'cnpg.io/cluster': cluster,
    'cnpg.io/instanceName': podName,
    'cnpg.io/podRole': 'instance',
    'app.kubernetes.io/name': 'postgresql',
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/version': String(pgMajor),
    'app.kubernetes.io/component': 'database',
    'app.kubernetes.io/managed-by': 'cloudnative-pg',
    ...(role ? { role, 'cnpg.io/instanceRole': role } : {}),
  };
}

/**
 * Labels on a PgBouncer pod of a Pooler (pkg/specs/pgbouncer/deployments.go:56-63): they
 * carry `cnpg.io/cluster` too, so a selector of instances must also name
 * `cnpg.io/podRole: instance`.
 */
export function cnpgPoolerPodLabels(cluster: string, pooler: string): Record<string, string> {
  return {
    'cnpg.io/poolerName': pooler,
    'cnpg.io/cluster': cluster,
    'cnpg.io/podRole': 'pooler',
    'app.kubernetes.io/name': 'postgresql',
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/component': 'pooler',
    'app.kubernetes.io/managed-by': 'cloudnative-pg',
  };
}

/** The Pooler Deployment's selector (deployments.go:159-164) and its Service's (pkg/servicespec/builder.go:107-109). */
export const cnpgPoolerSelector = (pooler: string) => ({ 'cnpg.io/poolerName': pooler });

/** The services CNPG creates for a Cluster, with their selectors (pkg/specs/services.go:67-154). `-any` only with CREATE_ANY_SERVICE (off by default). */
export function cnpgClusterServices(cluster: string): { name: string; selector: Record<string, string> }[] {
  return [
    { name: `${cluster}-r`, selector: { 'cnpg.io/cluster': cluster, 'cnpg.io/podRole': 'instance' } },
    { name: `${cluster}-ro`, selector: { 'cnpg.io/cluster': cluster, 'cnpg.io/instanceRole': 'replica' } },
    { name: `${cluster}-rw`, selector: { 'cnpg.io/cluster': cluster, 'cnpg.io/instanceRole': 'primary' } },
  ];
}

/**
 * The pod anti-affinity CNPG generates (CreateGeneratedAntiAffinity, pkg/specs/pods.go:392-445):
 * instances of the cluster on distinct `topologyKey` values, required or preferred (weight 100).
 * `spec.affinity.nodeAffinity` is copied to the pod verbatim (CreateAffinitySection, pods.go:353-388).
 */
export function cnpgGeneratedAntiAffinity(cluster: string, type: 'required' | 'preferred', topologyKey = 'kubernetes.io/hostname'): Record<string, unknown> {
  const term = {
    labelSelector: {
      matchExpressions: [
        { key: 'cnpg.io/cluster', operator: 'In', values: [cluster] },
        { key: 'cnpg.io/podRole', operator: 'In', values: ['instance'] },
      ],
    },
    topologyKey,
  };
  return type === 'required' ? { requiredDuringSchedulingIgnoredDuringExecution: [term] } : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
}

/**
 * Without `spec.bootstrap`, CNPG bootstraps with initdb and creates database `app`, owned by a
 * LOGIN role `app` (api/v1/cluster_defaults.go:234-251; there is no switch to turn it off),
 * with a generated password in Secret `<cluster>-app` (internal/controller/cluster_create.go:
 * 222-273) that every instance manager re-applies at start (internal/management/controller/
 * instance_controller.go:1387-1462). Nobody rotates it, so we keep the role but without
 * LOGIN: a managed role may name it (only streaming_replica, postgres, cnpg_* and pg_* are
 * reserved, pkg/postgres/roles.go:25-51) and, without a passwordSecret, CNPG never touches
 * its password (internal/management/controller/roles/roles.go:93-98).
 */
export const CNPG_INITDB = { database: 'app', owner: 'app' } as const;

/**
 * pg_hba.conf as CNPG writes it (pkg/postgres/configuration.go:98-131): its fixed rules
 * (peer and certificate logins of its own roles) first, then `spec.postgresql.pg_hba` in
 * order, then the catch-all `host all all all scram-sha-256`. The first matching line wins.
 */
export function cnpgPgHba(userRules: readonly string[]): string[] {
  return [
    'local all cnpg_metrics_exporter peer map=cnpg_metrics_exporter',
    'local all all peer map=local',
    'hostssl postgres streaming_replica all cert',
    'hostssl replication streaming_replica all cert',
    'hostssl all cnpg_pooler_pgbouncer all cert',
    ...userRules,
    'host all all all scram-sha-256',
  ];
}

/** The ports of an instance pod (pods.go:262-278) and a PgBouncer pod (deployments.go). */
export const CNPG_PORTS = { postgres: 5432, status: 8000, metrics: 9187, pgbouncer: 5432, pgbouncerMetrics: 9127 } as const;
