/**
 * Metrics and alerts. mysqld_exporter serves /metrics on 9104 (the standalone sidecar, or
 * the operator's metrics sidecar); a PodMonitor carrying the Prometheus selector label
 * scrapes it. The backup alerts read what core's backup script pushes to the Pushgateway.
 */
import { Construct } from 'constructs';
import { AlertRules, drillAlerts, offboardingAlerts, PodMetrics, tenantBackupAlerts, type AlertSpec, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { mysqlLabels, serverPods } from './labels.ts';
import { connectionsOverLimit, serverSelector } from './dashboard.ts';

export function mysqlAlerts(my: MysqlModel): AlertSpec[] {
  const sel = serverSelector(my);
  const servers = my.topology === 'standalone' ? 1 : my.instances;
  // Each tenant's dump pushes under backup=<name>, tenant=<tenant>; the run as a whole without a tenant.
  const backup = `job="db-backup", backup="${my.name}", tenant=""`;
  return [
    {
      alert: 'MysqlDown',
      expr: `(count(mysql_up{${sel}} == 1) or vector(0)) < ${servers}`,
      for: '2m',
      severity: 'critical',
      summary: `MySQL ${my.name} is down`,
      description:
        my.topology === 'standalone'
          ? `The exporter of ${my.namespace}/${my.name} cannot reach mysqld (or is not scraped) for 2 minutes: every app on ${my.host} fails.`
          : `Only {{ $value }} of ${servers} InnoDB Cluster members of ${my.namespace}/${my.name} answer for 2 minutes; the group loses its majority if one more fails.`,
    },
    {
      alert: 'MysqlConnectionsHigh',
      expr: `max by (pod) (mysql_global_status_threads_connected{${sel}} / on (pod) mysql_global_variables_max_connections{${sel}}) > 0.8`,
      for: '5m',
      severity: 'warning',
      summary: 'MySQL connections above 80 %',
      description: `{{ $labels.pod }} uses {{ $value | humanizePercentage }} of max_connections (${my.maxConnections}); new connections fail at 100 %. Look for an app leaking connections.`,
    },
    {
      alert: 'MysqlSlowQueries',
      expr: `sum by (pod) (rate(mysql_global_status_slow_queries{${sel}}[5m])) > 0.1`,
      for: '15m',
      severity: 'warning',
      summary: 'MySQL runs many slow queries',
      description: `{{ $labels.pod }} logs {{ $value | humanize }} queries per second slower than long_query_time (1 s) for 15 minutes; see the slow log.`,
    },
    {
      alert: 'MysqlTenantConnectionsNearLimit',
      expr: `${connectionsOverLimit(my)} > 0.8`,
      for: '5m',
      severity: 'warning',
      summary: 'A MySQL tenant uses over 80 % of its connection limit',
      description: `Tenant {{ $labels.tenant }} holds {{ $value | humanizePercentage }} of its user's MAX_USER_CONNECTIONS on ${my.namespace}/${my.name}. At the limit its new connections fail with error 1226 (max_user_connections).`,
    },
    {
      alert: 'MysqlBackupFailed',
      expr: `max(db_backup_last_status{${backup}}) == 0`,
      severity: 'critical',
      summary: 'MySQL logical backup failed',
      description: `The last run of ${my.namespace}/${my.backup.name} failed; the newest good dump on NFS is older than planned.`,
    },
    {
      alert: 'MysqlBackupStale',
      expr: `time() - max(db_backup_last_success_timestamp_seconds{${backup}}) > 25 * 3600`,
      for: '10m',
      severity: 'warning',
      summary: 'No MySQL backup for 25 hours',
      description: `The last successful run of ${my.namespace}/${my.backup.name} was {{ $value | humanizeDuration }} ago (daily schedule "${my.backup.schedule}" UTC).`,
    },
    {
      alert: 'MysqlBackupNeverSucceeded',
      expr: `absent(db_backup_last_success_timestamp_seconds{${backup}})`,
      for: '26h',
      severity: 'warning',
      summary: 'MySQL backup has never reported a success',
      description: `${my.namespace}/${my.backup.name} has not pushed a success to the Pushgateway in 26 hours: the job never ran, cannot reach the Pushgateway, or always fails before it can report.`,
    },
    ...drillAlerts({ prefix: 'Mysql', title: 'MySQL', backupName: my.name, namespace: my.namespace, cronJob: my.backup.drill.name, schedule: my.backup.drill.schedule }),
    ...tenantBackupAlerts({ prefix: 'Mysql', title: 'MySQL', backupName: my.name, namespace: my.namespace, cronJob: my.backup.name, schedule: my.backup.schedule, staleHours: 25 }),
    ...offboardingAlerts({ prefix: 'Mysql', title: 'MySQL', backupName: my.name, namespace: my.namespace, finalDump: true }),
  ];
}

export class MysqlMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: { my: MysqlModel; model: PlatformModel }) {
    super(scope, id);
    const { my, model } = props;
    new PodMetrics(this, 'Servers', { namespace: my.namespace, name: my.name, labels: mysqlLabels(my, 'database'), pods: serverPods(my), port: 'metrics', model });
    new AlertRules(this, 'Alerts', { namespace: my.namespace, name: `${my.name}-alerts`, labels: mysqlLabels(my, 'database'), group: `mysql-${my.name}`, alerts: mysqlAlerts(my), model });
  }
}
