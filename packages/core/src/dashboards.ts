/**
 * Grafana dashboards as code. Each engine describes what to show (per-tenant usage, its
 * health, its backups); this module builds the dashboard with Grafana's own library
 * (@grafana/grafana-foundation-sdk, whose 0.0.x line targets Grafana 12: schemaVersion 42)
 * and renders it as a ConfigMap the Grafana sidecar loads (kube-prometheus-stack's
 * `grafana.sidecar.dashboards`, which watches ConfigMaps labelled `grafana_dashboard: "1"` in
 * Grafana's namespace by default).
 *
 * Per-tenant series carry a `tenant` label: each engine's rules record one info series per
 * tenant (`db_platform_tenant_info{engine, tenant, <the engine's own labels>} 1`, and
 * `db_platform_tenant_connection_limit` where a tenant has a limit), and a panel joins the
 * exporter's series on the engine's label (a database, a user) to it. So every dashboard
 * filters by one `tenant` variable whose values are the tenants' names from platform.yaml,
 * whatever the exporter calls them.
 *
 * Every alert of the engine gets a panel that plots exactly its expression: empty while the
 * alert is quiet, a series when it fires.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from './imports/monitoring.coreos.com.ts';
import type { AlertSpec } from './monitoring.ts';
import type { PlatformModel } from './model.ts';

/** The Grafana release line the dashboards are built for (the foundation SDK's 0.0.x line). */
export const GRAFANA_VERSION = '12';
/** The dashboard schema version the pinned foundation SDK emits, which Grafana 12 loads as is. */
export const DASHBOARD_SCHEMA_VERSION = 42;

/** The recorded info series that maps an engine's own labels to tenants. */
export const TENANT_INFO = 'db_platform_tenant_info';
/** The recorded per-tenant connection limit (only tenants that have one). */
export const TENANT_CONNECTION_LIMIT = 'db_platform_tenant_connection_limit';

export interface DashboardQuery {
  /** PromQL; may use `$tenant` (a regex of the chosen tenants) and `$__rate_interval`. */
  readonly expr: string;
  /** Legend, e.g. `{{tenant}}`. */
  readonly legend: string;
}

export interface DashboardPanel {
  readonly title: string;
  readonly description: string;
  /** @default 'timeseries' */
  readonly kind?: 'timeseries' | 'stat';
  /** Grafana unit id: `bytes`, `short`, `percentunit`, `ops`, `s`, `dtdurations`... @default 'short' */
  readonly unit?: string;
  readonly queries: readonly DashboardQuery[];
  /**
   * The panel shows one series per tenant (label `tenant`) of the engine: a test runs it
   * against the real exporters and requires a series for every tenant.
   */
  readonly perTenant?: boolean;
}

export interface DashboardSection {
  readonly title: string;
  readonly panels: readonly DashboardPanel[];
}

/** One tenant's entry in the engine's info series: its name and the engine's labels for it. */
export interface TenantSeries {
  readonly tenant: string;
  /** The engine's own labels for the tenant, e.g. `{ datname: 'health', usename: 'health' }`. */
  readonly labels: Readonly<Record<string, string>>;
  /** The tenant's connection limit, when it has one. */
  readonly connectionLimit?: number;
}

/** What an engine shows: the platform builds its dashboard, and its part of the overview, from it. */
export interface EngineDashboard {
  /** Dashboard title, e.g. `Example`. */
  readonly title: string;
  readonly tenants: readonly TenantSeries[];
  /** Usage and health sections, in order. The alert and backup sections are added by the platform. */
  readonly sections: readonly DashboardSection[];
  /** Stat panels for the platform overview: the engine's health at a glance. */
  readonly overview: readonly DashboardPanel[];
  /** The matcher of the engine's backup and drill metrics, `backup="<name>"`, if it takes backups. */
  readonly backups?: string;
}

/** A recording rule. */
export interface RecordSpec {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The recording rules of an engine's tenants: one info series each, and their connection limits. */
export function tenantRecords(engine: string, tenants: readonly TenantSeries[]): RecordSpec[] {
  return [
    ...tenants.map((t) => ({ record: TENANT_INFO, expr: 'vector(1)', labels: { engine, tenant: t.tenant, ...t.labels } })),
    ...tenants.flatMap((t) => (t.connectionLimit === undefined ? [] : [{ record: TENANT_CONNECTION_LIMIT, expr: `vector(${t.connectionLimit})`, labels: { engine, tenant: t.tenant, ...t.labels } }])),
  ];
}

/**
 * `inner` with a `tenant` label: joined on `label` (one of the engine's tenant labels) to the
 * info series of the tenants the dashboard's variable selects, then summed by tenant. `inner`
 * must already be one value per `label` (aggregate it by that label first).
 */
export function byTenant(engine: string, inner: string, label: string, tenants = '$tenant'): string {
  return `sum by (tenant) (${inner} * on (${label}) group_left (tenant) ${TENANT_INFO}{engine="${engine}", tenant=~"${tenants}"})`;
}

/** The alert (firing) name selector for the overview: every alert of the engines. */
export function alertNamesSelector(alerts: readonly AlertSpec[]): string {
  return `alertname=~"${[...new Set(alerts.map((a) => a.alert))].sort().join('|')}"`;
}

/** The same expression with the dashboard's variables given values, for Prometheus and promtool. */
export function expandVariables(expr: string, values: { tenant?: string; rateInterval?: string } = {}): string {
  return expr.replaceAll('$__rate_interval', values.rateInterval ?? '5m').replaceAll('$tenant', values.tenant ?? '.*');
}

const PANEL_HEIGHT = 8;

function panel(p: DashboardPanel, row: number, index: number, perRow: number) {
  const width = 24 / perRow;
  const gridPos = { x: (index % perRow) * width, y: row + Math.floor(index / perRow) * PANEL_HEIGHT, w: width, h: PANEL_HEIGHT };
  const targets = p.queries.map((q, i) =>
    new DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend)
      .refId(String.fromCharCode(65 + i)),
  );
  if (p.kind === 'stat') {
    const b = new StatPanel()
      .title(p.title)
      .description(p.description)
      .unit(p.unit ?? 'short')
      .datasource(DATASOURCE)
      .gridPos(gridPos)
      .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
    for (const t of targets) b.withTarget(t);
    return b;
  }
  const b = new TimeseriesPanel()
    .title(p.title)
    .description(p.description)
    .unit(p.unit ?? 'short')
    .datasource(DATASOURCE)
    .gridPos(gridPos)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom).calcs(['lastNotNull', 'max']));
  for (const t of targets) b.withTarget(t);
  return b;
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** The panels of a section, laid out below a row header starting at `y`; returns the next free `y`. */
function addSection(d: DashboardBuilder, section: DashboardSection, y: number, perRow: number): number {
  d.withRow(new RowBuilder(section.title).gridPos({ x: 0, y, w: 24, h: 1 }));
  section.panels.forEach((p, i) => {
    d.withPanel(panel(p, y + 1, i, perRow));
  });
  return y + 1 + Math.ceil(section.panels.length / perRow) * PANEL_HEIGHT;
}

function baseDashboard(title: string, uid: string, tags: readonly string[], description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([...tags])
    .editable()
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'));
}

/**
 * The panels that show one engine's backups and restore drills, from what core's backup and
 * drill scripts push (job=db-backup / db-restore-drill, backup=<name>, tenant=<tenant>; the
 * run as a whole has no tenant label).
 */
export function backupSection(backup: string): DashboardSection {
  const run = `job="db-backup", ${backup}, tenant=""`;
  const tenant = `job="db-backup", ${backup}, tenant=~"$tenant"`;
  const drill = `job="db-restore-drill", ${backup}, tenant=~"$tenant"`;
  return {
    title: 'Backups and restore drills',
    panels: [
      {
        title: 'Time since the last successful backup run',
        description: 'The backup job as a whole (db_backup_last_success_timestamp_seconds without a tenant), pushed to the Pushgateway.',
        kind: 'stat',
        unit: 's',
        queries: [{ expr: `time() - max by (backup) (db_backup_last_success_timestamp_seconds{${run}})`, legend: '{{backup}}' }],
      },
      {
        title: "Time since each tenant's last successful dump",
        description: 'db_backup_last_success_timestamp_seconds per tenant.',
        kind: 'stat',
        unit: 's',
        queries: [{ expr: `time() - max by (tenant) (db_backup_last_success_timestamp_seconds{${tenant}})`, legend: '{{tenant}}' }],
      },
      {
        title: 'Last dump succeeded (1) or failed (0), per tenant',
        description: "db_backup_last_status of each tenant's newest dump.",
        kind: 'stat',
        queries: [{ expr: `max by (tenant) (db_backup_last_status{${tenant}})`, legend: '{{tenant}}' }],
      },
      {
        title: 'Dump size per tenant',
        description: 'db_backup_last_size_bytes: the newest successful dump of each tenant.',
        unit: 'bytes',
        queries: [{ expr: `max by (tenant) (db_backup_last_size_bytes{${tenant}})`, legend: '{{tenant}}' }],
      },
      {
        title: 'Last restore drill passed (1) or failed (0), per tenant',
        description: "db_restore_drill_last_status: the weekly drill restores each tenant's newest dump into a throw-away server and checks it against its manifest.",
        kind: 'stat',
        queries: [{ expr: `max by (tenant) (db_restore_drill_last_status{${drill}})`, legend: '{{tenant}}' }],
      },
      {
        title: "Time since each tenant's last passed restore drill",
        description: 'db_restore_drill_last_success_timestamp_seconds per tenant.',
        kind: 'stat',
        unit: 's',
        queries: [{ expr: `time() - max by (tenant) (db_restore_drill_last_success_timestamp_seconds{${drill}})`, legend: '{{tenant}}' }],
      },
    ],
  };
}

/** One panel per alert, plotting exactly its expression: empty while quiet, a series when it fires. */
export function alertSection(alerts: readonly AlertSpec[]): DashboardSection {
  return {
    title: 'Alerts (each panel plots the alert expression: a series means it fires)',
    panels: alerts.map((a) => ({ title: a.alert, description: `${a.summary}. Severity ${a.severity}${a.for ? `, pending ${a.for}` : ''}.`, queries: [{ expr: a.expr, legend: a.alert }] })),
  };
}

/** Every section of an engine's dashboard, in order: its own, then backups, then alerts. */
export function engineSections(d: EngineDashboard, alerts: readonly AlertSpec[]): DashboardSection[] {
  return [...d.sections, ...(d.backups ? [backupSection(d.backups)] : []), alertSection(alerts)];
}

/** The Grafana dashboard of one engine, as the foundation SDK builds it. */
export function engineDashboard(engine: string, d: EngineDashboard, alerts: readonly AlertSpec[], cluster: string): Dashboard {
  const b = baseDashboard(
    `db-platform / ${d.title} (${cluster})`,
    `db-platform-${cluster}-${engine}`,
    ['db-platform', engine, cluster],
    `${d.title} on ${cluster}, per tenant. Generated by db-platform from apps/${cluster}/platform.yaml; edit that, not this dashboard.`,
  );
  b.withVariable(
    new QueryVariableBuilder('tenant')
      .label('Tenant')
      .datasource(DATASOURCE)
      .query({ qryType: 1, query: `label_values(${TENANT_INFO}{engine="${engine}"}, tenant)`, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
      .definition(`label_values(${TENANT_INFO}{engine="${engine}"}, tenant)`)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*'),
  );
  let y = 0;
  for (const s of engineSections(d, alerts)) y = addSection(b, s, y, 2);
  return b.build();
}

export interface OverviewPart {
  readonly engine: string;
  readonly title: string;
  readonly panels: readonly DashboardPanel[];
}

/** The platform overview: each engine's health, every firing alert, tenants per engine. */
export function overviewDashboard(parts: readonly OverviewPart[], alerts: readonly AlertSpec[], cluster: string): Dashboard {
  const b = baseDashboard(
    `db-platform / Overview (${cluster})`,
    `db-platform-${cluster}-overview`,
    ['db-platform', cluster],
    `Every database service of ${cluster} at a glance. Generated by db-platform from apps/${cluster}/platform.yaml.`,
  );
  const platform: DashboardSection = {
    title: 'Platform',
    panels: [
      {
        title: 'Firing alerts',
        description: 'Alerts of the platform that fire now, by name.',
        kind: 'stat',
        queries: [{ expr: `count by (alertname) (ALERTS{alertstate="firing", ${alertNamesSelector(alerts)}})`, legend: '{{alertname}}' }],
      },
      {
        title: 'Tenants per engine',
        description: `From ${TENANT_INFO}, recorded from platform.yaml.`,
        kind: 'stat',
        queries: [{ expr: `count by (engine) (${TENANT_INFO})`, legend: '{{engine}}' }],
      },
      {
        title: 'Time since the last successful backup',
        description: 'Every backup job of the platform (db_backup_last_success_timestamp_seconds).',
        kind: 'stat',
        unit: 's',
        queries: [{ expr: 'time() - max by (backup) (db_backup_last_success_timestamp_seconds{job="db-backup"})', legend: '{{backup}}' }],
      },
    ],
  };
  let y = addSection(b, platform, 0, 3);
  for (const p of parts) y = addSection(b, { title: p.title, panels: p.panels }, y, 3);
  return b.build();
}

export interface DashboardConfigMapProps {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly dashboard: Dashboard;
  readonly model: PlatformModel;
}

/** A dashboard as the ConfigMap the Grafana sidecar loads. */
export class DashboardConfigMap extends Construct {
  constructor(scope: Construct, id: string, props: DashboardConfigMapProps) {
    super(scope, id);
    const { dashboards } = props.model.monitoring;
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: props.name, namespace: dashboards.namespace, labels: { ...props.labels, [dashboards.label]: dashboards.labelValue } },
      data: { [`${props.name}.json`]: `${JSON.stringify(props.dashboard, null, 2)}\n` },
    });
  }
}

export interface TenantRecordRulesProps {
  readonly engine: string;
  readonly tenants: readonly TenantSeries[];
  readonly labels: Readonly<Record<string, string>>;
  readonly model: PlatformModel;
}

/** The engine's tenant series (see tenantRecords), as a PrometheusRule beside the dashboards. */
export class TenantRecordRules extends Construct {
  constructor(scope: Construct, id: string, props: TenantRecordRulesProps) {
    super(scope, id);
    const { model } = props;
    new PrometheusRule(this, 'Resource', {
      metadata: { name: `db-platform-${props.engine}-tenants`, namespace: model.monitoring.dashboards.namespace, labels: { ...props.labels, ...model.monitoring.prometheusSelector } },
      spec: {
        groups: [
          {
            name: `db-platform-${props.engine}-tenants`,
            rules: tenantRecords(props.engine, props.tenants).map((r) => ({ record: r.record, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr), labels: { ...r.labels } })),
          },
        ],
      },
    });
  }
}
