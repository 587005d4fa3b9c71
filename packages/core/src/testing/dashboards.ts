/**
 * Running an engine's dashboard against real exporters: the tenant recording rules as a
 * Prometheus rule file, the metric names its queries use, and each per-tenant panel's query
 * with the variables given values, checked for a series per tenant.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { engineSections, expandVariables, TENANT_CONNECTION_LIMIT, TENANT_INFO, tenantRecords, type EngineDashboard } from '../dashboards.ts';
import type { AlertSpec } from '../monitoring.ts';
import type { Prometheus } from './prometheus.ts';

/** The rule file Prometheus loads for the engine's tenant series (what TenantRecordRules renders). */
export function tenantRecordsRuleFile(engine: string, d: EngineDashboard): string {
  return stringify({ groups: [{ name: `db-platform-${engine}-tenants`, rules: tenantRecords(engine, d.tenants).map((r) => ({ record: r.record, expr: r.expr, labels: { ...r.labels } })) }] });
}

/** Every query of the dashboard (its sections, backups and alert panels). */
export function dashboardQueries(d: EngineDashboard, alerts: readonly AlertSpec[]): string[] {
  return engineSections(d, alerts).flatMap((s) => s.panels.flatMap((p) => p.queries.map((q) => q.expr)));
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);
/** The metric names in PromQL expressions: identifiers followed by a selector `{`. */
export function metricNames(exprs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const e of exprs) for (const m of e.replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) if (!PROMQL_WORDS.has(m[1]!)) names.add(m[1]!);
  return [...names].sort();
}

/** The metric names in an exporter's /metrics text. */
export function exposedMetricNames(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
  );
}

/**
 * Runs each per-tenant panel of the dashboard (every tenant selected, `$__rate_interval` as
 * given) until it returns a series for each tenant; returns the tenants each panel showed.
 */
export async function perTenantPanelSeries(prometheus: Prometheus, d: EngineDashboard, rateInterval = '15s', timeoutMs = 30_000): Promise<Record<string, string[]>> {
  const want = d.tenants.map((t) => t.tenant).sort();
  const seen: Record<string, string[]> = {};
  for (const p of d.sections.flatMap((s) => s.panels).filter((x) => x.perTenant)) {
    for (const q of p.queries) {
      const expr = expandVariables(q.expr, { tenant: '.*', rateInterval });
      const tenantsOf = (samples: { metric: Record<string, string> }[]) => [...new Set(samples.map((s) => s.metric.tenant ?? '(none)'))].sort();
      let samples: { metric: Record<string, string> }[] = [];
      try {
        samples = await prometheus.waitForQuery(expr, (r) => want.every((t) => tenantsOf(r).includes(t)), timeoutMs);
      } catch {
        samples = await prometheus.query(expr);
      }
      seen[p.title] = tenantsOf(samples);
    }
  }
  return seen;
}

/**
 * The metrics the platform itself makes: what the backup, restore and drill scripts push to the
 * Pushgateway (read from the scripts' sources, so a new metric is known at once) and the
 * recorded tenant series.
 */
export const PLATFORM_METRICS: ReadonlySet<string> = new Set([
  ...['backup.ts', 'restore.ts', 'drill.ts', 'offboarding.ts'].flatMap((f) =>
    [...readFileSync(new URL(`../${f}`, import.meta.url), 'utf8').matchAll(/\b(db_(?:backup|restore|purge)_[a-z_]+)\b/g)].map((m) => m[1]!),
  ),
  TENANT_INFO,
  TENANT_CONNECTION_LIMIT,
]);

/**
 * The metrics the dashboard uses that neither the exporter's /metrics text, the platform
 * (PLATFORM_METRICS) nor `elsewhere` (metrics of other sources, each named by the test)
 * provides; and the names of `elsewhere` the dashboard does not use (a stale list).
 */
export function unexposedMetrics(exporterText: string, d: EngineDashboard, alerts: readonly AlertSpec[], elsewhere: readonly string[] = []): { missing: string[]; stale: string[] } {
  const exposed = exposedMetricNames(exporterText);
  const used = metricNames(dashboardQueries(d, alerts));
  return { missing: used.filter((n) => !exposed.has(n) && !PLATFORM_METRICS.has(n) && !elsewhere.includes(n)), stale: elsewhere.filter((n) => !used.includes(n)) };
}

/** The value per tenant of the dashboard panel titled `title` (its first query, every tenant selected), once `count` tenants show. */
export async function panelValues(prometheus: Prometheus, d: EngineDashboard, title: string, count: number): Promise<Record<string, number>> {
  const panel = d.sections.flatMap((s) => s.panels).find((p) => p.title === title);
  if (!panel) throw new Error(`no panel "${title}" in the ${d.title} dashboard`);
  const samples = await prometheus.waitForQuery(expandVariables(panel.queries[0]!.expr), (r) => r.length === count);
  return Object.fromEntries(samples.map((s) => [s.metric.tenant ?? '', Number(s.value[1])]));
}
