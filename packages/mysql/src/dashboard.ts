/**
 * What the MySQL dashboard shows, from mysqld_exporter v0.17.2 (the sidecar we render) with
 * the collectors this platform turns on beside its defaults (EXPORTER_COLLECTORS):
 * - `--collect.info_schema.processlist`: `mysql_info_schema_processlist_processes_by_user{mysql_user}`
 *   (collector/info_schema_processlist.go:70-73), connections per user;
 * - `--collect.info_schema.tables`: `mysql_info_schema_table_size{schema,table,component}`
 *   (collector/info_schema_tables.go:72-76), bytes per database;
 * - `--collect.sys.user_summary`: `mysql_sys_statements_total{user}` (collector/sys_user_summary.go:41-44),
 *   statements per user, from sys.x$user_summary (performance_schema, on by default in MySQL 8.4).
 * Tenants are joined on their database (`schema`) and their user (`mysql_user`, `user`).
 *
 * Grants: the standalone exporter user gets SHOW VIEW ON *.* (information_schema lists a table
 * only to a user with a privilege on it; SHOW VIEW reads no row) and SELECT ON sys.* beside
 * PROCESS (provisioning.ts). The MySQL Operator's own metrics user has PROCESS, REPLICATION CLIENT
 * and SELECT ON *.* (mysql-operator 8.4.3-2.1.5 cluster_api.py:60), and the operator passes
 * `metrics.options` to the exporter as arguments (cluster_api.py:77, 105).
 * MariaDB (the tests' stand-in for MySQL) has sys.x$user_summary, but its current_memory can be
 * negative there and mysqld_exporter v0.17.2 fails to scan it into an unsigned integer, so the
 * statements panel is checked against the exporter's source, not a MariaDB run.
 */
import { byTenant, TENANT_CONNECTION_LIMIT, type EngineDashboard } from '@db/core';
import type { MysqlModel } from './model.ts';

const ENGINE = 'mysql';

/** The exporter's collectors beside its defaults, for the per-tenant series (see above). */
export const EXPORTER_COLLECTORS = ['--collect.info_schema.processlist', '--collect.info_schema.tables', '--collect.sys.user_summary'] as const;

/** The selector of the servers' pods, as the alerts use it. */
export function serverSelector(my: MysqlModel): string {
  const pods = my.topology === 'standalone' ? `${my.name}-0` : `${my.name}-[0-9]+`;
  return `namespace="${my.namespace}", pod=~"${pods}"`;
}

/** Each tenant's connections on the server where it has the most, over its MAX_USER_CONNECTIONS (tenants with one). */
export function connectionsOverLimit(my: MysqlModel, tenants = '.*'): string {
  return `max by (tenant) (sum by (pod, mysql_user) (mysql_info_schema_processlist_processes_by_user{${serverSelector(my)}}) / on (mysql_user) group_left (tenant) ${TENANT_CONNECTION_LIMIT}{engine="${ENGINE}", tenant=~"${tenants}"})`;
}

export function mysqlDashboard(my: MysqlModel): EngineDashboard {
  const sel = serverSelector(my);
  const rate = (m: string) => `rate(${m}{${sel}}[$__rate_interval])`;
  return {
    title: 'MySQL',
    tenants: my.tenants.map((t) => ({
      tenant: t.tenant.name,
      labels: { schema: t.database, mysql_user: t.user, user: t.user },
      ...(t.connectionLimit === undefined ? {} : { connectionLimit: t.connectionLimit }),
    })),
    sections: [
      {
        title: 'Tenants',
        panels: [
          {
            title: 'Database size',
            description: 'Data and index bytes of the tables of each tenant database (mysql_info_schema_table_size), on the server that reports the most.',
            unit: 'bytes',
            perTenant: true,
            queries: [
              { expr: byTenant(ENGINE, `max by (schema) (sum by (pod, schema) (mysql_info_schema_table_size{component=~"data_length|index_length", ${sel}}))`, 'schema'), legend: '{{tenant}}' },
            ],
          },
          {
            title: 'Connections',
            description: "Connections of each tenant's user (mysql_info_schema_processlist_processes_by_user), on the server where it has the most.",
            perTenant: true,
            queries: [{ expr: byTenant(ENGINE, `max by (mysql_user) (sum by (pod, mysql_user) (mysql_info_schema_processlist_processes_by_user{${sel}}))`, 'mysql_user'), legend: '{{tenant}}' }],
          },
          {
            title: 'Connections over the connection limit',
            description: "Tenants with a connectionLimit: connections over the user's MAX_USER_CONNECTIONS. MysqlTenantConnectionsNearLimit fires above 80 %.",
            unit: 'percentunit',
            queries: [{ expr: connectionsOverLimit(my, '$tenant'), legend: '{{tenant}}' }],
          },
          {
            title: 'Statements per second',
            description: "Statements run by each tenant's user (mysql_sys_statements_total, from sys.x$user_summary).",
            unit: 'ops',
            perTenant: true,
            queries: [{ expr: byTenant(ENGINE, `sum by (user) (${rate('mysql_sys_statements_total')})`, 'user'), legend: '{{tenant}}' }],
          },
        ],
      },
      {
        title: 'Server',
        panels: [
          {
            title: 'Servers up',
            description: 'mysql_up: the exporter reaches mysqld.',
            kind: 'stat',
            queries: [{ expr: `count(mysql_up{${sel}} == 1)`, legend: 'up' }],
          },
          {
            title: 'Connections over max_connections',
            description: 'Threads connected over max_connections, per server.',
            unit: 'percentunit',
            queries: [{ expr: `max by (pod) (mysql_global_status_threads_connected{${sel}} / on (pod) mysql_global_variables_max_connections{${sel}})`, legend: '{{pod}}' }],
          },
          {
            title: 'InnoDB buffer pool hit ratio',
            description: 'Page reads served from the buffer pool, for the whole server: MySQL keeps no cache statistics per database.',
            unit: 'percentunit',
            queries: [
              {
                expr: `1 - sum by (pod) (${rate('mysql_global_status_innodb_buffer_pool_reads')}) / sum by (pod) (${rate('mysql_global_status_innodb_buffer_pool_read_requests')})`,
                legend: '{{pod}}',
              },
            ],
          },
          {
            title: 'Queries per second',
            description: 'mysql_global_status_queries, per server.',
            unit: 'ops',
            queries: [{ expr: `sum by (pod) (${rate('mysql_global_status_queries')})`, legend: '{{pod}}' }],
          },
        ],
      },
    ],
    overview: [
      {
        title: 'MySQL servers up',
        description: `mysql_up of ${my.namespace}/${my.name}.`,
        kind: 'stat',
        queries: [{ expr: `count(mysql_up{${sel}} == 1)`, legend: 'up' }],
      },
      {
        title: 'MySQL connections used',
        description: 'The fullest server: threads connected over max_connections.',
        kind: 'stat',
        unit: 'percentunit',
        queries: [{ expr: `max(mysql_global_status_threads_connected{${sel}} / on (pod) mysql_global_variables_max_connections{${sel}})`, legend: 'used' }],
      },
    ],
    backups: `backup="${my.name}"`,
  };
}
