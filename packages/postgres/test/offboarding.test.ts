/**
 * Retiring and purging a PostgreSQL tenant: what is rendered (NOLOGIN managed role, no network
 * path, the Database kept, a one-shot final dump; then Database and role `ensure: absent` and
 * a purge Job), and, on a real server, what it does: the statements CNPG runs for those
 * objects (operator-contract.ts, from the CNPG 1.30 source) and the rendered scripts. After
 * retiring, the tenant cannot log in while another still can, its data is intact and its
 * final dump restores to identical data; after the purge its database and role are gone and
 * the other tenant is untouched.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { K8sObject } from '@db/core';
import { findObject, requirePrograms, startPostgres, startPushgateway, synthEngine, type PostgresServer, type Pushgateway } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { postgresRestoreScript } from '../src/restore.ts';
import { cnpgAlterRoleSql, cnpgCreateRoleSql, cnpgDropDatabaseSql, cnpgDropRoleSql } from '../src/operator-contract.ts';
import { modelFromYaml, PROD_LIKE } from './helpers.ts';

const HEAD = PROD_LIKE.replace(/tenants:[\s\S]*$/, '');
const render = (affine: string, pg = '') =>
  synthEngine(
    postgresEngine,
    modelFromYaml(`${HEAD}tenants:
  - { name: linkwarden, postgres: { database: linkwarden } }
  - { name: affine, namespace: affine-app, postgres: { database: affine${pg} }${affine} }
`),
  );
const active = render('');
const retired = render(', state: retired, retiredOn: 2026-01-05');
const purged = render(', state: retired, retiredOn: 2026-01-05, purge: true');

const role = (objects: K8sObject[], name: string) => findObject(objects, 'Cluster', 'pg-cluster').spec.managed.roles.find((r: { name: string }) => r.name === name);
const jobs = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Job');
const env = (job: K8sObject): Record<string, string> =>
  Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
const namespacesIn = (objects: K8sObject[], policy: string) => JSON.stringify(findObject(objects, 'NetworkPolicy', policy).spec.ingress);

describe('retiring a PostgreSQL tenant renders', () => {
  it('its managed role NOLOGIN, still present, its password left alone (no passwordSecret)', () => {
    expect(role(active, 'affine')).toMatchObject({ ensure: 'present', login: true });
    expect(role(retired, 'affine')).toMatchObject({ ensure: 'present', login: false });
    expect(role(retired, 'affine').passwordSecret).toBeUndefined();
    expect(role(retired, 'linkwarden')).toMatchObject({ login: true });
    // Its own-database access rule goes; the reject-everywhere rule stays.
    const hba = findObject(retired, 'Cluster', 'pg-cluster').spec.postgresql.pg_hba as string[];
    expect(hba).toContain('host all affine all reject');
    expect(hba).not.toContain('host affine affine all scram-sha-256');
  });

  it('no network path from its namespace, while the other tenant keeps its own', () => {
    expect(namespacesIn(active, 'pgbouncer')).toContain('affine-app');
    expect(namespacesIn(retired, 'pgbouncer')).not.toContain('affine-app');
    expect(namespacesIn(retired, 'pgbouncer')).toContain('"linkwarden"');
  });

  it('its Database kept (present, reclaim policy retain) and one final-dump Job, named by a hash so it runs once', () => {
    expect(findObject(retired, 'Database', 'pg-cluster-affine').spec).toMatchObject({ ensure: 'present', databaseReclaimPolicy: 'retain' });
    const [job, ...more] = jobs(retired);
    expect(more).toEqual([]);
    expect(job!.metadata.name).toMatch(/^final-dump-postgres-affine-[0-9a-f]{8}$/);
    expect(jobs(render(', state: retired, retiredOn: 2026-01-05'))[0]!.metadata.name).toBe(job!.metadata.name);
    expect(jobs(render(', state: retired, retiredOn: 2026-01-06'))[0]!.metadata.name).not.toBe(job!.metadata.name);
    expect(job!.metadata.labels).toMatchObject({ 'db-platform.io/run-once': 'true', 'db-platform.io/tenant': 'affine', 'app.kubernetes.io/component': 'backup' });
    expect(env(job!)).toMatchObject({ BACKUP_TENANT: 'affine', BACKUP_DATABASE: 'affine', BACKUP_TAG: 'final' });
    const pod = job!.spec.template.spec;
    expect(pod.containers[0].command).toEqual(['/bin/bash', '/scripts/backup.sh', '--tenant']);
    expect(pod.volumes.find((v: { name: string }) => v.name === 'script').configMap.name).toBe('pg-cluster-backup-script');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toMatchObject({ operator: 'NotIn', values: ['k8s-node1'] });
  });
});

describe('purging a PostgreSQL tenant renders', () => {
  it('its Database and managed role ensure: absent, no final dump any more, and a purge Job', () => {
    expect(findObject(purged, 'Database', 'pg-cluster-affine').spec.ensure).toBe('absent');
    expect(role(purged, 'affine')).toEqual({ name: 'affine', ensure: 'absent', comment: 'tenant affine; purged' });
    expect(role(purged, 'db_restore').inRoles).toEqual(['linkwarden']);
    const [job, ...more] = jobs(purged);
    expect(more).toEqual([]);
    expect(job!.metadata.name).toMatch(/^purge-postgres-affine-[0-9a-f]{8}$/);
    expect(env(job!)).toMatchObject({ PURGE_TENANT: 'affine', PURGE_DATABASE: 'affine', PURGE_LOGIN: 'affine', BACKUP_NAME: 'pg-cluster' });
    expect(findObject(purged, 'NetworkPolicy', 'pg-cluster-purge').spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'pg-cluster', 'app.kubernetes.io/component': 'purge' });
    // Nightly dumps and drills of a tenant without data stop.
    expect(findObject(purged, 'ConfigMap', 'pg-cluster-backup-script').data['backup.sh']).not.toContain(`'affine'`);
    expect(findObject(purged, 'ConfigMap', 'pg-cluster-restore-drill-script').data['drill.sh']).not.toContain(`'affine'`);
  });
});

const programs = requirePrograms('PostgreSQL offboarding', ['pg_dump', 'pg_restore', 'psql', 'prometheus-pushgateway', 'gzip'], 'apt-get install postgresql prometheus-pushgateway');

describe.skipIf(!programs.available)('retiring then purging a PostgreSQL tenant on a real server', () => {
  let pg: PostgresServer;
  let gateway: Pushgateway;
  const dir = mkdtempSync(join(tmpdir(), 'pg-offboarding-'));
  const backupDir = join(dir, 'nfs');
  const files = {
    backup: join(dir, 'backup.sh'),
    restore: join(dir, 'restore.sh'),
    purge: join(dir, 'purge.sh'),
  };
  const PASSWORD = 'TenantPassw0rd.1';

  beforeAll(async () => {
    [pg, gateway] = await Promise.all([startPostgres(), startPushgateway()]);
    writeFileSync(files.backup, findObject(retired, 'ConfigMap', 'pg-cluster-backup-script').data['backup.sh']);
    writeFileSync(files.restore, postgresRestoreScript());
    writeFileSync(files.purge, findObject(purged, 'ConfigMap', 'pg-cluster-purge-script').data['purge.sh']);
    pg.sql(`create role db_backup login password 'backup-secret' in role pg_read_all_data`);
    pg.sql(`create role db_restore login createdb password 'restore-secret'`);
    // The tenant roles as CNPG creates them from the active render.
    for (const name of ['linkwarden', 'affine']) {
      pg.sql(cnpgCreateRoleSql(role(active, name), PASSWORD));
      pg.sql(`create database ${name} owner ${name}`);
      pg.sql(`grant ${name} to db_restore`);
      pg.sql(`set role ${name}; create table items (id serial primary key, title text); insert into items (title) select 'item ' || g from generate_series(1, 300) g`, name);
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all([pg?.stop(), gateway?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const login = (user: string) =>
    spawnSync(join(pg.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', user, '-X', '-At', '-c', 'select count(*) from items'], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: PASSWORD, PGCONNECT_TIMEOUT: '5' },
    });
  const fingerprint = (db: string) => pg.sql(`select md5(string_agg(id || title, '|' order by id)) || ' ' || count(*) from items`, db).trim();
  const connection = { PGHOST: '127.0.0.1', PGPORT: '', PGDATABASE: 'postgres', HOME: dir };
  const bash = (file: string, env: Record<string, string>, args: string[] = []) =>
    spawnSync('bash', [file, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      // The Job's environment, pointed at the test's server, folder and Pushgateway.
      env: { ...env, PATH: `${pg.bin}:${process.env.PATH}`, ...connection, PGPORT: String(pg.port), BACKUP_DIR: backupDir, PUSHGATEWAY_URL: gateway.url },
    });
  const finals = () => (existsSync(join(backupDir, 'affine')) ? readdirSync(join(backupDir, 'affine')).filter((f) => /^affine-final-\d{8}T\d{6}Z\.pgdump\.gz$/.test(f)) : []);

  // CloudNativePG 1.30.0, internal/management/controller/roles/: a managed role that differs from
  // its entry is updated with ALTER ROLE and every attribute (postgres.go:114-141, NOLOGIN at
  // 363-367), without a PASSWORD clause when the entry has no passwordSecret (roles.go:93-96
  // ignorePassword; postgres.go:393-396); an entry with ensure: absent is dropped (roles.go:170-172,
  // postgres.go:181-200 DROP ROLE IF EXISTS). A Database with ensure: absent is dropped whatever its
  // reclaim policy (internal/management/controller/database_controller.go:299-301,
  // database_controller_sql.go:227-244 DROP DATABASE IF EXISTS). operator-contract.ts renders those statements.
  it('retired: the tenant cannot log in, the other tenant still can, and its data is intact', () => {
    const before = fingerprint('affine');
    expect(login('affine').stdout.trim()).toBe('300');
    pg.sql(cnpgAlterRoleSql(role(retired, 'affine')));
    pg.sql(cnpgAlterRoleSql(role(retired, 'linkwarden')));
    const refused = login('affine');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/role "affine" is not permitted to log in/);
    expect(login('linkwarden').stdout.trim()).toBe('300');
    expect(fingerprint('affine')).toBe(before);
    // CNPG's ALTER ROLE has no PASSWORD clause for a role without passwordSecret: the password is kept.
    expect(pg.sql(`select rolpassword is not null from pg_authid where rolname = 'affine'`).trim()).toBe('t');
  });

  it('the final-dump Job writes affine-final-<stamp>, which the nightly retention never removes', async () => {
    const job = jobs(retired)[0]!;
    const r = bash(files.backup, { ...env(job), PGUSER: 'db_backup', PGPASSWORD: 'backup-secret' }, job.spec.template.spec.containers[0].command.slice(2));
    expect(r.status, r.stderr).toBe(0);
    expect(finals()).toHaveLength(1);
    expect(existsSync(join(backupDir, 'affine', `${finals()[0]}.manifest`))).toBe(true);
    // Nightly runs of a render that keeps 1 dump of the tenant: the final dump stays beside the newest nightly one.
    const keepOne = join(dir, 'backup-keep-1.sh');
    writeFileSync(keepOne, findObject(render(', state: retired, retiredOn: 2026-01-05', ', backup: { keep: 1 }'), 'ConfigMap', 'pg-cluster-backup-script').data['backup.sh']);
    for (let i = 0; i < 2; i++) {
      const nightly = bash(keepOne, { BACKUP_NAME: 'pg-cluster', PGUSER: 'db_backup', PGPASSWORD: 'backup-secret' });
      expect(nightly.status, nightly.stderr).toBe(0);
      await new Promise((res) => setTimeout(res, 1100));
    }
    expect(finals()).toHaveLength(1);
    expect(readdirSync(join(backupDir, 'affine')).filter((f) => /^affine-\d{8}T\d{6}Z\.pgdump\.gz$/.test(f))).toHaveLength(1);
    expect(await gateway.metrics()).toMatch(/db_backup_last_status\{backup="pg-cluster-final",engine="postgres",instance="",job="db-backup",tenant="affine"\} 1/);
  }, 60_000);

  it("the final dump restores to identical data (the rendered restore script, as the tenant's role)", () => {
    const r = bash(files.restore, {
      BACKUP_NAME: 'pg-cluster',
      PGUSER: 'db_restore',
      PGPASSWORD: 'restore-secret',
      RESTORE_ACTION: 'restore',
      RESTORE_TENANT: 'affine',
      RESTORE_DATABASE: 'affine',
      RESTORE_ROLE: 'affine',
      RESTORE_DUMP: finals()[0]!,
      RESTORE_INTO: 'affine_check',
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(fingerprint('affine_check')).toBe(fingerprint('affine'));
    pg.sql('drop database affine_check');
  });

  it('purged: the purge Job fails while CNPG has not dropped them, then, once it has, confirms and forgets the backup series', async () => {
    const job = jobs(purged)[0]!;
    const run = () => bash(files.purge, { ...env(job), PGUSER: 'db_backup', PGPASSWORD: 'backup-secret', PURGE_WAIT_SECONDS: '0' });
    const early = run();
    expect(early.status).not.toBe(0);
    expect(early.stderr).toMatch(/database affine or role affine still exists/);
    const linkwarden = fingerprint('linkwarden');
    // What CNPG runs for the purged render, in its order: the role first fails (it owns the database), the database goes, then the role.
    expect(() => pg.sql(cnpgDropRoleSql(role(purged, 'affine')))).toThrow(/owner of database affine/);
    pg.sql(cnpgDropDatabaseSql(findObject(purged, 'Database', 'pg-cluster-affine')));
    pg.sql(cnpgDropRoleSql(role(purged, 'affine')));
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('purge: database affine and role affine are dropped');
    expect(pg.sql(`select count(*) from pg_database where datname = 'affine'`).trim()).toBe('0');
    expect(pg.sql(`select count(*) from pg_roles where rolname = 'affine'`).trim()).toBe('0');
    expect(fingerprint('linkwarden')).toBe(linkwarden);
    expect(login('linkwarden').stdout.trim()).toBe('300');
    const metrics = await gateway.metrics();
    expect(metrics).not.toMatch(/db_backup_last_status\{backup="pg-cluster",[^}]*tenant="affine"\}/);
    expect(metrics).toMatch(/db_backup_last_status\{backup="pg-cluster",[^}]*tenant="linkwarden"\} 1/);
    expect(metrics).toMatch(/db_purge_last_status\{backup="pg-cluster",engine="postgres",instance="",job="db-purge",tenant="affine"\} 1/);
    // The final dump stays on NFS.
    expect(finals()).toHaveLength(1);
  }, 60_000);
});
