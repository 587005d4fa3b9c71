/**
 * Metrics (redis_exporter on 9121, PodMonitor with the label the Prometheus CR selects on)
 * and the seven standalone alerts of the seeds. The sentinel topology adds the two replica
 * alerts the seeds dropped with the replicas.
 */
import { Construct } from 'constructs';
import { AlertRules, drillAlerts, offboardingAlerts, PodMetrics, type AlertSpec, type PlatformModel } from '@db/core';
import type { RedisModel } from './model.ts';
import { dataComponent, dataPods, redisLabels } from './labels.ts';
import { redisRotates, rotationAlerts } from './rotation.ts';

/** Per-connection series of redis_exporter --export-client-list (label `user`: the connection's ACL user). */
export const UNAUTHENTICATED_METRIC = 'redis_connected_clients_details';
/** Its labels that change during a connection's life (computed per scrape, exporter/clients.go:51-72): blanked at scrape so a connection is one series. */
export const CHURNING_CLIENT_LABELS = ['created_at', 'idle_since', 'omem', 'cmd', 'flags'] as const;

/** `rotation`: tenant passwords rotate on a schedule (rotation.ts), so their overdue alert is in. */
export function redisAlerts(redis: RedisModel, opts: { rotation?: boolean } = {}): AlertSpec[] {
  const sel = `namespace="${redis.namespace}", pod=~"${redis.name}-[0-9]+"`;
  const backup = `job="db-backup", backup="${redis.name}"`;
  const alerts: AlertSpec[] = [
    {
      alert: 'RedisDown',
      expr: `(max(redis_up{${sel}}) or vector(0)) == 0`,
      for: '2m',
      severity: 'critical',
      summary: `Redis ${redis.name} is down`,
      description: `No ${redis.namespace}/${redis.name} instance has answered the exporter for 2 minutes: every app behind ${redis.services.master} fails.`,
    },
    {
      alert: 'RedisMemoryPressure',
      expr: `max by (pod) (redis_memory_used_bytes{${sel}} / redis_memory_max_bytes{${sel}} > 0) > 0.8`,
      for: '5m',
      severity: 'warning',
      summary: 'Redis memory above 80 % of maxmemory',
      description: `{{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxmemory. With ${redis.maxmemoryPolicy} only keys with a TTL can be evicted; once those are gone, writes fail with OOM.`,
    },
    {
      alert: 'RedisEvictions',
      expr: `sum by (pod) (rate(redis_evicted_keys_total{${sel}}[5m])) > 0`,
      for: '10m',
      severity: 'warning',
      summary: 'Redis is evicting keys',
      description: `{{ $labels.pod }} evicts {{ $value | humanize }} keys/s: caches are being dropped to stay under maxmemory.`,
    },
    {
      alert: 'RedisForkLatencyHigh',
      expr: `max by (pod) (redis_latest_fork_seconds{${sel}}) > 0.5`,
      for: '5m',
      severity: 'warning',
      summary: 'Redis fork (BGSAVE / AOF rewrite) takes over 500 ms',
      description: `The last fork of {{ $labels.pod }} took {{ $value | humanizeDuration }}; the server is frozen that long. Slow forks on encrypted LVM caused the 2026-04-22 failover loops.`,
    },
    {
      alert: 'RedisAOFRewriteLong',
      expr: `max by (pod) (redis_aof_rewrite_in_progress{${sel}}) == 1`,
      for: '15m',
      severity: 'warning',
      summary: 'Redis AOF rewrite running for over 15 minutes',
      description: `{{ $labels.pod }} has been rewriting its AOF for 15 minutes; the disk may be saturated and fork copy-on-write memory keeps growing.`,
    },
    {
      alert: 'RedisBackupStale',
      expr: `time() - max(db_backup_last_success_timestamp_seconds{${backup}}) > 8 * 86400`,
      for: '10m',
      severity: 'warning',
      summary: 'No Redis backup for 8 days',
      description: `The last successful RDB backup of ${redis.namespace}/${redis.name} was {{ $value | humanizeDuration }} ago (weekly schedule "${redis.backup.schedule}" UTC).`,
    },
    {
      alert: 'RedisBackupNeverSucceeded',
      expr: `absent(db_backup_last_success_timestamp_seconds{${backup}})`,
      for: '8d',
      severity: 'warning',
      summary: 'Redis backup has never reported a success',
      description: `${redis.namespace}/${redis.backup.name} has not pushed a success to the Pushgateway in 8 days: the job never ran, cannot reach the Pushgateway, or always fails.`,
    },
    ...drillAlerts({ prefix: 'Redis', title: 'Redis', backupName: redis.name, namespace: redis.namespace, cronJob: redis.backup.drill.name, schedule: redis.backup.drill.schedule }),
    ...offboardingAlerts({ prefix: 'Redis', title: 'Redis', backupName: redis.name, namespace: redis.namespace, finalDump: false }),
  ];
  if (redis.auth === 'migrating') {
    const unauthenticated = `count(${UNAUTHENTICATED_METRIC}{${sel}, user="default"})`;
    alerts.push(
      {
        alert: 'RedisUnauthenticatedClients',
        expr: `${unauthenticated} > 0`,
        for: '15m',
        severity: 'warning',
        summary: 'Redis auth migration unfinished: clients still connect without a password',
        description: `{{ $value }} connections to ${redis.namespace}/${redis.name} log in as the passwordless \`default\` user (redis.auth: migrating). They will be refused once redis.auth is on: move each app to the credentials in its namespace's Secret <tenant>-redis. Which hosts: count by (host) (${UNAUTHENTICATED_METRIC}{${sel}, user="default"}).`,
      },
      {
        alert: 'RedisAuthStillMigrating',
        expr: `(max(redis_up{${sel}}) == 1) unless (${unauthenticated} > 0)`,
        for: '7d',
        severity: 'warning',
        summary: 'Redis auth migration can finish: no client has connected without a password for 7 days',
        description: `No connection to ${redis.namespace}/${redis.name} has used the passwordless \`default\` user for 7 days, yet it is still open (redis.auth: migrating). Set redis.auth: on in platform.yaml and sync.`,
      },
    );
  }
  if (redis.topology === 'sentinel') {
    alerts.push(
      {
        alert: 'RedisReplicationLagHigh',
        expr: `max by (pod) (redis_connected_slave_lag_seconds{${sel}}) > ${redis.sentinel.minReplicasMaxLag}`,
        for: '5m',
        severity: 'warning',
        summary: 'Redis replica lags behind the master',
        description: `A replica of {{ $labels.pod }} lags {{ $value }} s; past min-replicas-max-lag the master refuses writes.`,
      },
      {
        alert: 'RedisReplicasMissing',
        expr: `(max(redis_connected_slaves{${sel}}) or vector(0)) < ${redis.replicas - 1}`,
        for: '10m',
        severity: 'warning',
        summary: 'Redis master has fewer replicas than expected',
        description: `The master has {{ $value }} of ${redis.replicas - 1} replicas; one more loss and it stops taking writes (min-replicas-to-write).`,
      },
    );
  }
  if (opts.rotation) alerts.push(...rotationAlerts(redis));
  return alerts;
}

export class RedisMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: { redis: RedisModel; model: PlatformModel }) {
    super(scope, id);
    const { redis, model } = props;
    const labels = redisLabels(redis, dataComponent(redis));
    new PodMetrics(this, 'Metrics', {
      namespace: redis.namespace,
      name: redis.name,
      labels,
      pods: dataPods(redis),
      port: 'metrics',
      model,
      ...(redis.auth === 'migrating' ? { blankLabels: { metric: UNAUTHENTICATED_METRIC, labels: CHURNING_CLIENT_LABELS } } : {}),
    });
    new AlertRules(this, 'Alerts', {
      namespace: redis.namespace,
      name: `${redis.name}-alerts`,
      labels,
      group: `redis-${redis.name}`,
      alerts: redisAlerts(redis, { rotation: redisRotates(redis, model) }),
      model,
    });
  }
}
