/**
 * Runs Prometheus' own checker on rendered alert rules: `promtool check rules` on the rule
 * groups as rendered, and `promtool test rules` with an engine's unit-test file.
 * Annotations are stripped for the unit tests only (promtool would otherwise demand every
 * rendered annotation verbatim in every case); their presence is asserted by the tests.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { K8sObject } from '../objects.ts';
import { run } from './programs.ts';

export function promtoolCheckAndTest(rule: K8sObject, testFile: string): { check: string; test: string } {
  const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  try {
    writeFileSync(join(dir, 'rendered.yaml'), stringify({ groups: rule.spec.groups }));
    const check = run('promtool', ['check', 'rules', join(dir, 'rendered.yaml')]);
    const bare = (rule.spec.groups as any[]).map((g) => ({ ...g, rules: g.rules.map(({ annotations: _a, ...r }: any) => r) }));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: bare }));
    copyFileSync(testFile, join(dir, 'tests.yaml'));
    const test = run('promtool', ['test', 'rules', join(dir, 'tests.yaml')]);
    return { check, test };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alert names that the test file exercises with and without an expected alert. */
export function coveredAlerts(testYaml: { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }) {
  const firing = new Set<string>();
  const silent = new Set<string>();
  for (const t of testYaml.tests) for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? firing : silent).add(a.alertname);
  return { firing, silent };
}
