/**
 * The real mysqld_exporter v0.17.2, logged in as the exporter user our provisioning creates,
 * against a real MariaDB 10.11 (Debian's; the closest server to MySQL 8.4 here) and scraped
 * by a real Prometheus: which per-tenant series it gives, with which collector flags and grants.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MARIADB_PROVISIONING,
  panelValues,
  perTenantPanelSeries,
  requireExporter,
  requirePrograms,
  startExporter,
  startPrometheus,
  tenantRecordsRuleFile,
  unexposedMetrics,
  waitFor,
  type Exporter,
  type Prometheus,
} from '@db/core/testing';
import { resolveMysql } from '../src/model.ts';
import { EXPORTER_COLLECTORS, mysqlDashboard } from '../src/dashboard.ts';
import { mysqlAlerts } from '../src/monitoring.ts';
import { provisioningScript, provisioningSql } from '../src/provisioning.ts';
import { BASE, modelOf, PrivateMariaDb } from './helpers.ts';

const server = requirePrograms('mysqld_exporter against MariaDB', ['mariadbd', 'mariadb-install-db', 'mysql', 'bash'], 'apt-get install mariadb-server mariadb-client');
const tools = requireExporter('mysqld', 'mysqld_exporter against MariaDB');

const model = modelOf(`${BASE}
tenants:
  - { name: wrongmove, mysql: { database: wrongmove, connectionLimit: 8 } }
  - { name: speedtest, mysql: { database: speedtest, connectionLimit: 4 } }
`);
const my = resolveMysql(model);
const DASHBOARD = mysqlDashboard(my);
const TENANTS = [
  { user: 'speedtest', database: 'speedtest', password: 'Tenant.Speedtest.1' },
  { user: 'wrongmove', database: 'wrongmove', password: 'Tenant.Wrongmove.1' },
];

describe.skipIf(!server.available || !tools.available)('mysqld_exporter v0.17.2 on MariaDB 10.11, scraped by Prometheus', () => {
  const db = new PrivateMariaDb();
  const sessions: ChildProcess[] = [];
  let exporter: Exporter;
  let prometheus: Prometheus;
  const timings: Record<string, number> = {};
  const exporterUser = my.users.exporter;
  const success = async (collector: string) => (await prometheus.query(`mysql_exporter_collector_success{collector="${collector}"}`)).map((s) => s.value[1]);

  beforeAll(async () => {
    // performance_schema is off by default in MariaDB; sys.user_summary reads it.
    await db.start({ serverArgs: ['--performance-schema=ON'] });
    const provision = db.prepareProvisioning({ script: provisioningScript(), sql: provisioningSql(my, model.cluster) });
    expect(provision()).toContain('provision: done');
    for (const t of TENANTS) {
      db.root(`ALTER USER '${t.user}'@'%' IDENTIFIED BY '${t.password}'`);
      db.as(t.user, t.password, `CREATE TABLE ${t.database}.items (id INT PRIMARY KEY, body TEXT); INSERT INTO ${t.database}.items VALUES (1, 'a'), (2, 'b')`);
      // A session that stays open, as an app's pool holds one.
      sessions.push(spawn('mysql', ['--no-defaults', '--protocol=TCP', '-h127.0.0.1', `-P${db.port}`, `-u${t.user}`, `-p${t.password}`, t.database, '-e', 'SELECT SLEEP(600)'], { stdio: 'ignore' }));
    }
    await waitFor('tenant sessions', () => db.root("SELECT COUNT(*) FROM information_schema.processlist WHERE user IN ('speedtest', 'wrongmove')").trim() === '2');
    let t = Date.now();
    exporter = await startExporter('mysqld', { address: `127.0.0.1:${db.port}`, username: exporterUser, password: MARIADB_PROVISIONING.exporterPassword, args: EXPORTER_COLLECTORS });
    timings.exporter = Date.now() - t;
    t = Date.now();
    // The labels the PodMonitor's scrape gives the server's series: the dashboard selects on them.
    prometheus = await startPrometheus({ targets: [{ job: 'mysql', url: exporter.url, labels: { namespace: my.namespace, pod: `${my.name}-0` } }], rules: tenantRecordsRuleFile('mysql', DASHBOARD) });
    timings.prometheus = Date.now() - t;
    t = Date.now();
    await prometheus.waitForScrapes(2);
    timings.scrapes = Date.now() - t;
  }, 120_000);

  afterAll(async () => {
    console.log(`start-up: mysqld_exporter ${timings.exporter} ms, Prometheus ${timings.prometheus} ms, 2 scrapes ${timings.scrapes} ms`);
    for (const s of sessions) s.kill('SIGKILL');
    await prometheus?.stop();
    await exporter?.stop();
    await db.stop();
  }, 30_000);

  it('--collect.info_schema.processlist: mysql_info_schema_processlist_processes_by_user{mysql_user} per tenant, with the rendered grants (PROCESS)', async () => {
    const samples = await prometheus.query('sum by (mysql_user) (mysql_info_schema_processlist_processes_by_user{mysql_user=~"speedtest|wrongmove"})');
    expect(samples.map((s) => [s.metric.mysql_user, s.value[1]]).sort()).toEqual([
      ['speedtest', '1'],
      ['wrongmove', '1'],
    ]);
  });

  it('--collect.info_schema.tables: mysql_info_schema_table_size{schema,table,component} per tenant with the rendered SHOW VIEW ON *.*, which reads no data', async () => {
    expect(await success('collect.info_schema.tables')).toEqual(['1']);
    const sizes = await prometheus.waitForQuery('mysql_info_schema_table_size{schema=~"speedtest|wrongmove"}', (s) => s.length === 6);
    expect(sizes.map((s) => `${s.metric.schema}.${s.metric.table} ${s.metric.component}`).sort()).toEqual(
      TENANTS.flatMap((t) => ['data_free', 'data_length', 'index_length'].map((c) => `${t.database}.items ${c}`)),
    );
    const rows = await prometheus.waitForQuery('mysql_info_schema_table_rows{schema=~"speedtest|wrongmove"}', (s) => s.length === 2);
    expect(rows.map((s) => [s.metric.schema, s.value[1]]).sort()).toEqual([
      ['speedtest', '2'],
      ['wrongmove', '2'],
    ]);
    expect(() => db.as(exporterUser, MARIADB_PROVISIONING.exporterPassword, 'SELECT * FROM speedtest.items')).toThrow(/denied/i);
    // Without SHOW VIEW the exporter sees no tenant table: why provisioning grants it.
    db.root(`REVOKE SHOW VIEW ON *.* FROM '${exporterUser}'@'%'`);
    try {
      await prometheus.waitForQuery('mysql_info_schema_table_size{schema=~"speedtest|wrongmove"}', (s) => s.length === 0);
    } finally {
      db.root(`GRANT SHOW VIEW ON *.* TO '${exporterUser}'@'%'`);
    }
  });

  it('--collect.sys.user_summary: reads sys with the rendered SELECT ON sys.*; on MariaDB 10.11 it then fails on a negative (or NULL) current_memory', async () => {
    expect(exporter.log()).not.toMatch(/SELECT command denied/);
    // MariaDB's memory accounting goes below zero for some users (its own memory/sql/String::value
    // for the exporter's user, "background" for global variables), and the exporter scans
    // current_memory into a uint64: the rows after the first negative one are lost and the
    // collector reports failure. On a run where no row is negative, the series are there.
    // (logfmt escapes the quotes of the Go error)
    const scanError = /Scan error on column index \d+, name \\"current_memory\\": converting (driver\.Value type \[\]uint8 \(\\"-\d+\\"\)|NULL) to a uint64/;
    await waitFor('a scrape of sys with the grant', async () => scanError.test(exporter.log()) || (await success('collect.sys.user_summary'))[0] === '1').catch((e: Error) => {
      throw new Error(`${e.message}\n${exporter.log().split('\n').slice(-5).join('\n')}`);
    });
    if (scanError.test(exporter.log())) {
      console.log('sys.user_summary on MariaDB 10.11: scan error on current_memory, as expected');
      expect(exporter.log()).toMatch(scanError);
    } else {
      const statements = await prometheus.waitForQuery('mysql_sys_statements_total{user=~"speedtest|wrongmove"}', (s) => s.length === 2);
      expect(statements.map((s) => s.metric.user).sort()).toEqual(['speedtest', 'wrongmove']);
    }
  });

  it('the dashboard uses only metrics the exporter exposes with the rendered collectors, or that the platform makes', async () => {
    const { missing, stale } = unexposedMetrics(await exporter.metrics(), DASHBOARD, mysqlAlerts(my));
    // sys.user_summary fails on MariaDB (above); its metric is the one of sys_user_summary.go:41-44.
    expect(missing.filter((n) => n !== 'mysql_sys_statements_total')).toEqual([]);
    expect(stale).toEqual([]);
  });

  it("each per-tenant panel returns a series for every tenant, under the tenant's name (statements: where MariaDB's sys lets the exporter read it)", async () => {
    const seen = await perTenantPanelSeries(prometheus, DASHBOARD, '15s', 10_000);
    const want = my.tenants.map((t) => t.tenant.name).sort();
    for (const [panel, tenants] of Object.entries(seen)) {
      if (panel === 'Statements per second' && /current_memory/.test(exporter.log())) continue;
      expect(tenants, panel).toEqual(want);
    }
    expect(Object.keys(seen)).toEqual(['Database size', 'Connections', 'Statements per second']);
  });

  it("connections over the limit: each tenant's one session over its MAX_USER_CONNECTIONS", async () => {
    expect(await panelValues(prometheus, DASHBOARD, 'Connections over the connection limit', 2)).toEqual({ wrongmove: 1 / 8, speedtest: 1 / 4 });
  });
});
