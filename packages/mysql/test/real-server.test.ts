/**
 * The provisioning SQL and the backup script against a real server: Debian's MariaDB 10.11
 * (the closest server available; the SQL is kept to what MySQL 8.4 accepts too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MARIADB_PROVISIONING, requirePrograms } from '@db/core/testing';
import { mysqlBackupScript } from '../src/backup.ts';
import { mysqlRestoreScript } from '../src/restore.ts';
import { resolveMysql } from '../src/model.ts';
import { provisioningScript, provisioningSql } from '../src/provisioning.ts';
import { BASE, modelOf, PrivateMariaDb } from './helpers.ts';

const programs = requirePrograms(
  'MySQL provisioning and backup tests against MariaDB',
  ['mariadbd', 'mariadb-install-db', 'mysql', 'mysqldump', 'bash', 'gzip'],
  'apt-get install mariadb-server mariadb-client',
);

const model = modelOf(`${BASE}
mysql: { backup: { keep: 2 } }
tenants:
  - { name: wrongmove, namespace: realestate-crawler, mysql: { database: wrongmove } }
  - { name: speedtest, mysql: { database: speedtest, connectionLimit: 2 } }
  - { name: trading-bot, mysql: { database: trading_bot, user: trading } }
`);
const my = resolveMysql(model);
const { exporterPassword: EXPORTER_PASSWORD, backupPassword: BACKUP_PASSWORD } = MARIADB_PROVISIONING;

describe.skipIf(!programs.available)('MySQL SQL and scripts on a real MariaDB', () => {
  const db = new PrivateMariaDb();
  let provision: () => string;

  beforeAll(async () => {
    await db.start();
    provision = db.prepareProvisioning({ script: provisioningScript(), sql: provisioningSql(my, model.cluster) });
    writeFileSync(join(db.work, 'backup.sh'), mysqlBackupScript(my));
  }, 60_000);
  afterAll(async () => {
    await db.stop();
  }, 30_000);

  /** Everything provisioning can change: databases, accounts with their credentials, grants. */
  const state = () => {
    const users = db.root("SELECT user, host, authentication_string, max_user_connections FROM mysql.user WHERE user <> '' ORDER BY user, host");
    const accounts = db.root("SELECT user, host FROM mysql.user WHERE user <> '' ORDER BY user, host").trim().split('\n');
    const grants = accounts.map((a) => {
      const [user, host] = a.split('\t');
      return db.root(`SHOW GRANTS FOR '${user}'@'${host}'`);
    });
    return { databases: db.root('SHOW DATABASES'), users, grants };
  };

  it('provisions every tenant, and a second run changes nothing', () => {
    expect(provision()).toContain('provision: done');
    const first = state();
    expect(first.databases.split('\n')).toEqual(expect.arrayContaining(['wrongmove', 'speedtest', 'trading_bot']));
    expect(first.users).toMatch(/^trading\t%\t/m);
    expect(first.users).toMatch(/^db_exporter\t%\t\S+\t3$/m);
    expect(provision()).toContain('provision: done');
    expect(state()).toEqual(first);
  });

  it('keeps an existing tenant password (Vault owns it) across runs', () => {
    db.root("ALTER USER 'wrongmove'@'%' IDENTIFIED BY 'VaultRotated.0001'");
    provision();
    expect(db.as('wrongmove', 'VaultRotated.0001', 'SELECT CURRENT_USER()').trim()).toBe('wrongmove@%');
  });

  it('lets a tenant user reach only its own database', () => {
    db.root("ALTER USER 'speedtest'@'%' IDENTIFIED BY 'VaultRotated.0002'; ALTER USER 'trading'@'%' IDENTIFIED BY 'VaultRotated.0003'");
    db.root('CREATE DATABASE IF NOT EXISTS tradingxbot; CREATE TABLE IF NOT EXISTS wrongmove.secret (id INT PRIMARY KEY)');
    expect(db.as('speedtest', 'VaultRotated.0002', 'SHOW DATABASES').trim().split('\n').sort()).toEqual(['information_schema', 'speedtest']);
    db.as('speedtest', 'VaultRotated.0002', 'CREATE TABLE speedtest.results (id INT PRIMARY KEY, mbps DOUBLE); INSERT INTO speedtest.results VALUES (1, 93.5)');
    expect(() => db.as('speedtest', 'VaultRotated.0002', 'SELECT * FROM wrongmove.secret')).toThrow(/denied/i);
    expect(() => db.as('speedtest', 'VaultRotated.0002', 'CREATE DATABASE other')).toThrow(/denied/i);
    // `_` in a GRANT is a wildcard: trading_bot's grant must not reach tradingxbot.
    expect(db.as('trading', 'VaultRotated.0003', 'SHOW DATABASES').trim().split('\n').sort()).toEqual(['information_schema', 'trading_bot']);
    expect(() => db.as('trading', 'VaultRotated.0003', 'CREATE TABLE tradingxbot.t (id INT)')).toThrow(/denied/i);
  });

  it('stops a tenant at its connection limit while another tenant still connects', async () => {
    db.root("ALTER USER 'speedtest'@'%' IDENTIFIED BY 'VaultRotated.0004'; ALTER USER 'trading'@'%' IDENTIFIED BY 'VaultRotated.0005'");
    expect(db.root("SELECT max_user_connections FROM mysql.user WHERE user = 'speedtest'").trim()).toBe('2');
    // Two sessions that stay open, as an app's pool would hold them.
    const holders = [0, 1].map(() =>
      spawn('mysql', ['--no-defaults', '--protocol=TCP', '-h127.0.0.1', `-P${db.port}`, '-uspeedtest', '-pVaultRotated.0004', '-e', 'SELECT SLEEP(30)'], { stdio: 'ignore' }),
    );
    try {
      const sessions = () => Number(db.root("SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'speedtest'").trim());
      for (let i = 0; i < 100 && sessions() < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect(sessions()).toBe(2);
      expect(() => db.as('speedtest', 'VaultRotated.0004', 'SELECT 1')).toThrow(/max_user_connections/);
      expect(db.as('trading', 'VaultRotated.0005', 'SELECT CURRENT_USER()').trim()).toBe('trading@%');
    } finally {
      for (const h of holders) h.kill('SIGKILL');
    }
    // A run without the limit lifts it.
    const unlimited = resolveMysql(
      modelOf(`${BASE}
tenants:
  - { name: speedtest, mysql: { database: speedtest } }
`),
    );
    const sqlFile = join(db.work, 'provision.sql');
    writeFileSync(sqlFile, provisioningSql(unlimited, model.cluster));
    provision();
    expect(db.root("SELECT max_user_connections FROM mysql.user WHERE user = 'speedtest'").trim()).toBe('0');
    writeFileSync(sqlFile, provisioningSql(my, model.cluster)); // back to the test's own provisioning
    provision();
  }, 60_000);

  it('grants the exporter no access to tenant data: it sees names and sizes (SHOW VIEW ON *.*), not rows', () => {
    expect(db.as('db_exporter', EXPORTER_PASSWORD, 'SHOW DATABASES').trim().split('\n')).toEqual(expect.arrayContaining(['information_schema', 'performance_schema', 'sys', 'wrongmove']));
    expect(db.as('db_exporter', EXPORTER_PASSWORD, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'wrongmove'").trim()).toBe('secret');
    expect(() => db.as('db_exporter', EXPORTER_PASSWORD, 'SELECT * FROM wrongmove.secret')).toThrow(/denied/i);
    expect(() => db.as('db_exporter', EXPORTER_PASSWORD, 'SELECT * FROM mysql.user')).toThrow(/denied/i);
    expect(db.as('db_exporter', EXPORTER_PASSWORD, "SHOW GLOBAL STATUS LIKE 'Threads_connected'")).toMatch(/Threads_connected\t\d+/);
  });

  const backupDir = () => join(db.work, 'backups');
  const backup = (password: string = BACKUP_PASSWORD, options: { stdio?: 'pipe' } = {}) =>
    db.runScript(join(db.work, 'backup.sh'), { BACKUP_DIR: backupDir(), BACKUP_NAME: my.name, PUSHGATEWAY_URL: '', MYSQL_USER: my.users.backup, MYSQL_PASSWORD: password }, options);

  const snapshot = () =>
    ['wrongmove', 'speedtest'].map((d) => ({
      tables: db.root(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${d}' ORDER BY table_name`),
      checksums: db.root(`CHECKSUM TABLE ${d}.listings, ${d}.results_view_source`),
      rows: db.root(`SELECT * FROM ${d}.listings ORDER BY id`),
      view: db.root(`SELECT * FROM ${d}.cheap ORDER BY id`),
    }));

  const archives = (tenant: string) =>
    readdirSync(join(backupDir(), tenant))
      .filter((f) => new RegExp(`^${tenant}-\\d{8}T\\d{6}Z\\.sql\\.gz$`).test(f))
      .sort();
  const newest = (tenant: string) => join(backupDir(), tenant, archives(tenant).at(-1)!);

  it('dumps each tenant database alone, with a manifest, and a dump restores into any name with identical data', () => {
    for (const d of ['wrongmove', 'speedtest']) {
      db.root(`CREATE TABLE ${d}.listings (id INT PRIMARY KEY, title VARCHAR(200) CHARACTER SET utf8mb4, price DECIMAL(12,2), photo MEDIUMBLOB, seen DATETIME(6));
        INSERT INTO ${d}.listings VALUES (1, 'Flat in Zürich ✓\nsecond line', 1250.50, UNHEX('00FF10'), '2026-04-16 02:30:00.123456'), (2, 'O''Brien\\'s cottage', 99.99, NULL, NULL), (3, '🏠 house', 320000.00, REPEAT('x', 70000), '2026-05-30 17:49:43');
        CREATE TABLE ${d}.results_view_source (k INT PRIMARY KEY, v TEXT); INSERT INTO ${d}.results_view_source VALUES (1, 'a'), (2, NULL);
        CREATE VIEW ${d}.cheap AS SELECT id, title FROM ${d}.listings WHERE price < 2000;`);
    }
    const before = snapshot();
    const out = backup();
    expect(out).toMatch(/backup: wrongmove done, \d+ bytes, 4 objects, 5 rows/);
    expect(out).toContain('backup: done, 3 tenants');
    for (const t of ['wrongmove', 'speedtest', 'trading-bot']) expect(archives(t)).toHaveLength(1);
    const manifest = readFileSync(`${newest('wrongmove')}.manifest`, 'utf8');
    expect(manifest).toMatch(/^table listings 3$/m);
    expect(manifest).toMatch(/^table results_view_source 2$/m);
    expect(manifest).toMatch(/^objects 4$/m); // 3 tables (one is the secret table of an earlier test) and the view
    const dump = execFileSync('gzip', ['-dc', newest('wrongmove')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(dump).not.toMatch(/CREATE DATABASE|^USE /m);
    expect(dump).not.toContain('speedtest');

    // Into the same names...
    db.root('DROP DATABASE wrongmove; DROP DATABASE speedtest; CREATE DATABASE wrongmove; CREATE DATABASE speedtest');
    for (const d of ['wrongmove', 'speedtest'])
      execFileSync('bash', ['-o', 'pipefail', '-c', `gzip -dc -- "$1" | mysql --no-defaults --socket=${db.socket} -uroot --default-character-set=utf8mb4 ${d}`, '_', newest(d)], { timeout: 60_000 });
    expect(snapshot()).toEqual(before);
    // ...and into a new one.
    db.root('CREATE DATABASE wrongmove_copy');
    execFileSync('bash', ['-o', 'pipefail', '-c', `gzip -dc -- "$1" | mysql --no-defaults --socket=${db.socket} -uroot --default-character-set=utf8mb4 wrongmove_copy`, '_', newest('wrongmove')], {
      timeout: 60_000,
    });
    expect(db.root('CHECKSUM TABLE wrongmove_copy.listings').split('\t')[1]).toBe(db.root('CHECKSUM TABLE wrongmove.listings').split('\t')[1]);
    db.root('DROP DATABASE wrongmove_copy');
  });

  it("keeps each tenant's configured number of dumps", async () => {
    // Archive names carry the second they were taken: make this one differ from the last.
    await new Promise((r) => setTimeout(r, 1100));
    const old = ['20250101T000000Z', '20250102T000000Z', '20250103T000000Z'].map((s) => `speedtest-${s}.sql.gz`);
    for (const f of old) writeFileSync(join(backupDir(), 'speedtest', f), '');
    writeFileSync(join(backupDir(), 'speedtest', 'unrelated.txt'), 'kept');
    const out = backup();
    expect(out).toMatch(/retention: removed/);
    const left = readdirSync(join(backupDir(), 'speedtest')).sort();
    // keep: 2 → the two newest archives (both real dumps) with their manifests, plus the file that is no archive.
    expect(left.filter((f) => f.endsWith('.sql.gz'))).toHaveLength(my.backup.keep);
    expect(left.filter((f) => f.endsWith('.manifest'))).toHaveLength(my.backup.keep);
    expect(left.some((f) => old.includes(f))).toBe(false);
    expect(left).toContain('unrelated.txt');
  });

  const restore = (env: Record<string, string>) =>
    spawnSync('bash', [join(db.work, 'restore.sh')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        TMPDIR: db.work,
        MYSQL_HOST: '127.0.0.1',
        MYSQL_PORT: String(db.port),
        MYSQL_USER: MARIADB_PROVISIONING.admin.user,
        MYSQL_PASSWORD: MARIADB_PROVISIONING.admin.password,
        BACKUP_DIR: backupDir(),
        BACKUP_NAME: my.name,
        PUSHGATEWAY_URL: '',
        RESTORE_TENANT: 'wrongmove',
        RESTORE_DATABASE: 'wrongmove',
        ...env,
      },
    });
  /** Every tenant database's tables with their checksums, to prove what a restore did not touch. */
  const everything = () =>
    db
      .root(
        "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables WHERE table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') AND table_type = 'BASE TABLE' ORDER BY 1",
      )
      .trim()
      .split('\n')
      .map((t) => db.root(`CHECKSUM TABLE ${t}`).trim());

  it("lists a tenant's dumps, then restores one into a new database, leaving every other database untouched", () => {
    writeFileSync(join(db.work, 'restore.sh'), mysqlRestoreScript());
    const list = restore({ RESTORE_ACTION: 'list' });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/ {2}wrongmove-\d{8}T\d{6}Z\.sql\.gz {2}\d+ bytes {2}4 objects {2}5 rows/);
    const before = everything();
    const r = restore({ RESTORE_INTO: 'wrongmove_restored' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/restore: done: 4 objects, 5 rows of tenant wrongmove restored into wrongmove_restored from wrongmove-/);
    expect(db.root('CHECKSUM TABLE wrongmove_restored.listings').split('\t')[1]).toBe(db.root('CHECKSUM TABLE wrongmove.listings').split('\t')[1]);
    expect(everything().filter((l) => !l.startsWith('wrongmove_restored.'))).toEqual(before);
    db.root('DROP DATABASE wrongmove_restored');
  });

  it('refuses a database that holds tables without replace, and changes nothing; with replace, puts the dump back', () => {
    db.root('DELETE FROM wrongmove.listings WHERE id > 1');
    const before = everything();
    const refused = restore({});
    expect(refused.status).toBe(3);
    expect(refused.stderr).toMatch(/restore REFUSED: database wrongmove already holds \d+ objects; nothing was changed/);
    expect(everything()).toEqual(before);
    const others = before.filter((l) => !l.startsWith('wrongmove.'));
    const replaced = restore({ RESTORE_REPLACE: 'true' });
    expect(replaced.status, replaced.stderr).toBe(0);
    expect(db.root('SELECT COUNT(*) FROM wrongmove.listings').trim()).toBe('3');
    expect(everything().filter((l) => !l.startsWith('wrongmove.'))).toEqual(others);
  });

  it('fails the backup, leaving no partial file, when the server refuses the login', () => {
    const before = readdirSync(backupDir(), { recursive: true }).sort();
    expect(() => backup('wrong-password-123', { stdio: 'pipe' })).toThrow();
    expect(readdirSync(backupDir(), { recursive: true }).sort()).toEqual(before);
  });
});
