/**
 * What the MySQL Operator for Kubernetes 8.4.3-2.1.5 does with the fields we set on an
 * InnoDBCluster, as its source does it (mysql/mysql-operator@8.4.3-2.1.5). We cannot run the
 * operator here (it is Python, not on a registry), so its behaviour is pinned in code and
 * tests (test/operator-contract.test.ts) and stood in for on the simulated control plane.
 * Bumping the operator means re-reading these lines.
 */

/**
 * Labels the operator gives the mysqld pod template, equal to the StatefulSet's
 * `selector.matchLabels`: mysqloperator/controller/innodbcluster/cluster_objects.py:200-226.
 */
export function operatorServerPodLabels(cluster: string): Record<string, string> {
  return {
    component: 'mysqld',
    tier: 'mysql',
    'mysql.oracle.com/cluster': cluster,
    'mysql.oracle.com/instance-type': 'group-member',
    'app.kubernetes.io/name': 'mysql-innodbcluster-mysql-server',
    'app.kubernetes.io/instance': `mysql-innodbcluster-${cluster}-mysql-server`,
    'app.kubernetes.io/component': 'database',
    'app.kubernetes.io/managed-by': 'mysql-operator',
    'app.kubernetes.io/created-by': 'mysql-operator',
  };
}

/** Router pod template labels = the router Deployment's selector: router_objects.py:145-165. */
export function operatorRouterPodLabels(cluster: string): Record<string, string> {
  return {
    component: 'mysqlrouter',
    tier: 'mysql',
    'mysql.oracle.com/cluster': cluster,
    'app.kubernetes.io/name': 'mysql-router',
    'app.kubernetes.io/instance': `mysql-innodbcluster-${cluster}-router`,
    'app.kubernetes.io/component': 'router',
    'app.kubernetes.io/managed-by': 'mysql-operator',
    'app.kubernetes.io/created-by': 'mysql-operator',
  };
}

/**
 * Label keys the operator owns on its pods. `spec.podLabels` and `spec.router.podLabels` are
 * merge-patched over the template (cluster_objects.py:523-547, router_objects.py:252-259, with
 * utils.merge_patch_object, utils.py:75-134, which overwrites scalar keys), while the
 * selector is never patched: setting one of these keys to another value makes the API server
 * refuse the StatefulSet or Deployment (selector does not match template labels).
 */
export function isOperatorOwnedLabel(key: string): boolean {
  return key === 'component' || key === 'tier' || key.startsWith('mysql.oracle.com/') || ['name', 'instance', 'component', 'managed-by', 'created-by'].some((k) => key === `app.kubernetes.io/${k}`);
}

/**
 * `utils.merge_patch_object` (utils.py:75-134): dicts merge recursively, scalars and lists of
 * strings are replaced, lists of dicts merge by `name` (patched when the name matches,
 * appended otherwise).
 */
export function mergePatchObject(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    const old = base[k];
    if (isDict(v) && isDict(old)) mergePatchObject(old, v);
    else if (Array.isArray(v) && Array.isArray(old) && v.every(isDict) && old.every(isDict)) {
      for (const item of v as Record<string, unknown>[]) {
        const match = (old as Record<string, unknown>[]).find((o) => o.name === item.name);
        if (match) mergePatchObject(match, item);
        else old.push(structuredClone(item));
      }
    } else base[k] = structuredClone(v);
  }
  return base;
}

const isDict = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The keys of the Secret `spec.secretName` the operator reads: `rootPassword` (required: the
 * `initmysql` init container takes MYSQL_ROOT_PASSWORD from it, cluster_objects.py:332-336;
 * the sidecar raises without it, sidecar_main.py:242-264), `rootUser` (default root) and
 * `rootHost` (default %).
 */
export const ROOT_SECRET_KEYS = { password: 'rootPassword', user: 'rootUser', host: 'rootHost' } as const;

type Obj = Record<string, any>;

/** Ports of the server and router pods (mysqloperator/controller/innodbcluster/cluster_api.py:1102-1113). */
export const OPERATOR_PORTS = { mysql: 3306, mysqlx: 33060, grXcom: 33061, routerRw: 6446, routerRo: 6447, routerXrw: 6448, routerXro: 6449, routerRwSplit: 6450, routerHttp: 8443 } as const;

/**
 * What the MySQL Operator 8.4.3-2.1.5 creates for an InnoDBCluster, as plain objects: the
 * server StatefulSet (prepare_cluster_stateful_set, cluster_objects.py:153-553, with
 * `podLabels`, `podAnnotations`, `podSpec` and `datadirVolumeClaimTemplate` merged in by
 * merge_patch_object), its headless `<name>-instances` service (:23-72), its PDB (:95-111),
 * the sidecar ServiceAccount and RoleBinding (:563-603), the router Deployment
 * (prepare_router_deployment, router_objects.py:118-295) and the `<name>` service in front of
 * the routers. The operator's own `fixdatadir` init container runs as root with CHOWN and
 * FOWNER, which PodSecurity `baseline` allows and `restricted` does not.
 */
export function innoDbClusterStandIn(ic: Obj): Obj[] {
  const name: string = ic.metadata.name;
  const namespace: string = ic.metadata.namespace;
  const spec = ic.spec;
  const repo = spec.imageRepository ?? 'container-registry.oracle.com/mysql';
  const operatorImage = `${repo}/community-operator:8.4.3-2.1.5`;
  const mysqlImage = `${repo}/community-server:${spec.version}`;
  const routerImage = `${repo}/community-router:${spec.router?.version ?? spec.version}`;
  const sa = `${name}-sidecar-sa`;
  const dropAll = { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  const emptyDirs = ['mycnfdata', 'rundir', 'varlibmysqlfiles', 'shellhome', 'initconf-tmp', 'initmysql-tmp', 'mysql-tmp', 'sidecar-tmp'].map((n) => ({ name: n, emptyDir: {} }));
  const serverLabels = operatorServerPodLabels(name);
  const template: Obj = {
    metadata: { annotations: {}, labels: { ...serverLabels } },
    spec: {
      subdomain: name,
      readinessGates: [{ conditionType: 'mysql.oracle.com/configured' }, { conditionType: 'mysql.oracle.com/ready' }],
      serviceAccountName: sa,
      securityContext: { runAsUser: 27, runAsGroup: 27, fsGroup: 27 },
      terminationGracePeriodSeconds: 120,
      initContainers: [
        {
          name: 'fixdatadir',
          image: operatorImage,
          command: ['bash', '-c', 'chown 27:27 /var/lib/mysql && chmod 0700 /var/lib/mysql'],
          securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { add: ['CHOWN', 'FOWNER'], drop: ['ALL'] } },
          volumeMounts: [{ name: 'datadir', mountPath: '/var/lib/mysql' }],
        },
        {
          name: 'initconf',
          image: operatorImage,
          command: ['mysqlsh', '--pym', 'mysqloperator', 'init'],
          securityContext: dropAll,
          volumeMounts: [
            { name: 'initconfdir', mountPath: '/mnt/initconf', readOnly: true },
            { name: 'datadir', mountPath: '/var/lib/mysql' },
            { name: 'mycnfdata', mountPath: '/mnt/mycnfdata' },
            { name: 'initconf-tmp', mountPath: '/tmp' },
          ],
        },
        {
          name: 'initmysql',
          image: mysqlImage,
          args: ['mysqld', '--user=mysql'],
          securityContext: dropAll,
          env: [
            { name: 'MYSQL_INITIALIZE_ONLY', value: '1' },
            { name: 'MYSQL_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: spec.secretName, key: ROOT_SECRET_KEYS.password } } },
          ],
          volumeMounts: [
            { name: 'datadir', mountPath: '/var/lib/mysql' },
            { name: 'rundir', mountPath: '/var/run/mysqld' },
            { name: 'initmysql-tmp', mountPath: '/tmp' },
          ],
        },
      ],
      containers: [
        {
          name: 'sidecar',
          image: operatorImage,
          command: ['mysqlsh', '--pym', 'mysqloperator', 'sidecar'],
          securityContext: dropAll,
          volumeMounts: [
            { name: 'rundir', mountPath: '/var/run/mysqld' },
            { name: 'shellhome', mountPath: '/mysqlsh' },
            { name: 'sidecar-tmp', mountPath: '/tmp' },
          ],
        },
        {
          name: 'mysql',
          image: mysqlImage,
          args: ['mysqld', '--user=mysql'],
          securityContext: dropAll,
          startupProbe: { exec: { command: ['/livenessprobe.sh', '8'] }, initialDelaySeconds: 5, periodSeconds: 3, failureThreshold: 10000 },
          readinessProbe: { exec: { command: ['/readinessprobe.sh'] }, periodSeconds: 5, initialDelaySeconds: 10, failureThreshold: 10000 },
          livenessProbe: { exec: { command: ['/livenessprobe.sh'] }, initialDelaySeconds: 15, periodSeconds: 15, failureThreshold: 10 },
          ports: [
            { containerPort: OPERATOR_PORTS.mysql, name: 'mysql' },
            { containerPort: OPERATOR_PORTS.mysqlx, name: 'mysqlx' },
            { containerPort: OPERATOR_PORTS.grXcom, name: 'gr-xcom' },
          ],
          volumeMounts: [
            { name: 'datadir', mountPath: '/var/lib/mysql' },
            { name: 'rundir', mountPath: '/var/run/mysqld' },
            { name: 'mysql-tmp', mountPath: '/tmp' },
          ],
        },
        // metrics.enable adds the exporter (cluster_api.py:53-67, 133-175).
        ...(spec.metrics?.enable
          ? [
              {
                name: 'metrics',
                image: spec.metrics.image,
                args: [...(spec.metrics.options ?? [])],
                securityContext: { ...dropAll, runAsUser: 2, runAsGroup: 27 },
                ports: [{ containerPort: 9104, name: 'metrics' }],
              },
            ]
          : []),
      ],
      volumes: [...emptyDirs, { name: 'initconfdir', configMap: { name: `${name}-initconf`, defaultMode: 0o755 } }],
    },
  };
  const metadata: Obj = {};
  if (spec.podAnnotations) metadata.annotations = spec.podAnnotations;
  if (spec.podLabels) metadata.labels = spec.podLabels;
  if (Object.keys(metadata).length > 0) mergePatchObject(template, { metadata });
  if (spec.podSpec) mergePatchObject(template.spec, spec.podSpec);
  const claim: Obj = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } };
  if (spec.datadirVolumeClaimTemplate) mergePatchObject(claim, spec.datadirVolumeClaimTemplate);

  const routerLabels = operatorRouterPodLabels(name);
  const router: Obj = {
    metadata: { labels: { ...routerLabels } },
    spec: {
      serviceAccountName: sa,
      securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
      containers: [
        {
          name: 'router',
          image: routerImage,
          securityContext: dropAll,
          ports: [
            { containerPort: OPERATOR_PORTS.routerRw, name: 'mysqlrw' },
            { containerPort: OPERATOR_PORTS.routerXrw, name: 'mysqlxrw' },
            { containerPort: OPERATOR_PORTS.routerRwSplit, name: 'mysqlrwsplit' },
            { containerPort: OPERATOR_PORTS.routerRo, name: 'mysqlro' },
            { containerPort: OPERATOR_PORTS.routerXro, name: 'mysqlxro' },
            { containerPort: OPERATOR_PORTS.routerHttp, name: 'http' },
          ],
          readinessProbe: { exec: { command: ['cat', '/tmp/mysqlrouter/mysqlrouter.conf'] } },
          livenessProbe: { failureThreshold: 3, httpGet: { path: '/api/20190715/swagger.json', port: 'http', scheme: 'HTTPS' }, periodSeconds: 10, timeoutSeconds: 1 },
          volumeMounts: [{ name: 'tmpdir', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmpdir', emptyDir: {} }],
    },
  };
  const routerMeta: Obj = {};
  if (spec.router?.podAnnotations) routerMeta.annotations = spec.router.podAnnotations;
  if (spec.router?.podLabels) routerMeta.labels = spec.router.podLabels;
  if (Object.keys(routerMeta).length > 0) mergePatchObject(router, { metadata: routerMeta });
  if (spec.router?.podSpec) mergePatchObject(router.spec, spec.router.podSpec);

  const port = (n: string, p: number, target = p) => ({ name: n, port: p, targetPort: target, protocol: 'TCP' });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${name}-sidecar-rb`, namespace },
      subjects: [{ kind: 'ServiceAccount', name: sa }],
      roleRef: { kind: 'ClusterRole', name: 'mysql-sidecar', apiGroup: 'rbac.authorization.k8s.io' },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-initconf`, namespace }, data: {} },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}-instances`, namespace, labels: { tier: 'mysql', 'mysql.oracle.com/cluster': name, 'mysql.oracle.com/instance-type': 'group-member' } },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        ports: [port('mysql', 3306), port('mysqlx', 33060), port('gr-xcom', 33061)],
        selector: { component: 'mysqld', tier: 'mysql', 'mysql.oracle.com/cluster': name, 'mysql.oracle.com/instance-type': 'group-member' },
        type: 'ClusterIP',
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace, labels: { tier: 'mysql', 'mysql.oracle.com/cluster': name, 'app.kubernetes.io/name': 'mysql-innodbcluster' } },
      spec: {
        serviceName: `${name}-instances`,
        replicas: spec.instances,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: serverLabels },
        template,
        volumeClaimTemplates: [{ metadata: { name: 'datadir' }, spec: claim }],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: `${name}-pdb`, namespace },
      spec: { maxUnavailable: 1, selector: { matchLabels: { component: 'mysqld', tier: 'mysql', 'mysql.oracle.com/cluster': name } } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels: { tier: 'mysql', 'mysql.oracle.com/cluster': name } },
      spec: {
        ports: [
          port('mysql', 3306, OPERATOR_PORTS.routerRw),
          port('mysqlx', 33060, OPERATOR_PORTS.routerXrw),
          port('mysql-alternate', 6446),
          port('mysqlx-alternate', 6448),
          port('mysql-ro', 6447),
          port('mysqlx-ro', 6449),
          port('mysql-rw-split', 6450),
          port('router-rest', 8443),
        ],
        selector: { component: 'mysqlrouter', tier: 'mysql', 'mysql.oracle.com/cluster': name },
        type: spec.service?.type ?? 'ClusterIP',
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${name}-router`, namespace },
      spec: { replicas: spec.router?.instances ?? 1, selector: { matchLabels: routerLabels }, template: router },
    },
  ];
}
