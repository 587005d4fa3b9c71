/**
 * CloudNativePG's default monitoring queries (v1.30.0), run by the real postgres_exporter
 * v0.17.1 against a real PostgreSQL and scraped by a real Prometheus: the `cnpg_*` series the
 * dashboards query exist for every tenant database and role. CNPG's instance manager cannot
 * run here; its queries and metric names can (see cnpgQueriesForPostgresExporter).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  panelValues,
  perTenantPanelSeries,
  postgresBinDir,
  requireExporter,
  requirePrograms,
  startExporter,
  startPostgres,
  startPrometheus,
  tenantRecordsRuleFile,
  unexposedMetrics,
  waitFor,
  type Exporter,
  type PostgresServer,
  type Prometheus,
} from '@db/core/testing';
import { cnpgDefaultMonitoringQueries, cnpgQueriesForPostgresExporter, inSemverRange, modelFromYaml } from './helpers.ts';
import { postgresDashboard } from '../src/dashboard.ts';
import { postgresAlerts } from '../src/monitoring.ts';
import { resolvePostgres } from '../src/model.ts';

/** The tenants of the test, declared as in platform.yaml: the dashboard is built from them. */
const MODEL = modelFromYaml(`
cluster: test
storage: { block: proxmox-lvm }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
monitoring:
  pushgateway: http://pushgateway.monitoring.svc:9091
  runbookBaseUrl: https://example.org/runbooks
postgres: { instances: 1 }
tenants:
  - { name: tenant-a, postgres: { database: app_a, role: tenant_a, connectionLimit: 5 } }
  - { name: tenant-b, postgres: { database: app_b, role: tenant_b, connectionLimit: 4 } }
`);
const PG = resolvePostgres(MODEL);
const DASHBOARD = postgresDashboard(PG, MODEL);

/**
 * Metrics of the dashboard that come from elsewhere than CNPG's monitoring queries (besides the
 * platform's own, PLATFORM_METRICS): CNPG's own collector (pg_collector.go:133) and PgBouncer's
 * pools served by the pooler's instance manager (pkg/management/pgbouncer/metricsserver/pools.go:100,
 * CNPG v1.30.0).
 */
const NOT_FROM_QUERIES = ['cnpg_collector_up', 'cnpg_pgbouncer_pools_cl_waiting'];

describe('cnpgQueriesForPostgresExporter', () => {
  const converted = cnpgQueriesForPostgresExporter(cnpgDefaultMonitoringQueries(), { serverVersion: '15.0.0' });
  const file = parse(converted.text) as Record<string, Record<string, unknown>>;

  it('names every query cnpg_<name>, as the instance manager does, and keeps those PostgreSQL 15 can run', () => {
    expect(Object.keys(file).sort()).toEqual([
      'cnpg_backends',
      'cnpg_backends_waiting',
      'cnpg_pg_database',
      'cnpg_pg_extensions',
      'cnpg_pg_postmaster',
      'cnpg_pg_replication',
      'cnpg_pg_replication_slots',
      'cnpg_pg_settings',
      'cnpg_pg_stat_archiver',
      'cnpg_pg_stat_bgwriter',
      'cnpg_pg_stat_database',
      'cnpg_pg_stat_replication',
    ]);
    expect(converted.dropped).toEqual([
      { query: 'pg_stat_bgwriter_17', reason: 'runonserver >=17.0.0 excludes PostgreSQL 15.0.0' },
      { query: 'pg_stat_checkpointer', reason: 'runonserver >=17.0.0 excludes PostgreSQL 15.0.0' },
    ]);
  });

  it('on PostgreSQL 17 takes the pg_stat_bgwriter_17 variant under its name pg_stat_bgwriter', () => {
    const v17 = cnpgQueriesForPostgresExporter(cnpgDefaultMonitoringQueries(), { serverVersion: '17.2.0' });
    expect(v17.namespaces).toContain('cnpg_pg_stat_checkpointer');
    expect(v17.dropped.map((d) => d.query)).toEqual(['pg_stat_bgwriter']);
    expect(String((parse(v17.text) as Record<string, { query: string }>).cnpg_pg_stat_bgwriter!.query)).not.toMatch(/checkpoints_timed/);
  });

  it('leaves only fields postgres_exporter reads: primary becomes master, a predicate wraps the query', () => {
    for (const q of Object.values(file)) for (const k of Object.keys(q)) expect(['query', 'metrics', 'master', 'cache_seconds']).toContain(k);
    expect(file.cnpg_pg_stat_replication!.master).toBe(true);
    expect(file.cnpg_pg_stat_archiver!.query).toMatch(/^SELECT \* FROM \(\nSELECT archived_count[\s\S]*\) AS q WHERE \(\nSELECT NOT pg_catalog.pg_is_in_recovery\(\)/);
  });

  it('refuses what it cannot carry over', () => {
    expect(() => cnpgQueriesForPostgresExporter('x: { query: "select 1", metrics: [], bogus: 1 }')).toThrow(/fields CNPG v1.30.0 does not define: bogus/);
    expect(() => cnpgQueriesForPostgresExporter('x: { query: "select 1 as a", metrics: [{ a: { usage: GAUGE, name: b } }] }')).toThrow(/column a renamed to b/);
    expect(() => cnpgQueriesForPostgresExporter('x: { query: "select 1", metrics: [], name: y }\ny: { query: "select 1", metrics: [] }')).toThrow(/cnpg_y.*twice/);
  });

  it('reads runonserver ranges as blang/semver does', () => {
    expect(inSemverRange('15.0.0', '<17.0.0')).toBe(true);
    expect(inSemverRange('17.0.0', '<17.0.0')).toBe(false);
    expect(inSemverRange('17.0.0', '>=17.0.0')).toBe(true);
    expect(inSemverRange('13.4.0', '>=12.0.0 <14.0.0 || >=16.0.0')).toBe(true);
    expect(inSemverRange('15.0.0', '>=12.0.0 <14.0.0 || >=16.0.0')).toBe(false);
  });
});

const tools = requireExporter('postgres', 'CNPG monitoring queries through postgres_exporter');
const server = requirePrograms('CNPG monitoring queries through postgres_exporter', ['psql', join(postgresBinDir() ?? '/usr/lib/postgresql/<version>/bin', 'postgres')], 'apt-get install postgresql');

describe.skipIf(!tools.available || !server.available)('CNPG default monitoring queries on a real PostgreSQL, exporter and Prometheus', () => {
  const tenants = PG.tenants.map((t) => ({ db: t.database, role: t.role }));
  let server: PostgresServer;
  let exporter: Exporter;
  let prometheus: Prometheus;
  let dir: string;
  const sessions: ChildProcess[] = [];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    server = await startPostgres();
    for (const t of tenants) {
      server.sql(`CREATE ROLE ${t.role} LOGIN PASSWORD '${t.role}-pw'`);
      server.sql(`CREATE DATABASE ${t.db} OWNER ${t.role}`);
    }
    // One idle session of each tenant's role in its database, as an app holds its pool.
    for (const t of tenants) {
      const psql = spawn(join(server.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(server.port), '-U', t.role, '-d', t.db, '-X', '-q'], {
        env: { PATH: process.env.PATH, PGPASSWORD: `${t.role}-pw`, PGAPPNAME: `app-${t.role}` },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      psql.stdin?.write('CREATE TABLE t (i int); INSERT INTO t SELECT generate_series(1, 100); SELECT count(*) FROM t;\n');
      sessions.push(psql);
    }
    await waitFor('tenant sessions', () => server.sql(`SELECT count(*) FROM pg_stat_activity WHERE usename LIKE 'tenant_%' AND state = 'idle'`).trim() === '2');
    const version = server.sql('SHOW server_version').trim();
    const converted = cnpgQueriesForPostgresExporter(cnpgDefaultMonitoringQueries(), { serverVersion: `${version.split(/[ .]/)[0]}.${version.split(/[ .]/)[1] ?? 0}.0` });
    dir = mkdtempSync(join(tmpdir(), 'cnpg-queries-'));
    writeFileSync(join(dir, 'queries.yaml'), converted.text);
    // The instance manager connects as the superuser over the local socket; so does the exporter.
    const socketDir = server.superuserArgs[1]!;
    let t = Date.now();
    exporter = await startExporter('postgres', {
      dataSourceName: `postgresql://postgres@:${server.port}/postgres?host=${encodeURIComponent(socketDir)}&sslmode=disable`,
      queryPath: join(dir, 'queries.yaml'),
    });
    timings.exporter = Date.now() - t;
    t = Date.now();
    // postgres_exporter labels its query metrics with `server` (the data source); CNPG does not.
    // The labels the PodMonitor's scrape gives an instance's series: the dashboard selects on them.
    prometheus = await startPrometheus({
      targets: [{ job: 'postgres', url: exporter.url, labels: { cluster: 'test', namespace: PG.namespace, pod: `${PG.name}-1` }, dropLabels: ['server'] }],
      rules: tenantRecordsRuleFile('postgres', DASHBOARD),
    });
    timings.prometheus = Date.now() - t;
    t = Date.now();
    await prometheus.waitForScrapes(2);
    timings.scrapes = Date.now() - t;
  }, 120_000);

  afterAll(async () => {
    console.log(`start-up: postgres_exporter ${timings.exporter} ms, Prometheus ${timings.prometheus} ms, 2 scrapes ${timings.scrapes} ms`);
    for (const s of sessions) s.kill('SIGKILL');
    await prometheus?.stop();
    await exporter?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exposes only the query file’s metrics (and the exporter’s own), every query without error', async () => {
    const text = await exporter.metrics();
    const names = new Set(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
    );
    const foreign = [...names].filter((n) => !/^(cnpg_|pg_up$|pg_exporter_|pg_scrape_collector_|postgres_exporter_|go_|process_|promhttp_)/.test(n));
    expect(foreign).toEqual([]);
    expect(text).toMatch(/^pg_exporter_last_scrape_error 0$/m);
    expect(exporter.log()).not.toMatch(/level=ERROR/i);
    console.log(`cnpg series: ${[...names].filter((n) => n.startsWith('cnpg_')).join(' ')}`);
  });

  const perDatabase = (samples: { metric: Record<string, string> }[]) =>
    samples
      .map((s) => s.metric.datname)
      .filter((d) => d?.startsWith('app_'))
      .sort();

  it('cnpg_pg_database_size_bytes, cnpg_pg_stat_database_xact_commit and _blks_hit for every tenant database', async () => {
    for (const metric of ['cnpg_pg_database_size_bytes', 'cnpg_pg_stat_database_xact_commit', 'cnpg_pg_stat_database_blks_hit']) {
      const samples = await prometheus.query(metric);
      expect(perDatabase(samples), metric).toEqual(['app_a', 'app_b']);
      for (const s of samples.filter((x) => x.metric.datname?.startsWith('app_'))) expect(Number(s.value[1]), `${metric} ${s.metric.datname}`).toBeGreaterThan(0);
    }
    const size = await prometheus.query('sum by (datname) (cnpg_pg_database_size_bytes{cluster="test"})');
    expect(perDatabase(size)).toEqual(['app_a', 'app_b']);
  });

  it('cnpg_backends_total by database, user, application and state', async () => {
    const samples = await prometheus.query('cnpg_backends_total{usename=~"tenant_.*"} > 0');
    const seen = samples.map((s): Record<string, string> => ({ ...s.metric, value: s.value[1] }));
    expect(seen.sort((a, b) => a.datname!.localeCompare(b.datname!))).toEqual(
      tenants.map((t) => ({
        __name__: 'cnpg_backends_total',
        cluster: 'test',
        namespace: PG.namespace,
        pod: `${PG.name}-1`,
        instance: exporter.url,
        job: 'postgres',
        datname: t.db,
        usename: t.role,
        application_name: `app-${t.role}`,
        state: 'idle',
        value: '1',
      })),
    );
  });

  it('cnpg_pg_settings_setting{name="max_connections"}', async () => {
    const samples = await prometheus.query('cnpg_pg_settings_setting{name="max_connections"}');
    expect(samples.map((s) => s.value[1])).toEqual([server.sql('SHOW max_connections').trim()]);
  });

  it('the dashboard uses only metrics these queries expose, or that come from the sources named in NOT_FROM_QUERIES', async () => {
    expect(unexposedMetrics(await exporter.metrics(), DASHBOARD, postgresAlerts(PG), NOT_FROM_QUERIES)).toEqual({ missing: [], stale: [] });
  });

  it("each per-tenant panel of the dashboard returns a series for every tenant of platform.yaml, under the tenant's name", async () => {
    const seen = await perTenantPanelSeries(prometheus, DASHBOARD);
    const want = PG.tenants.map((t) => t.tenant.name).sort();
    expect(Object.keys(seen).length).toBeGreaterThanOrEqual(5);
    for (const [panel, tenantsSeen] of Object.entries(seen)) expect(tenantsSeen, panel).toEqual(want);
  });

  it("connections over the limit: each tenant's one session over its CONNECTION LIMIT", async () => {
    expect(await panelValues(prometheus, DASHBOARD, 'Connections over the connection limit', 2)).toEqual({ 'tenant-a': 1 / 5, 'tenant-b': 1 / 4 });
  });
});
