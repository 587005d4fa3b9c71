import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runbookFile } from '@db/core';
import { requirePrograms, synthEngine, findObject, promtoolCheckAndTest, coveredAlerts } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { resolvePostgres } from '../src/model.ts';
import { postgresAlerts } from '../src/monitoring.ts';
import { prodLike } from './helpers.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const testFile = join(here, 'alerts.promtool.yaml');
const model = prodLike();
const rule = findObject(synthEngine(postgresEngine, model), 'PrometheusRule', 'pg-cluster-alerts');
const alerts = postgresAlerts(resolvePostgres(model));

describe('PostgreSQL alerts', () => {
  it('include the six alerts of seed 004', () => {
    const names = alerts.map((a) => a.alert);
    for (const n of [
      'PostgresTenantConnectionsNearLimit',
      'PostgresClusterNotHealthy',
      'PostgresClusterNoLeader',
      'PostgresReplicationLagHigh',
      'PostgresConnectionsHigh',
      'PostgresBackupFailed',
      'PostgresBackupMissing',
    ])
      expect(names).toContain(n);
  });

  it('each carry summary, description, runbook_url and severity, and the Prometheus selector label', () => {
    expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
    for (const r of rule.spec.groups[0].rules) {
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.runbook_url).toBe(`https://example.org/runbooks/${runbookFile(r.alert)}`);
    }
  });

  it('each have a written runbook', () => {
    for (const a of alerts) expect(existsSync(join(here, '../../../docs/runbooks', runbookFile(a.alert))), runbookFile(a.alert)).toBe(true);
  });

  it('each have a firing and a non-firing promtool case', () => {
    const { firing, silent } = coveredAlerts(parse(readFileSync(testFile, 'utf8')));
    for (const a of alerts) {
      expect(firing, `${a.alert} never fires in ${testFile}`).toContain(a.alert);
      expect(silent, `${a.alert} has no case where it must stay silent`).toContain(a.alert);
    }
  });

  const promtool = requirePrograms('promtool check/test rules', ['promtool'], 'apt-get install prometheus');
  it.skipIf(!promtool.available)('pass promtool check rules and promtool test rules', () => {
    const { check, test } = promtoolCheckAndTest(rule, testFile);
    expect(check).toMatch(/SUCCESS: 16 rules found/);
    expect(test).toMatch(/SUCCESS/);
  });
});
