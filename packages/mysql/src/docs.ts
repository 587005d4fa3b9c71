/** What the generated docs say about MySQL: endpoints, tenants, credentials, backups, diagram. */
import { finalDumpDoc, offboardingDocs, retentionText, type EngineDocs, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { MYSQL_PORT } from './standalone.ts';

export function mysqlDocs(my: MysqlModel, model: PlatformModel): EngineDocs {
  const cluster = my.topology === 'innodb-cluster';
  const server = cluster ? 'mysql_router' : 'mysql_server';
  return {
    title: 'MySQL',
    handManagedUsers: model.services.secretGeneration ? [] : ['backup', 'exporter'],
    summary: cluster
      ? `InnoDB Cluster \`${my.name}\` in \`${my.namespace}\` through the MySQL Operator: MySQL ${my.version}, ${my.instances} Group Replication members (required anti-affinity, one per node) behind ${my.routerInstances} MySQL Router replicas, on \`${my.storage.storageClass}\` (${my.storage.size} each), ${my.resources.memory} request / ${my.resources.memoryLimit} limit.`
      : `Standalone StatefulSet \`${my.name}\` in \`${my.namespace}\` (InnoDB Cluster was reverted to standalone on 2026-04-16): MySQL ${my.version} (\`${my.image}\`) on \`${my.storage.storageClass}\` (${my.storage.size}), ${my.resources.memory} request / ${my.resources.memoryLimit} limit.`,
    endpoints: [
      { host: my.host, port: MYSQL_PORT, purpose: cluster ? 'Apps: MySQL Router, read/write to the current primary' : 'Apps: the MySQL server (the name never changes)' },
      ...(cluster ? [{ host: my.host, port: 6447, purpose: 'Read-only queries, routed to the secondaries' }] : []),
    ],
    users: my.tenants.map((t) => ({
      tenant: t.tenant.name,
      namespace: t.tenant.namespace,
      what: `database \`${t.database}\`, user \`${t.user}\` (this database only)${t.connectionLimit !== undefined ? `, at most ${t.connectionLimit} connections` : ''}`,
      connectsTo: `${my.host}:${MYSQL_PORT}`,
      node: server,
    })),
    // A retired tenant's login is no longer rotated or delivered (Retired tenants).
    credentials: my.tenants
      .filter((t) => t.state === 'active')
      .map((t) => ({
        tenant: t.tenant.name,
        principal: `MySQL user \`${t.user}\``,
        rotated: t.rotate,
        ...(t.rotationPeriod ? { rotationPeriod: t.rotationPeriod } : {}),
        ...(t.rotateReason ? { reason: t.rotateReason } : {}),
        ...(t.pushPassword?.every ? { pushEvery: t.pushPassword?.every } : {}),
      })),
    backups: [
      {
        what: `MySQL \`${my.name}\`: one \`mysqldump --single-transaction\` per tenant database (folder \`<tenant>/\`, with a manifest; no CREATE DATABASE, so it restores into any name) as the read-only user \`${my.users.backup}\`, gzip`,
        schedule: my.backup.schedule,
        target: `${model.backups.nfs.server}:${my.backup.path}`,
        retention: retentionText(
          my.backup.keep,
          my.tenants.map((t) => [t.tenant.name, t.backupKeep]),
        ),
        job: `${my.namespace}/${my.backup.name}`,
        engine: 'mysql',
        tenants: my.tenants.map((t) => ({ tenant: t.tenant.name, folder: `${my.backup.path}/${t.tenant.name}/`, keep: t.backupKeep })),
        drill: { job: `${my.namespace}/${my.backup.drill.name}`, alert: 'MysqlRestoreDrillFailed' },
      },
    ],
    offboarding: offboardingDocs('mysql', my.namespace, my.tenants, (t) => ({
      retired: `user \`${t.user}\` ACCOUNT LOCK (provisioning Job); no network path from \`${t.tenant.namespace}\`; no Vault static role, Secret sync or push job; database \`${t.database}\` kept`,
      purged: `database \`${t.database}\` and user \`${t.user}\` dropped`,
      finalDump: finalDumpDoc('mysql', my.namespace, t.tenant, my.backup.path, 'sql.gz'),
      purgeJob: '(DROP DATABASE, DROP USER)',
    })),
    graph: {
      nodes: cluster
        ? [
            { id: 'mysql_router', label: `MySQL Router x${my.routerInstances}<br/>${my.name}.${my.namespace}` },
            { id: 'mysql_cluster', label: `InnoDB Cluster<br/>${my.instances} instances, MySQL ${my.version}` },
            { id: 'mysql_backup', label: `mysqldump<br/>${my.backup.schedule} UTC` },
          ]
        : [
            { id: 'mysql_server', label: `MySQL ${my.version} standalone<br/>${my.name}.${my.namespace}` },
            { id: 'mysql_backup', label: `mysqldump<br/>${my.backup.schedule} UTC` },
          ],
      edges: cluster
        ? [
            { from: 'mysql_router', to: 'mysql_cluster' },
            { from: 'mysql_backup', to: 'mysql_router', dotted: true },
          ]
        : [{ from: 'mysql_backup', to: 'mysql_server', dotted: true }],
    },
  };
}
