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

/**
 * The statement CNPG's instance manager runs for a managed role it creates (CNPG 1.30.0
 * internal/management/controller/roles/postgres.go:144-160 Create, 338-382 appendRoleOptions):
 * every attribute spelled out, then `CONNECTION LIMIT` with `connectionLimit` as given (-1, the
 * default, for none; contract.go:49), and the password when the role has one (tests pass it).
 */
export function cnpgCreateRoleSql(role: Obj, password?: string): string {
  const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const flag = (on: boolean | undefined, name: string) => (on ? ` ${name}` : ` NO${name}`);
  return [
    `CREATE ROLE ${ident(role.name)}`,
    flag(role.bypassrls, 'BYPASSRLS'),
    flag(role.createdb, 'CREATEDB'),
    flag(role.createrole, 'CREATEROLE'),
    flag(role.inherit ?? true, 'INHERIT'),
    flag(role.login, 'LOGIN'),
    flag(role.replication, 'REPLICATION'),
    flag(role.superuser, 'SUPERUSER'),
    ` CONNECTION LIMIT ${role.connectionLimit ?? -1}`,
    password === undefined ? '' : ` PASSWORD '${password.replaceAll("'", "''")}'`,
  ].join('');
}

/**
 * The statement CNPG's instance manager runs when a managed role differs from its entry (a
 * retired tenant's `login: false`): CNPG 1.30.0 internal/management/controller/roles/postgres.go:114-141
 * Update, `ALTER ROLE` with every attribute (appendRoleOptions 338-382; NOLOGIN at 363-367).
 * A role without `passwordSecret` and without `disablePassword` gets no PASSWORD clause at all
 * (roles.go:93-96 sets ignorePassword; appendPasswordOption 393-396 then skips it): the
 * password Vault last set stays, the role just cannot log in.
 */
export function cnpgAlterRoleSql(role: Obj): string {
  return cnpgCreateRoleSql(role).replace(/^CREATE ROLE /, 'ALTER ROLE ');
}

/**
 * What CNPG runs for a managed role whose entry says `ensure: absent` (roles.go:170-172
 * evaluateNextRoleActions → roleDelete; postgres.go:181-200 Delete): `DROP ROLE IF EXISTS`.
 * PostgreSQL refuses it while the role owns a database; CNPG records the error and retries
 * (runnable.go:222-278), so the role goes once the Database below is dropped.
 */
export function cnpgDropRoleSql(role: Obj): string {
  return `DROP ROLE IF EXISTS "${String(role.name).replaceAll('"', '""')}"`;
}

/**
 * What CNPG runs for a Database whose spec says `ensure: absent` (database_controller.go:299-301
 * → dropDatabase, database_controller_sql.go:227-244): `DROP DATABASE IF EXISTS`, whatever the
 * reclaim policy (which only decides what deleting the object does, database_controller.go:216).
 */
export function cnpgDropDatabaseSql(database: Obj): string {
  return `DROP DATABASE IF EXISTS "${String(database.spec.name).replaceAll('"', '""')}"`;
}

/** The ports of an instance pod (pods.go:262-278) and a PgBouncer pod (deployments.go). */
export const CNPG_PORTS = { postgres: 5432, status: 8000, metrics: 9187, pgbouncer: 5432, pgbouncerMetrics: 9127 } as const;

/** The images CNPG 1.30.0 runs by default (pkg/versions/versions.go:32-35). */
export const CNPG_OPERATOR_IMAGE = 'ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0';
export const CNPG_PGBOUNCER_IMAGE = 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1';

type Obj = Record<string, any>;

/**
 * What CNPG creates for a Cluster, as plain objects (no owner references, no status): the
 * instance pods `<cluster>-<n>` (created directly, not through a StatefulSet; pkg/specs/
 * pods.go:184-207, 485-554), their PGDATA (and WAL) claims (pkg/reconciler/
 * persistentvolumeclaim/calculator.go), its ServiceAccount, the -r/-ro/-rw services
 * (pkg/specs/services.go) and its PodDisruptionBudgets (pkg/specs/poddisruptionbudget.go:
 * primary minAvailable 1; replicas minAvailable instances-2 from 3 instances). `primary` is
 * the serial of the primary; `serials` the instances that exist (CNPG never reuses a serial).
 */
export function cnpgClusterStandIn(cluster: Obj, options: { primary: number; serials?: readonly number[] }): Obj[] {
  const name: string = cluster.metadata.name;
  const namespace: string = cluster.metadata.namespace;
  const spec = cluster.spec;
  const instances: number = spec.instances ?? 1;
  const serials = options.serials ?? Array.from({ length: instances }, (_, i) => i + 1);
  const pgMajor = Number(/:(\d+)/.exec(spec.imageName ?? '')?.[1] ?? 16);
  const affinity = spec.affinity ?? {};
  const generated =
    affinity.enablePodAntiAffinity === false
      ? undefined
      : cnpgGeneratedAntiAffinity(name, affinity.podAntiAffinityType === 'required' ? 'required' : 'preferred', affinity.topologyKey ?? 'kubernetes.io/hostname');
  const podSecurityContext = spec.podSecurityContext ?? { runAsNonRoot: true, runAsUser: 26, runAsGroup: 26, fsGroup: 26, seccompProfile: spec.seccompProfile ?? { type: 'RuntimeDefault' } };
  const securityContext = {
    seccompProfile: spec.seccompProfile ?? { type: 'RuntimeDefault' },
    capabilities: { drop: ['ALL'] },
    privileged: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    ...(spec.securityContext ?? {}),
  };
  const inherited = spec.inheritedMetadata ?? {};
  const probe = (path: string, extra: Obj = {}) => ({ httpGet: { path, port: CNPG_PORTS.status }, periodSeconds: 10, timeoutSeconds: 5, ...extra });
  const out: Obj[] = [];
  for (const serial of serials) {
    const pod = `${name}-${serial}`;
    const role = serial === options.primary ? 'primary' : 'replica';
    out.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: pod,
        namespace,
        labels: {
          ...(inherited.labels ?? {}),
          'cnpg.io/cluster': name,
          'cnpg.io/instanceName': pod,
          'cnpg.io/pvcRole': 'PG_DATA',
          'app.kubernetes.io/managed-by': 'cloudnative-pg',
          'app.kubernetes.io/name': 'postgresql',
          'app.kubernetes.io/component': 'database',
        },
        annotations: { ...(inherited.annotations ?? {}) },
      },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: spec.storage?.storageClass, resources: { requests: { storage: spec.storage?.size } } },
    });
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod,
        namespace,
        // CNPG's labels, then inheritedMetadata over them (cluster_create.go:1584-1589).
        labels: { ...cnpgInstancePodLabels(name, pod, pgMajor, role), ...(inherited.labels ?? {}) },
        annotations: { ...(inherited.annotations ?? {}) },
      },
      spec: {
        hostname: pod,
        serviceAccountName: name,
        terminationGracePeriodSeconds: 1800,
        securityContext: podSecurityContext,
        affinity: { ...(generated ? { podAntiAffinity: generated } : {}), ...(affinity.nodeAffinity ? { nodeAffinity: affinity.nodeAffinity } : {}) },
        ...(affinity.tolerations ? { tolerations: affinity.tolerations } : {}),
        ...(affinity.nodeSelector ? { nodeSelector: affinity.nodeSelector } : {}),
        ...(spec.topologySpreadConstraints ? { topologySpreadConstraints: spec.topologySpreadConstraints } : {}),
        initContainers: [
          {
            name: 'bootstrap-controller',
            image: CNPG_OPERATOR_IMAGE,
            command: ['/manager', 'bootstrap', '/controller/manager'],
            resources: spec.resources ?? {},
            securityContext,
            volumeMounts: [{ name: 'scratch-data', mountPath: '/controller' }],
          },
        ],
        containers: [
          {
            name: 'postgres',
            image: spec.imageName,
            imagePullPolicy: spec.imagePullPolicy,
            command: ['/controller/manager', 'instance', 'run'],
            resources: spec.resources ?? {},
            ports: [
              { name: 'postgresql', containerPort: CNPG_PORTS.postgres, protocol: 'TCP' },
              { name: 'metrics', containerPort: CNPG_PORTS.metrics, protocol: 'TCP' },
              { name: 'status', containerPort: CNPG_PORTS.status, protocol: 'TCP' },
            ],
            startupProbe: probe('/startupz', { failureThreshold: 360 }),
            readinessProbe: probe('/readyz'),
            livenessProbe: probe('/healthz'),
            securityContext,
            volumeMounts: [
              { name: 'pgdata', mountPath: '/var/lib/postgresql/data' },
              { name: 'scratch-data', mountPath: '/run' },
              { name: 'shm', mountPath: '/dev/shm' },
            ],
          },
        ],
        volumes: [
          { name: 'pgdata', persistentVolumeClaim: { claimName: pod } },
          { name: 'scratch-data', emptyDir: {} },
          { name: 'shm', emptyDir: { medium: 'Memory' } },
        ],
      },
    });
  }
  out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  for (const s of cnpgClusterServices(name)) {
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, namespace, labels: { 'cnpg.io/cluster': name } },
      spec: { type: 'ClusterIP', selector: s.selector, ports: [{ name: 'postgres', port: 5432, targetPort: 5432, protocol: 'TCP' }] },
    });
  }
  if (spec.enablePdb !== false) {
    const pdbLabels = {
      'app.kubernetes.io/name': 'postgresql',
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/version': String(pgMajor),
      'app.kubernetes.io/component': 'database',
      'app.kubernetes.io/managed-by': 'cloudnative-pg',
    };
    out.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: `${name}-primary`, namespace, labels: pdbLabels },
      spec: { minAvailable: 1, selector: { matchLabels: { 'cnpg.io/cluster': name, 'cnpg.io/instanceRole': 'primary' } } },
    });
    if (instances >= 3)
      out.push({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, namespace, labels: pdbLabels },
        spec: { minAvailable: instances - 2, selector: { matchLabels: { 'cnpg.io/cluster': name, 'cnpg.io/instanceRole': 'replica' } } },
      });
  }
  return out;
}

/**
 * What CNPG creates for a Pooler (pkg/specs/pgbouncer/deployments.go:48-215, services.go):
 * a Deployment from `spec.template` with CNPG's labels written over it, its pod security
 * context and the pgbouncer container's replaced (UID 998, the Cluster's security context),
 * its ports named by CNPG; a Service on the pooler's name; its ServiceAccount.
 */
export function cnpgPoolerStandIn(pooler: Obj, cluster: Obj): Obj[] {
  const name: string = pooler.metadata.name;
  const namespace: string = pooler.metadata.namespace;
  const clusterName: string = cluster.metadata.name;
  const template = structuredClone(pooler.spec.template ?? { spec: { containers: [] } });
  const labels = { ...(template.metadata?.labels ?? {}), ...cnpgPoolerPodLabels(clusterName, name) };
  const seccompProfile = cluster.spec.seccompProfile ?? { type: 'RuntimeDefault' };
  const securityContext = {
    seccompProfile,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    ...(cluster.spec.securityContext ?? {}),
  };
  const containers: Obj[] = template.spec.containers ?? [];
  let bouncer = containers.find((c) => c.name === 'pgbouncer');
  if (!bouncer) {
    bouncer = { name: 'pgbouncer' };
    containers.push(bouncer);
  }
  bouncer.image ??= CNPG_PGBOUNCER_IMAGE;
  bouncer.command = ['/controller/manager', 'pgbouncer', 'run'];
  bouncer.ports = [
    ...(bouncer.ports ?? []).filter((p: Obj) => p.name !== 'pgbouncer' && p.name !== 'metrics'),
    { name: 'pgbouncer', containerPort: 5432, protocol: 'TCP' },
    { name: 'metrics', containerPort: CNPG_PORTS.pgbouncerMetrics, protocol: 'TCP' },
  ];
  bouncer.securityContext = securityContext;
  bouncer.readinessProbe ??= { tcpSocket: { port: 5432 } };
  const pod = {
    metadata: { ...(template.metadata ?? {}), labels },
    spec: {
      ...template.spec,
      serviceAccountName: name,
      securityContext: { runAsNonRoot: true, runAsUser: 998, runAsGroup: 996, fsGroup: 996, seccompProfile },
      initContainers: [
        {
          name: 'bootstrap-controller',
          image: CNPG_OPERATOR_IMAGE,
          command: ['/manager', 'bootstrap', '/controller/manager'],
          resources: template.spec.resources ?? {},
          securityContext,
          volumeMounts: [{ name: 'scratch-data', mountPath: '/controller' }],
        },
      ],
      containers,
      volumes: [...(template.spec.volumes ?? []), { name: 'scratch-data', emptyDir: {} }],
    },
  };
  delete (pod.spec as Obj).resources;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels: cnpgPoolerPodLabels(clusterName, name) },
      spec: {
        replicas: pooler.spec.instances ?? 1,
        selector: { matchLabels: cnpgPoolerSelector(name) },
        ...(pooler.spec.deploymentStrategy ? { strategy: pooler.spec.deploymentStrategy } : {}),
        template: pod,
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels: cnpgPoolerPodLabels(clusterName, name) },
      spec: { type: 'ClusterIP', selector: cnpgPoolerSelector(name), ports: [{ name: 'pgbouncer', port: 5432, targetPort: 'pgbouncer', protocol: 'TCP' }] },
    },
  ];
}
