import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { modelFromYaml as modelFromYamlOf } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';

/** A model checked against this package's schema (other engines' sections pass unchecked). */
export const modelFromYaml = (text: string) => modelFromYamlOf(text, [postgresEngine], { othersOpaque: true });

export const PROD_LIKE = `
cluster: test
storage: { block: proxmox-lvm, nfs: [nfs-client] }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
scheduling: { avoidNodes: [k8s-node1] }
monitoring:
  pushgateway: http://pushgateway.monitoring.svc:9091
  runbookBaseUrl: https://example.org/runbooks
postgres: { instances: 2 }
tenants:
  - { name: linkwarden, postgres: { database: linkwarden } }
  - { name: apple-health-data, postgres: { database: health } }
  - { name: authentik, postgres: { database: authentik, rotate: false, rotateReason: "password managed by hand", passwordSecret: authentik-db } }
  - { name: lumen, postgres: { database: lumen, connection: direct } }
`;

export const prodLike = () => modelFromYaml(PROD_LIKE);

/**
 * CloudNativePG's default monitoring queries (config/manager/default-monitoring.yaml at v1.30.0,
 * vendored in test/fixtures, see SOURCES.md): the `queries` text of the ConfigMap.
 */
export function cnpgDefaultMonitoringQueries(): string {
  const configMap = parse(readFileSync(join(import.meta.dirname, 'fixtures', 'cnpg-default-monitoring-v1.30.0.yaml'), 'utf8')) as { data: { queries: string } };
  return configMap.data.queries;
}

/** Whether `version` (x.y.z) is in a blang/semver range as CNPG's runonserver uses it: `>=12.0.0 <17.0.0 || >=18.0.0`. */
export function inSemverRange(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const compare = (other: string) => {
    const o = other.split('.').map(Number);
    for (let i = 0; i < 3; i++) if ((v[i] ?? 0) !== (o[i] ?? 0)) return (v[i] ?? 0) < (o[i] ?? 0) ? -1 : 1;
    return 0;
  };
  const holds = (comparator: string) => {
    const m = /^(>=|<=|>|<|!=|==|=)?\s*v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
    if (!m) throw new Error(`unsupported version comparator ${JSON.stringify(comparator)}`);
    const c = compare(m[2]!);
    switch (m[1] ?? '=') {
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      case '!=':
        return c !== 0;
      default:
        return c === 0;
    }
  };
  return range.split('||').some((all) => all.trim().split(/\s+/).filter(Boolean).every(holds));
}

export interface CnpgConversion {
  /** postgres_exporter query file (--extend.query-path), YAML. */
  readonly text: string;
  /** Metric name prefixes it yields, `cnpg_<query>` (each column adds `_<column>`). */
  readonly namespaces: readonly string[];
  /** Queries left out, and why. */
  readonly dropped: readonly { readonly query: string; readonly reason: string }[];
}

/**
 * CNPG custom queries (the `queries` text of a monitoring ConfigMap) as a postgres_exporter
 * v0.17.1 query file exposing the metric names the CNPG instance manager exposes.
 *
 * - Names: CNPG's collector is named `cnpg` and prefixes each query's name (its `name`, else
 *   its key) to the column: `cnpg_<query>_<column>` (metrics/collector.go: ToMetricMap with
 *   `q.Name()_<name>`, mappings.go ToMetricMap `namespace_column`); postgres_exporter names them
 *   `<key>_<column>`, so the key becomes `cnpg_<query>`.
 * - `runonserver`: postgres_exporter v0.17.1 parses it but applies only a server-wide value
 *   (namespace.go), so a query whose range excludes `serverVersion` is dropped here.
 * - `predicate_query` (CNPG runs the query only when it returns true): postgres_exporter has
 *   none, so the query is wrapped: `SELECT * FROM (<query>) q WHERE (<predicate>)`.
 * - `primary` (CNPG; `master` is its older spelling): postgres_exporter's `master`.
 * - `target_databases` (CNPG runs the query in each matching database and adds nothing to the
 *   labels): dropped; postgres_exporter runs it in the data source's database only.
 * - `cache_seconds`, `metrics` (usage, description, pg_version, metric_mapping) are shared.
 *   A column's `name` override (CNPG only) is refused: postgres_exporter would name it otherwise.
 */
export function cnpgQueriesForPostgresExporter(queriesYaml: string, options: { serverVersion?: string } = {}): CnpgConversion {
  const serverVersion = options.serverVersion ?? '15.0.0';
  const queries = (parse(queriesYaml) ?? {}) as Record<string, Record<string, unknown>>;
  const out: Record<string, Record<string, unknown>> = {};
  const dropped: { query: string; reason: string }[] = [];
  for (const [key, q] of Object.entries(queries)) {
    const known = new Set(['query', 'predicate_query', 'metrics', 'master', 'primary', 'cache_seconds', 'runonserver', 'target_databases', 'name']);
    const unknown = Object.keys(q).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new Error(`query ${key}: fields CNPG v1.30.0 does not define: ${unknown.join(', ')}`);
    const runOn = q.runonserver as string | undefined;
    if (runOn && !inSemverRange(serverVersion, runOn)) {
      dropped.push({ query: key, reason: `runonserver ${runOn} excludes PostgreSQL ${serverVersion}` });
      continue;
    }
    const metrics = q.metrics as Record<string, Record<string, unknown>>[];
    for (const m of metrics)
      for (const [column, mapping] of Object.entries(m)) if (mapping.name) throw new Error(`query ${key}: column ${column} renamed to ${mapping.name}, which postgres_exporter cannot do`);
    const sql = String(q.query).trim().replace(/;\s*$/, '');
    const predicate = q.predicate_query ? String(q.predicate_query).trim().replace(/;\s*$/, '') : undefined;
    const name = `cnpg_${(q.name as string | undefined) ?? key}`;
    if (out[name]) throw new Error(`query ${key}: ${name} would be defined twice`);
    out[name] = {
      query: predicate ? `SELECT * FROM (\n${sql}\n) AS q WHERE (\n${predicate}\n)\n` : `${sql}\n`,
      ...(q.primary || q.master ? { master: true } : {}),
      ...(q.cache_seconds !== undefined ? { cache_seconds: q.cache_seconds } : {}),
      metrics,
    };
  }
  return { text: stringify(out, { lineWidth: 0 }), namespaces: Object.keys(out), dropped };
}
