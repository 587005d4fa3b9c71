/** Guardrails specific to MySQL. */
import { connectionBudgetFindings, connectionNeeds, objectRef, type ConnectionNeeds, type Finding, type Rule } from '@db/core';
import { resolveMysql, type MysqlModel } from './model.ts';
import { SYSTEM_CONNECTION_LIMITS } from './provisioning.ts';

export const innodbClusterSoftAntiAffinity: Rule = {
  id: 'mysql-soft-anti-affinity',
  severity: 'error',
  title: 'InnoDB Cluster members are kept one per node by a required anti-affinity',
  reason:
    'On 2026-04-22 a soft (preferred) anti-affinity let the scheduler put two of three Redis pods on one node; when it went NotReady the group lost its majority. Group Replication has the same majority rule.',
  check({ objects }): Finding[] {
    return objects
      .map((r) => r.object)
      .filter((o) => o.kind === 'InnoDBCluster' && (o.spec?.instances ?? 1) > 1)
      .filter((o) => {
        const terms: any[] = o.spec?.podSpec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
        return !terms.some((t) => t.topologyKey === 'kubernetes.io/hostname');
      })
      .map((o) => ({ object: objectRef(o), message: 'members may share a node: add a required pod anti-affinity on kubernetes.io/hostname to spec.podSpec.affinity', path: ['mysql'] }));
  },
};

/**
 * Connections the platform itself needs on the server: its own logins' MAX_USER_CONNECTIONS
 * (exporter, backup and, when Vault rotates passwords, Vault; provisioning.ts) and, for an
 * InnoDB Cluster, one metadata-cache connection per MySQL Router. Root's administrative
 * session does not count: MySQL keeps one connection beyond max_connections for it.
 */
export function platformConnections(my: MysqlModel): ConnectionNeeds {
  return connectionNeeds([
    ['exporter', SYSTEM_CONNECTION_LIMITS.exporter],
    ['backup', SYSTEM_CONNECTION_LIMITS.backup],
    ...(my.users.vault ? [['Vault', SYSTEM_CONNECTION_LIMITS.vault] as [string, number]] : []),
    ...(my.topology === 'innodb-cluster' ? [['MySQL Router', my.routerInstances] as [string, number]] : []),
  ]);
}

export const connectionLimitsFit: Rule = {
  id: 'mysql-connection-limits-fit',
  severity: 'error',
  title: "MySQL tenants' connection limits fit in max_connections, beside what the platform needs",
  reason:
    'The seeds\' "too many connections" runbook: one app took every connection of a shared server and every other app failed. A limit per tenant only protects the others if the limits add up to less than the server has.',
  check({ model }): Finding[] {
    if (model.input.mysql === undefined) return [];
    const my = resolveMysql(model);
    return connectionBudgetFindings({
      object: `${my.topology === 'innodb-cluster' ? 'InnoDBCluster' : 'StatefulSet'}/${my.namespace}/${my.name}`,
      max: my.maxConnections,
      maxSetting: 'mysql.maxConnections',
      platform: platformConnections(my),
      tenants: my.tenants.map((t) => ({ limit: t.connectionLimit, path: ['tenants', t.tenant.index, 'mysql', 'connectionLimit'] })),
    });
  },
};

export const MYSQL_RULES: readonly Rule[] = [innodbClusterSoftAntiAffinity, connectionLimitsFit];
