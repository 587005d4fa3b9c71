/**
 * What the PostgreSQL dashboard shows. Every series comes from what CloudNativePG 1.30.0's
 * instance manager exports on :9187: its default monitoring queries
 * (config/manager/default-monitoring.yaml: `backends`, `pg_database`, `pg_stat_database`,
 * `pg_settings`, `pg_replication`, named `cnpg_<query>_<column>`), its own collector
 * (`cnpg_collector_up`, pkg/management/postgres/webserver/metricserver/pg_collector.go:133) and
 * PgBouncer's pools on :9127 (`cnpg_pgbouncer_pools_*{database,user}`,
 * pkg/management/pgbouncer/metricsserver/pools.go:94-170). Tenants are joined on their database
 * (`datname`, the pooler's `database`) and their role (`usename`, the pooler's `user`).
 */
import { byTenant, TENANT_CONNECTION_LIMIT, type EngineDashboard, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';

const ENGINE = 'postgres';

/** The selector of the cluster's instance pods, as the alerts use it. */
export const instanceSelector = (pg: PostgresModel) => `namespace="${pg.namespace}", pod=~"${pg.name}-[0-9]+"`;

/** Each tenant's connections on the instance where it has the most, over its CONNECTION LIMIT (tenants with one). */
export function connectionsOverLimit(pg: PostgresModel, tenants = '.*'): string {
  return `max by (tenant) (sum by (pod, usename) (cnpg_backends_total{${instanceSelector(pg)}}) / on (usename) group_left (tenant) ${TENANT_CONNECTION_LIMIT}{engine="${ENGINE}", tenant=~"${tenants}"})`;
}

export function postgresDashboard(pg: PostgresModel, _model: PlatformModel): EngineDashboard {
  const sel = instanceSelector(pg);
  const pooler = `namespace="${pg.namespace}", pod=~"${pg.pooler.name}-.+"`;
  const rate = (m: string) => `rate(${m}{${sel}}[$__rate_interval])`;
  return {
    title: 'PostgreSQL',
    tenants: pg.tenants.map((t) => ({
      tenant: t.tenant.name,
      labels: { datname: t.database, usename: t.role, database: t.database, user: t.role },
      ...(t.connectionLimit === undefined ? {} : { connectionLimit: t.connectionLimit }),
    })),
    sections: [
      {
        title: 'Tenants',
        panels: [
          {
            title: 'Database size',
            description: 'pg_database_size of each tenant database (cnpg_pg_database_size_bytes), on the instance that reports the most.',
            unit: 'bytes',
            perTenant: true,
            queries: [{ expr: byTenant(ENGINE, `max by (datname) (cnpg_pg_database_size_bytes{${sel}})`, 'datname'), legend: '{{tenant}}' }],
          },
          {
            title: 'Connections',
            description: "Server connections of each tenant's role (cnpg_backends_total by usename), on the instance where it has the most: through PgBouncer these are its pool's server connections.",
            perTenant: true,
            queries: [{ expr: byTenant(ENGINE, `max by (usename) (sum by (pod, usename) (cnpg_backends_total{${sel}}))`, 'usename'), legend: '{{tenant}}' }],
          },
          {
            title: 'Connections over the connection limit',
            description: "Tenants with a connectionLimit: connections over the role's CONNECTION LIMIT. PostgresTenantConnectionsNearLimit fires above 80 %.",
            unit: 'percentunit',
            queries: [{ expr: connectionsOverLimit(pg, '$tenant'), legend: '{{tenant}}' }],
          },
          {
            title: 'Transactions per second',
            description: 'Commits and rollbacks in each tenant database (cnpg_pg_stat_database_xact_commit + xact_rollback), all instances.',
            unit: 'ops',
            perTenant: true,
            queries: [
              {
                expr: byTenant(ENGINE, `sum by (datname) (${rate('cnpg_pg_stat_database_xact_commit')} + ${rate('cnpg_pg_stat_database_xact_rollback')})`, 'datname'),
                legend: '{{tenant}}',
              },
            ],
          },
          {
            title: 'Cache hit ratio',
            description: 'Blocks found in shared buffers over all blocks read, per tenant database (cnpg_pg_stat_database_blks_hit and blks_read). Empty while a database reads nothing.',
            unit: 'percentunit',
            perTenant: true,
            queries: [
              {
                expr: byTenant(
                  ENGINE,
                  `(sum by (datname) (${rate('cnpg_pg_stat_database_blks_hit')}) / (sum by (datname) (${rate('cnpg_pg_stat_database_blks_hit')}) + sum by (datname) (${rate('cnpg_pg_stat_database_blks_read')})))`,
                  'datname',
                ),
                legend: '{{tenant}}',
              },
            ],
          },
          {
            title: 'Transaction ID age',
            description: 'Age of the oldest unfrozen transaction ID of each tenant database (cnpg_pg_database_xid_age): wraparound stops writes at 2^31.',
            perTenant: true,
            queries: [{ expr: byTenant(ENGINE, `max by (datname) (cnpg_pg_database_xid_age{${sel}})`, 'datname'), legend: '{{tenant}}' }],
          },
          {
            title: 'Clients waiting in PgBouncer',
            description:
              'Clients waiting for a server connection in the pooler, per tenant database (cnpg_pgbouncer_pools_cl_waiting): a tenant at its connection limit queues here instead of failing.',
            queries: [{ expr: byTenant(ENGINE, `sum by (database) (cnpg_pgbouncer_pools_cl_waiting{${pooler}})`, 'database'), legend: '{{tenant}}' }],
          },
        ],
      },
      {
        title: 'Cluster',
        panels: [
          {
            title: 'Instances up',
            description: `Instances of ${pg.namespace}/${pg.name} whose metrics collector reaches PostgreSQL (cnpg_collector_up), of ${pg.instances}.`,
            kind: 'stat',
            queries: [{ expr: `count(cnpg_collector_up{${sel}} == 1)`, legend: 'up' }],
          },
          {
            title: 'Replication lag',
            description: 'Seconds each replica is behind the primary (cnpg_pg_replication_lag).',
            unit: 's',
            queries: [{ expr: `max by (pod) (cnpg_pg_replication_lag{${sel}})`, legend: '{{pod}}' }],
          },
          {
            title: 'Connections over max_connections',
            description: 'All connections of each instance over its max_connections.',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (pod) (cnpg_backends_total{${sel}}) / on (pod) max by (pod) (cnpg_pg_settings_setting{name="max_connections", ${sel}})`,
                legend: '{{pod}}',
              },
            ],
          },
        ],
      },
    ],
    overview: [
      {
        title: 'PostgreSQL instances up',
        description: `cnpg_collector_up of ${pg.namespace}/${pg.name}, of ${pg.instances}.`,
        kind: 'stat',
        queries: [{ expr: `count(cnpg_collector_up{${sel}} == 1)`, legend: 'up' }],
      },
      {
        title: 'PostgreSQL primary',
        description: 'Instances out of recovery: exactly 1.',
        kind: 'stat',
        queries: [{ expr: `count(cnpg_pg_replication_in_recovery{${sel}} == 0)`, legend: 'primary' }],
      },
      {
        title: 'PostgreSQL replication lag',
        description: 'The largest lag of a replica.',
        kind: 'stat',
        unit: 's',
        queries: [{ expr: `max(cnpg_pg_replication_lag{${sel}})`, legend: 'lag' }],
      },
    ],
    backups: `backup="${pg.name}"`,
  };
}
