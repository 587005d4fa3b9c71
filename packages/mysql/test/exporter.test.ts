/**
 * The real mysqld_exporter v0.17.2, logged in as the exporter user our provisioning creates,
 * against a real MariaDB 10.11 (Debian's; the closest server to MySQL 8.4 here) and scraped
 * by a real Prometheus: which per-tenant series it gives, with which collector flags and grants.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARIADB_PROVISIONING, requireExporter, requirePrograms, startExporter, startPrometheus, waitFor, type Exporter, type Prometheus } from '@db/core/testing';
import { resolveMysql } from '../src/model.ts';
import { provisioningScript, provisioningSql } from '../src/provisioning.ts';
import { BASE, modelOf, PrivateMariaDb } from './helpers.ts';

const server = requirePrograms('mysqld_exporter against MariaDB', ['mariadbd', 'mariadb-install-db', 'mysql', 'bash'], 'apt-get install mariadb-server mariadb-client');
const tools = requireExporter('mysqld', 'mysqld_exporter against MariaDB');

const model = modelOf(`${BASE}
tenants:
  - { name: wrongmove, mysql: { database: wrongmove } }
  - { name: speedtest, mysql: { database: speedtest } }
`);
const my = resolveMysql(model);
const TENANTS = [
  { user: 'speedtest', database: 'speedtest', password: 'Tenant.Speedtest.1' },
  { user: 'wrongmove', database: 'wrongmove', password: 'Tenant.Wrongmove.1' },
];
const COLLECTORS = ['--collect.info_schema.processlist', '--collect.info_schema.tables', '--collect.sys.user_summary'];

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
    exporter = await startExporter('mysqld', { address: `127.0.0.1:${db.port}`, username: exporterUser, password: MARIADB_PROVISIONING.exporterPassword, args: COLLECTORS });
    timings.exporter = Date.now() - t;
    t = Date.now();
    prometheus = await startPrometheus({ targets: [{ job: 'mysql', url: exporter.url }] });
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

  it('--collect.info_schema.tables: no tenant table with the rendered grants; SHOW VIEW ON *.* is enough for mysql_info_schema_table_size{schema,table,component}, still without reading data', async () => {
    expect(await success('collect.info_schema.tables')).toEqual(['1']);
    expect(await prometheus.query('mysql_info_schema_table_size{schema=~"speedtest|wrongmove"}')).toEqual([]);

    db.root(`GRANT SHOW VIEW ON *.* TO '${exporterUser}'@'%'`);
    const sizes = await prometheus.waitForQuery('mysql_info_schema_table_size{schema=~"speedtest|wrongmove"}');
    expect(sizes.map((s) => `${s.metric.schema}.${s.metric.table} ${s.metric.component}`).sort()).toEqual(
      TENANTS.flatMap((t) => ['data_free', 'data_length', 'index_length'].map((c) => `${t.database}.items ${c}`)),
    );
    const rows = await prometheus.waitForQuery('mysql_info_schema_table_rows{schema=~"speedtest|wrongmove"}', (s) => s.length === 2);
    expect(rows.map((s) => [s.metric.schema, s.value[1]]).sort()).toEqual([
      ['speedtest', '2'],
      ['wrongmove', '2'],
    ]);
    expect(() => db.as(exporterUser, MARIADB_PROVISIONING.exporterPassword, 'SELECT * FROM speedtest.items')).toThrow(/denied/i);
  });

  it('--collect.sys.user_summary: needs SELECT ON sys.*; on MariaDB 10.11 it then fails on a negative (or NULL) current_memory', async () => {
    await waitFor('the denial of sys', () => /SELECT command denied to user '[^']+'@'[^']+' for table `sys`\.`x\$user_summary`/.test(exporter.log()));
    db.root(`GRANT SELECT ON \`sys\`.* TO '${exporterUser}'@'%'`);
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
});
