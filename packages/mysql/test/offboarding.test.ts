/**
 * Retiring and purging a MySQL tenant: what is rendered (ACCOUNT LOCK in the provisioning SQL,
 * no network path, a one-shot final dump, a record carrying the tenant's label; then a purge
 * Job), and, on a real MariaDB, what the rendered SQL and scripts do: after retiring, the
 * tenant cannot log in while another still can, its data is intact and its final dump restores
 * to identical data; after the purge its database and user are gone, the other tenant untouched.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { K8sObject } from '@db/core';
import { findObject, MARIADB_PROVISIONING, requirePrograms, synthEngine } from '@db/core/testing';
import { mysqlEngine } from '../src/engine.ts';
import { mysqlRestoreScript } from '../src/restore.ts';
import { BASE, modelOf, PrivateMariaDb } from './helpers.ts';

const render = (affine: string, my = '') =>
  synthEngine(
    mysqlEngine,
    modelOf(`${BASE}
mysql: {}
tenants:
  - { name: nextcloud, mysql: { database: nextcloud } }
  - { name: affine, namespace: affine-app, mysql: { database: affine${my} }${affine} }
`),
  );
const active = render('');
const retired = render(', state: retired, retiredOn: 2026-01-05');
const purged = render(', state: retired, retiredOn: 2026-01-05, purge: true');

const configMap = (objects: K8sObject[], name: string, key: string): string => findObject(objects, 'ConfigMap', name).data[key];
const jobs = (objects: K8sObject[], prefix: string) => objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith(prefix));
const env = (job: K8sObject): Record<string, string> =>
  Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));

describe('retiring and purging a MySQL tenant renders', () => {
  it('ACCOUNT LOCK for the retired tenant, UNLOCK for the active one; a purged one is no longer provisioned', () => {
    const sql = configMap(retired, 'mysql-provisioning', 'provision.sql');
    expect(sql).toContain("ALTER USER 'affine'@'%' ACCOUNT LOCK;");
    expect(sql).toContain("ALTER USER 'nextcloud'@'%' ACCOUNT UNLOCK;");
    expect(configMap(active, 'mysql-provisioning', 'provision.sql')).toContain("ALTER USER 'affine'@'%' ACCOUNT UNLOCK;");
    expect(configMap(purged, 'mysql-provisioning', 'provision.sql')).not.toContain('affine');
  });

  it('no network path from its namespace', () => {
    expect(JSON.stringify(findObject(active, 'NetworkPolicy', 'mysql').spec.ingress)).toContain('affine-app');
    expect(JSON.stringify(findObject(retired, 'NetworkPolicy', 'mysql').spec.ingress)).not.toContain('affine-app');
  });

  it('a record per tenant, with its label and state, so removing it from the file is refused until purged', () => {
    const record = findObject(retired, 'ConfigMap', 'mysql-tenant-affine');
    expect(record.metadata.labels?.['db-platform.io/tenant']).toBe('affine');
    expect(record.data).toMatchObject({ tenant: 'affine', state: 'retired', database: 'affine', user: 'affine', retiredOn: '2026-01-05', purgeAllowedOn: '2026-02-04' });
    expect(findObject(active, 'ConfigMap', 'mysql-tenant-nextcloud').data.state).toBe('active');
    expect(findObject(purged, 'ConfigMap', 'mysql-tenant-affine').data.state).toBe('purged');
  });

  it('one final-dump Job when retired, one purge Job (as root) when purged, each named by a hash', () => {
    expect(jobs(active, 'final-dump-')).toEqual([]);
    const [dump] = jobs(retired, 'final-dump-');
    expect(dump!.metadata.name).toMatch(/^final-dump-mysql-affine-[0-9a-f]{8}$/);
    expect(env(dump!)).toMatchObject({ BACKUP_TENANT: 'affine', BACKUP_DATABASE: 'affine', BACKUP_TAG: 'final', MYSQL_USER: 'db_backup' });
    expect(jobs(purged, 'final-dump-')).toEqual([]);
    const [purge] = jobs(purged, 'purge-');
    expect(purge!.metadata.name).toMatch(/^purge-mysql-affine-[0-9a-f]{8}$/);
    expect(env(purge!)).toMatchObject({ PURGE_DATABASE: 'affine', PURGE_LOGIN: 'affine', MYSQL_USER: 'root' });
    expect(findObject(purged, 'NetworkPolicy', 'mysql-purge').spec.podSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'purge' });
  });
});

const programs = requirePrograms('MySQL offboarding on a real MariaDB', ['mariadbd', 'mariadb-install-db', 'mysql', 'mysqldump', 'gzip'], 'apt-get install mariadb-server mariadb-client');

describe.skipIf(!programs.available)('retiring then purging a MySQL tenant on a real MariaDB', () => {
  const db = new PrivateMariaDb();
  const backupDir = () => join(db.work, 'backups');
  const PASSWORD = 'TenantPassw0rd.1';
  const { admin, backupPassword } = MARIADB_PROVISIONING;
  let provisionActive: () => string;

  beforeAll(async () => {
    await db.start();
    provisionActive = db.prepareProvisioning({ script: configMap(active, 'mysql-provisioning', 'provision.sh'), sql: configMap(active, 'mysql-provisioning', 'provision.sql') });
    provisionActive();
    const rows = Array.from({ length: 300 }, (_, i) => `(${i + 1}, 'item ${i + 1}')`).join(', ');
    for (const name of ['nextcloud', 'affine']) {
      db.root(`ALTER USER '${name}'@'%' IDENTIFIED BY '${PASSWORD}'`);
      db.as(name, PASSWORD, `CREATE TABLE ${name}.items (id INT PRIMARY KEY, title VARCHAR(40)); INSERT INTO ${name}.items VALUES ${rows}`);
    }
    writeFileSync(join(db.work, 'backup.sh'), configMap(retired, 'mysql-backup-script', 'backup.sh'));
    writeFileSync(join(db.work, 'restore.sh'), mysqlRestoreScript());
    writeFileSync(join(db.work, 'purge.sh'), configMap(purged, 'mysql-purge-script', 'purge.sh'));
  }, 60_000);
  afterAll(async () => {
    await db.stop();
  }, 30_000);

  /** Runs the provisioning of a render (its SQL written where the prepared script reads it). */
  const provision = (objects: K8sObject[]) => {
    writeFileSync(join(db.work, 'provision.sql'), configMap(objects, 'mysql-provisioning', 'provision.sql'));
    return provisionActive();
  };
  const login = (user: string) => {
    try {
      return db.as(user, PASSWORD, `SELECT COUNT(*) FROM ${user}.items`).trim();
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? err);
    }
  };
  const checksum = (table: string) => db.root(`CHECKSUM TABLE ${table}`).split('\t')[1];
  const finals = () => (existsSync(join(backupDir(), 'affine')) ? readdirSync(join(backupDir(), 'affine')).filter((f) => /^affine-final-\d{8}T\d{6}Z\.sql\.gz$/.test(f)) : []);
  /** A Job's script with the Job's environment, pointed at this server and folder. */
  const runJob = (file: string, job: K8sObject, credentials: Record<string, string>) =>
    execFileSync('bash', [file, ...job.spec.template.spec.containers[0].command.slice(2)], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...env(job), PATH: process.env.PATH, TMPDIR: db.work, MYSQL_HOST: '127.0.0.1', MYSQL_PORT: String(db.port), BACKUP_DIR: backupDir(), PUSHGATEWAY_URL: '', ...credentials },
    });

  it('retired: the account is locked, the other tenant still logs in, the data is intact; active again unlocks it', () => {
    const before = checksum('affine.items');
    expect(login('affine')).toBe('300');
    expect(provision(retired)).toContain('provision: done');
    expect(login('affine')).toMatch(/account is locked/i);
    expect(login('nextcloud')).toBe('300');
    expect(checksum('affine.items')).toBe(before);
    // The password Vault set is kept (only the lock changed), so taking the retirement back restores the login.
    provision(active);
    expect(login('affine')).toBe('300');
    provision(retired);
    expect(login('affine')).not.toBe('300');
  });

  it('the final dump is written as affine-final-<stamp> and restores to identical data', () => {
    const out = runJob(join(db.work, 'backup.sh'), jobs(retired, 'final-dump-')[0]!, { MYSQL_USER: 'db_backup', MYSQL_PASSWORD: backupPassword });
    expect(out).toContain('backup: affine done');
    expect(finals()).toHaveLength(1);
    const restored = execFileSync('bash', [join(db.work, 'restore.sh')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        TMPDIR: db.work,
        MYSQL_HOST: '127.0.0.1',
        MYSQL_PORT: String(db.port),
        MYSQL_USER: admin.user,
        MYSQL_PASSWORD: admin.password,
        BACKUP_DIR: backupDir(),
        BACKUP_NAME: 'mysql',
        PUSHGATEWAY_URL: '',
        RESTORE_TENANT: 'affine',
        RESTORE_DATABASE: 'affine',
        RESTORE_DUMP: finals()[0]!,
        RESTORE_INTO: 'affine_check',
      },
    });
    expect(restored).toMatch(/restore: done: \d+ objects, 300 rows of tenant affine restored into affine_check/);
    expect(checksum('affine_check.items')).toBe(checksum('affine.items'));
    db.root('DROP DATABASE affine_check');
  });

  it('purged: the purge Job drops the database and the user, a second run changes nothing, the other tenant is untouched', () => {
    const nextcloud = checksum('nextcloud.items');
    provision(purged);
    const job = jobs(purged, 'purge-')[0]!;
    const out = runJob(join(db.work, 'purge.sh'), job, { MYSQL_USER: admin.user, MYSQL_PASSWORD: admin.password });
    expect(out).toContain('purge: dropped database affine and user affine');
    expect(db.root("SHOW DATABASES LIKE 'affine'").trim()).toBe('');
    expect(db.root("SELECT COUNT(*) FROM mysql.user WHERE user = 'affine'").trim()).toBe('0');
    expect(runJob(join(db.work, 'purge.sh'), job, { MYSQL_USER: admin.user, MYSQL_PASSWORD: admin.password })).toContain('purge: done');
    expect(checksum('nextcloud.items')).toBe(nextcloud);
    expect(login('nextcloud')).toBe('300');
    // Provisioning the purged render does not bring it back.
    provision(purged);
    expect(db.root("SHOW DATABASES LIKE 'affine'").trim()).toBe('');
    expect(finals()).toHaveLength(1);
  });
});
