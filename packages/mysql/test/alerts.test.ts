/** The MySQL alerts: promtool accepts the rendered rules, and each alert fires when it must and only then. */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runbookFile } from '@db/core';
import { requirePrograms, run } from '@db/core/testing';
import { resolveMysql } from '../src/model.ts';
import { mysqlAlerts } from '../src/monitoring.ts';
import { clusterModel, REPO_ROOT } from './helpers.ts';

const promtool = requirePrograms('promtool checks of the MySQL alerts', ['promtool'], 'apt-get install prometheus');
const prod = resolveMysql(clusterModel('prod'));
const lab = resolveMysql(clusterModel('lab'));

describe('MySQL alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-platform-mysql-alerts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cover down, connections, slow queries and backups (the run and each tenant) and restore drills, each with a runbook', () => {
    for (const my of [prod, lab]) {
      const alerts = mysqlAlerts(my);
      expect(alerts.map((a) => a.alert)).toEqual([
        'MysqlDown',
        'MysqlConnectionsHigh',
        'MysqlSlowQueries',
        'MysqlTenantConnectionsNearLimit',
        'MysqlBackupFailed',
        'MysqlBackupStale',
        'MysqlBackupNeverSucceeded',
        'MysqlRestoreDrillFailed',
        'MysqlRestoreDrillStale',
        'MysqlRestoreDrillStale',
        'MysqlTenantBackupFailed',
        'MysqlTenantBackupStale',
        'MysqlTenantBackupNeverSucceeded',
        'MysqlFinalDumpFailed',
        'MysqlPurgeFailed',
      ]);
      for (const a of alerts) expect(existsSync(join(REPO_ROOT, 'docs', 'runbooks', runbookFile(a.alert))), `runbook of ${a.alert}`).toBe(true);
    }
  });

  it.skipIf(!promtool.available)('pass promtool check rules (both topologies)', () => {
    for (const [name, my] of [
      ['prod', prod],
      ['lab', lab],
    ] as const) {
      const file = join(dir, `${name}.rules.yaml`);
      const rules = mysqlAlerts(my).map((a) => ({
        alert: a.alert,
        expr: a.expr,
        ...(a.for ? { for: a.for } : {}),
        labels: { severity: a.severity, ...a.labels },
        annotations: { summary: a.summary, description: a.description, runbook_url: `https://example.com/${runbookFile(a.alert)}` },
      }));
      writeFileSync(file, stringify({ groups: [{ name: `mysql-${name}`, rules }] }));
      expect(run('promtool', ['check', 'rules', file])).toMatch(/SUCCESS: 15 rules found/);
    }
  });

  it.skipIf(!promtool.available)(
    'pass promtool test rules: each fires and stays quiet when it should',
    () => {
      // Annotations are left out: the unit tests are about when an alert fires.
      const rules = mysqlAlerts(prod).map((a) => ({ alert: a.alert, expr: a.expr, ...(a.for ? { for: a.for } : {}), labels: { severity: a.severity, ...a.labels } }));
      writeFileSync(join(dir, 'mysql-alerts.rules.yaml'), stringify({ groups: [{ name: 'mysql', rules }] }));
      copyFileSync(join(import.meta.dirname, 'alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
      expect(run('promtool', ['test', 'rules', join(dir, 'alerts.promtool.yaml')])).toMatch(/SUCCESS/);
    },
    60_000,
  );
});
