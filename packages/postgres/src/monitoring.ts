/**
 * Metrics and alerts. CNPG serves metrics on 9187 (instances) and 9127 (PgBouncer); the
 * operator's own PodMonitor lacks the label the Prometheus CR selects on (seed 003), so the
 * platform renders its own. Alert names follow seed 004.
 */
import { Construct } from 'constructs';
import { AlertRules, drillAlerts, offboardingAlerts, PodMetrics, tenantBackupAlerts, type AlertSpec, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';
import { clusterLabels, instancePods, poolerPods } from './labels.ts';
import { connectionsOverLimit, instanceSelector } from './dashboard.ts';

export function postgresAlerts(pg: PostgresModel): AlertSpec[] {
  const sel = instanceSelector(pg);
  // The backup job pushes under the grouping key backup=<cluster name> (BackupCronJob backupName).
  // Each tenant's dump pushes under backup=<cluster name>, tenant=<tenant>; the run as a whole without a tenant.
  const backup = `job="db-backup", backup="${pg.name}", tenant=""`;
  return [
    {
      alert: 'PostgresClusterNotHealthy',
      expr: `(count(cnpg_collector_up{${sel}} == 1) or vector(0)) < ${pg.instances}`,
      for: '5m',
      severity: 'critical',
      summary: `PostgreSQL cluster ${pg.name} has unhealthy instances`,
      description: `Only {{ $value }} of ${pg.instances} instances of ${pg.namespace}/${pg.name} report healthy for 5 minutes.`,
    },
    {
      alert: 'PostgresClusterNoLeader',
      expr: `(count(cnpg_pg_replication_in_recovery{${sel}} == 0) or vector(0)) < 1`,
      for: '1m',
      severity: 'critical',
      summary: `PostgreSQL cluster ${pg.name} has no primary`,
      description: `No instance of ${pg.namespace}/${pg.name} is out of recovery: nothing accepts writes and every app through ${pg.pooler.name} fails.`,
    },
    {
      alert: 'PostgresReplicationLagHigh',
      expr: `max by (pod) (cnpg_pg_replication_lag{${sel}}) > 30`,
      for: '5m',
      severity: 'warning',
      summary: `PostgreSQL replica lags more than 30 s`,
      description: `Replica {{ $labels.pod }} of ${pg.namespace}/${pg.name} is {{ $value | humanizeDuration }} behind the primary; a failover now would lose that much.`,
    },
    {
      alert: 'PostgresConnectionsHigh',
      expr: `max by (pod) (sum by (pod) (cnpg_backends_total{${sel}}) / on (pod) max by (pod) (cnpg_pg_settings_setting{name="max_connections", ${sel}})) > 0.8`,
      for: '5m',
      severity: 'warning',
      summary: `PostgreSQL connections above 80 %`,
      description: `{{ $labels.pod }} uses {{ $value | humanizePercentage }} of max_connections. Apps should connect through ${pg.pooler.name}, not to ${pg.services.rw}.`,
    },
    {
      alert: 'PostgresTenantConnectionsNearLimit',
      expr: `${connectionsOverLimit(pg)} > 0.8`,
      for: '5m',
      severity: 'warning',
      summary: 'A PostgreSQL tenant uses over 80 % of its connection limit',
      description: `Tenant {{ $labels.tenant }} holds {{ $value | humanizePercentage }} of its role's CONNECTION LIMIT on an instance of ${pg.namespace}/${pg.name}. At the limit its new connections fail with "too many connections for role" (through ${pg.pooler.name}, clients wait in the pool).`,
    },
    {
      alert: 'PostgresBackupFailed',
      expr: `max(db_backup_last_status{${backup}}) == 0`,
      severity: 'critical',
      summary: `PostgreSQL logical backup failed`,
      description: `The last run of ${pg.namespace}/${pg.backup.name} failed; the newest good dump on NFS is older than planned.`,
    },
    {
      alert: 'PostgresBackupMissing',
      expr: `time() - max(db_backup_last_success_timestamp_seconds{${backup}}) > 25 * 3600`,
      for: '10m',
      severity: 'warning',
      summary: `No PostgreSQL backup for 25 hours`,
      description: `The last successful run of ${pg.namespace}/${pg.backup.name} was {{ $value | humanizeDuration }} ago (daily schedule "${pg.backup.schedule}" UTC).`,
    },
    {
      alert: 'PostgresBackupNeverSucceeded',
      expr: `absent(db_backup_last_success_timestamp_seconds{${backup}})`,
      for: '26h',
      severity: 'warning',
      summary: `PostgreSQL backup has never reported a success`,
      description: `${pg.namespace}/${pg.backup.name} has not pushed a success to the Pushgateway in 26 hours: the job never ran, cannot reach the Pushgateway, or always fails before it can report.`,
    },
    ...drillAlerts({ prefix: 'Postgres', title: 'PostgreSQL', backupName: pg.name, namespace: pg.namespace, cronJob: pg.backup.drill.name, schedule: pg.backup.drill.schedule }),
    ...tenantBackupAlerts({ prefix: 'Postgres', title: 'PostgreSQL', backupName: pg.name, namespace: pg.namespace, cronJob: pg.backup.name, schedule: pg.backup.schedule, staleHours: 25 }),
    ...offboardingAlerts({ prefix: 'Postgres', title: 'PostgreSQL', backupName: pg.name, namespace: pg.namespace, finalDump: true }),
  ];
}

export class PostgresMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel; model: PlatformModel }) {
    super(scope, id);
    const { pg, model } = props;
    new PodMetrics(this, 'Instances', { namespace: pg.namespace, name: pg.name, labels: clusterLabels(pg, 'database'), pods: instancePods(pg), port: 'metrics', model });
    new PodMetrics(this, 'Pooler', { namespace: pg.namespace, name: pg.pooler.name, labels: clusterLabels(pg, 'pooler'), pods: poolerPods(pg), port: 'metrics', model });
    new AlertRules(this, 'Alerts', { namespace: pg.namespace, name: `${pg.name}-alerts`, labels: clusterLabels(pg, 'database'), group: `postgres-${pg.name}`, alerts: postgresAlerts(pg), model });
  }
}
