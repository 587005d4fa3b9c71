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
