/**
 * The Grafana dashboards of every cluster (issue 15): each is the JSON the foundation SDK
 * builds for Grafana 12, in a ConfigMap the sidecar loads, with a tenant variable; every
 * alert of an engine has a panel plotting exactly its expression; every PromQL expression of
 * every dashboard (with the variables given values) and every tenant recording rule passes
 * `promtool check rules`. That each metric exists in the real exporters' output, and that the
 * per-tenant panels return a series for every tenant, is tested per engine against the real
 * exporters (packages/<engine>/test/dashboard.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DASHBOARD_SCHEMA_VERSION, engineDashboard, expandVariables, overviewDashboard, TENANT_INFO, type K8sObject } from '@db/core';
import { requirePrograms, run } from '@db/core/testing';
import { renderFile } from '../src/render.ts';
import { platformFileOf } from '../src/paths.ts';
import { PLATFORM } from '../src/engines.ts';
import { appClusters } from './helpers.ts';

const clusters = appClusters();

function rendered(cluster: string) {
  const r = renderFile(platformFileOf(cluster), cluster);
  if (!r.ok) throw new Error(`apps/${cluster}/platform.yaml is refused`);
  return r;
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string; refId: string }[];
}
const dashboardsOf = (objects: readonly K8sObject[]) =>
  objects
    .filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1')
    .map((o) => ({
      object: o,
      json: JSON.parse(Object.values(o.data as Record<string, string>)[0]!) as {
        uid: string;
        schemaVersion: number;
        panels: Panel[];
        templating: { list: { name: string; type: string; query?: unknown }[] };
      },
    }));
const exprsOf = (d: { panels: Panel[] }) => d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

describe.each(clusters)('dashboards of clusters/%s', (cluster) => {
  const r = rendered(cluster);
  const objects = r.objects.map((o) => o.object);
  const engines = PLATFORM.engines.filter((e) => e.enabled(r.model));
  const dashboards = dashboardsOf(objects);

  it('one per engine with metrics, plus the overview, in the Grafana namespace with the sidecar label', () => {
    const withDashboard = engines.filter((e) => e.dashboard);
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([...withDashboard.map((e) => `db-platform-${cluster}-${e.id}`), `db-platform-${cluster}-overview`].sort());
    for (const d of dashboards) expect(d.object.metadata.namespace).toBe(r.model.monitoring.dashboards.namespace);
    // An engine that renders alerts must show them on a dashboard.
    for (const e of engines) if (e.alerts(r.model).length > 0) expect(e.dashboard, `${e.id} has alerts but no dashboard`).toBeDefined();
  });

  it('each is exactly what the foundation SDK builds for Grafana 12 (schemaVersion 42), with a tenant variable', () => {
    for (const e of engines) {
      const d = e.dashboard?.(r.model);
      if (!d) continue;
      const json = dashboards.find((x) => x.json.uid === `db-platform-${cluster}-${e.id}`)!.json;
      expect(json).toEqual(JSON.parse(JSON.stringify(engineDashboard(e.id, d, e.alerts(r.model), cluster))));
      expect(json.schemaVersion).toBe(DASHBOARD_SCHEMA_VERSION);
      const tenant = json.templating.list.find((v) => v.name === 'tenant');
      expect(tenant?.type).toBe('query');
      expect(JSON.stringify(tenant?.query)).toContain(`${TENANT_INFO}{engine=\\"${e.id}\\"}`);
    }
    const overview = dashboards.find((x) => x.json.uid === `db-platform-${cluster}-overview`)!.json;
    const parts = engines.flatMap((e) => {
      const d = e.dashboard?.(r.model);
      return d ? [{ engine: e.id, title: d.title, panels: d.overview }] : [];
    });
    expect(overview).toEqual(
      JSON.parse(
        JSON.stringify(
          overviewDashboard(
            parts,
            engines.flatMap((e) => e.alerts(r.model)),
            cluster,
          ),
        ),
      ),
    );
  });

  it('every alert of every engine has a panel that plots exactly its expression, and the overview counts it', () => {
    const overview = exprsOf(dashboards.find((x) => x.json.uid === `db-platform-${cluster}-overview`)!.json).join('\n');
    for (const e of engines) {
      const alerts = e.alerts(r.model);
      if (alerts.length === 0) continue;
      const d = dashboards.find((x) => x.json.uid === `db-platform-${cluster}-${e.id}`)!.json;
      const exprs = exprsOf(d);
      for (const a of alerts) {
        expect(exprs, `${a.alert} (${e.id}) has no panel`).toContain(a.expr);
        expect(d.panels.some((p) => p.title === a.alert)).toBe(true);
        expect(overview).toMatch(new RegExp(`alertname=~"[^"]*\\b${a.alert}\\b`));
      }
    }
  });

  it('every panel has a query, and every query a distinct refId within its panel', () => {
    for (const { json } of dashboards)
      for (const p of json.panels.filter((x) => x.type !== 'row')) {
        expect(p.targets?.length, `${json.uid}: ${p.title}`).toBeGreaterThan(0);
        expect(new Set(p.targets!.map((t) => t.refId)).size).toBe(p.targets!.length);
      }
  });

  const promtool = requirePrograms('promtool check rules on the dashboards', ['promtool'], 'apt-get install prometheus');
  it.skipIf(!promtool.available)('every dashboard expression (variables given values) and every tenant recording rule pass promtool check rules', () => {
    const exprs = [...new Set(dashboards.flatMap((d) => exprsOf(d.json)))];
    const records = objects.filter((o) => o.kind === 'PrometheusRule' && o.metadata.name.endsWith('-tenants'));
    expect(records.length).toBe(engines.filter((e) => e.dashboard).length);
    const groups = [
      { name: 'dashboards', rules: exprs.map((expr, i) => ({ record: `dashboard:expr_${i}`, expr: expandVariables(expr, { tenant: 'a|b', rateInterval: '2m' }) })) },
      ...records.flatMap((o) => o.spec.groups),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'dashboards-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
      const out = run('promtool', ['check', 'rules', join(dir, 'rules.yaml')]);
      expect(out).toMatch(new RegExp(`SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The expressions really contain the variables the dashboards define.
    expect(exprs.some((e) => e.includes('$tenant'))).toBe(true);
  });
});
