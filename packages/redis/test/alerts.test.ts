/** The alerts: promtool checks and unit-tests them (firing and quiet case each); every alert has its runbook. */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runbookFile, toYaml } from '@db/core';
import { requirePrograms, run } from '@db/core/testing';
import { redisAlerts } from '../src/monitoring.ts';
import { removeDir, tempDir, testRedis, writeFile } from './helpers.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const programs = requirePrograms('promtool tests of the Redis alerts', ['promtool'], 'apt-get install prometheus');

/** The rules as Prometheus loads them (the PrometheusRule's spec, with the same annotations). */
function rulesFile(alerts: ReturnType<typeof redisAlerts>): string {
  return toYaml({
    groups: [
      {
        name: 'redis-redis-v2',
        rules: alerts.map((a) => ({ alert: a.alert, expr: a.expr, ...(a.for ? { for: a.for } : {}), labels: { severity: a.severity, ...a.labels } })),
      },
    ],
  });
}

describe('Redis alerts', () => {
  const standalone = redisAlerts(testRedis().redis);
  const ha = redisAlerts(testRedis('{ topology: sentinel }').redis);
  const migrating = redisAlerts(testRedis('{ topology: standalone, auth: migrating }').redis);

  it("renders the seven standalone alerts of the seeds, the restore drill's and the purge's, plus the two replica alerts with sentinels", () => {
    expect(standalone.map((a) => a.alert)).toEqual([
      'RedisDown',
      'RedisMemoryPressure',
      'RedisEvictions',
      'RedisForkLatencyHigh',
      'RedisAOFRewriteLong',
      'RedisBackupStale',
      'RedisBackupNeverSucceeded',
      'RedisRestoreDrillFailed',
      'RedisRestoreDrillStale',
      'RedisRestoreDrillStale',
      'RedisPurgeFailed',
    ]);
    expect(ha.map((a) => a.alert)).toContain('RedisReplicasMissing');
  });

  it('redis.auth migrating adds the two migration alerts; on and off have none', () => {
    expect(migrating.map((a) => a.alert).filter((a) => !standalone.some((s) => s.alert === a))).toEqual(['RedisUnauthenticatedClients', 'RedisAuthStillMigrating']);
    expect(redisAlerts(testRedis('{ topology: standalone, auth: "off" }').redis)).toEqual(standalone);
  });

  const rotating = redisAlerts(testRedis().redis, { rotation: true });
  it('scheduled password rotation adds its overdue alert', () => {
    expect(rotating.map((a) => a.alert).filter((a) => !standalone.some((s) => s.alert === a))).toEqual(['RedisPasswordRotationOverdue']);
  });

  it('every alert has a runbook at docs/runbooks/<runbookFile(alert)>', () => {
    for (const a of [...ha, ...migrating, ...rotating]) expect(existsSync(join(repoRoot, 'docs', 'runbooks', runbookFile(a.alert))), runbookFile(a.alert)).toBe(true);
  });

  it.skipIf(!programs.available)(
    'pass promtool check rules and promtool test rules',
    () => {
      const dir = tempDir('promtool');
      try {
        // Annotations are left out of the unit-test copy: promtool compares them literally, and
        // they are prose; the expressions, durations and labels are the rendered ones.
        writeFile(dir, 'redis-alerts.rules.yaml', rulesFile(standalone));
        writeFile(dir, 'redis-ha-alerts.rules.yaml', rulesFile(ha));
        copyFileSync(join(here, 'promtool', 'redis-alerts.test.yaml'), join(dir, 'redis-alerts.test.yaml'));
        run('promtool', ['check', 'rules', join(dir, 'redis-alerts.rules.yaml'), join(dir, 'redis-ha-alerts.rules.yaml')]);
        const out = run('promtool', ['test', 'rules', join(dir, 'redis-alerts.test.yaml')]);
        expect(out).toMatch(/SUCCESS/);
      } finally {
        removeDir(dir);
      }
      // Days of one-minute samples: ~40 s on a loaded 2-core machine, a budget, not a claim.
    },
    180_000,
  );

  it.skipIf(!programs.available)(
    'the redis.auth migrating alerts pass promtool check rules and promtool test rules',
    () => {
      const dir = tempDir('promtool-auth');
      try {
        writeFile(dir, 'redis-migrating-alerts.rules.yaml', rulesFile(migrating));
        copyFileSync(join(here, 'promtool', 'redis-auth-alerts.test.yaml'), join(dir, 'redis-auth-alerts.test.yaml'));
        run('promtool', ['check', 'rules', join(dir, 'redis-migrating-alerts.rules.yaml')]);
        expect(run('promtool', ['test', 'rules', join(dir, 'redis-auth-alerts.test.yaml')])).toMatch(/SUCCESS/);
      } finally {
        removeDir(dir);
      }
    },
    180_000,
  );

  it.skipIf(!programs.available)(
    'the rotation alert passes promtool check rules and promtool test rules',
    () => {
      const dir = tempDir('promtool-rotation');
      try {
        writeFile(dir, 'redis-rotation-alerts.rules.yaml', rulesFile(rotating));
        copyFileSync(join(here, 'promtool', 'redis-rotation-alerts.test.yaml'), join(dir, 'redis-rotation-alerts.test.yaml'));
        run('promtool', ['check', 'rules', join(dir, 'redis-rotation-alerts.rules.yaml')]);
        expect(run('promtool', ['test', 'rules', join(dir, 'redis-rotation-alerts.test.yaml')])).toMatch(/SUCCESS/);
      } finally {
        removeDir(dir);
      }
    },
    180_000,
  );
});
