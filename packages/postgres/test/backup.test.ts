/**
 * The rendered backup script, run for real: one custom-format pg_dump per tenant database
 * plus the roles (no passwords), as the non-superuser backup role; each tenant's dump
 * restores alone into another server, under the same or a new name, with identical data; a
 * manifest beside each dump says what it holds; retention per tenant; metrics per tenant on
 * a real Pushgateway; one tenant failing neither stops the others nor leaves a partial file.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePrograms, startPostgres, startPushgateway, synthEngine, findObject, type PostgresServer, type Pushgateway } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { resolvePostgres } from '../src/model.ts';
import { postgresRestoreScript } from '../src/restore.ts';
import { modelFromYaml, PROD_LIKE, prodLike } from './helpers.ts';

const objects = synthEngine(postgresEngine, prodLike());
const cronJob = findObject(objects, 'CronJob', 'pg-cluster-backup');

const model = modelFromYaml(
  PROD_LIKE.replace(/tenants:[\s\S]*$/, '') +
    `tenants:
  - { name: linkwarden, postgres: { database: linkwarden, backup: { keep: 2 } } }
  - { name: apple-health-data, postgres: { database: health } }
`,
);
const script: string = findObject(synthEngine(postgresEngine, model), 'ConfigMap', 'pg-cluster-backup-script').data['backup.sh'];

describe('PostgreSQL backup CronJob', () => {
  it('runs daily at 02:00 UTC, never overlapping, with a starting deadline', () => {
    expect(cronJob.spec.schedule).toBe('0 2 * * *');
    expect(cronJob.spec.timeZone).toBe('Etc/UTC');
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.startingDeadlineSeconds).toBeGreaterThan(0);
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    // Through a claim on a static NFS PersistentVolume: the restricted profile refuses nfs volumes in pods.
    expect(pod.volumes.find((v: any) => v.name === 'backup').persistentVolumeClaim).toEqual({ claimName: 'pg-cluster-backup' });
    const pv = findObject(objects, 'PersistentVolume', 'dbaas-pg-cluster-backup');
    expect(pv.spec.nfs).toEqual({ server: 'nfs.lan', path: '/srv/nfs/postgres-backup' });
    expect(pv.spec.claimRef).toMatchObject({ namespace: 'dbaas', name: 'pg-cluster-backup' });
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(findObject(objects, 'PersistentVolumeClaim', 'pg-cluster-backup').spec.volumeName).toBe('dbaas-pg-cluster-backup');
    expect(pod.containers[0].image).toBe(findObject(objects, 'Cluster', 'pg-cluster').spec.imageName);
  });

  it("dumps every tenant's database, each kept as the tenant says or as the cluster does", () => {
    expect(resolvePostgres(model).tenants.map((t) => [t.tenant.name, t.backupKeep])).toEqual([
      ['linkwarden', 2],
      ['apple-health-data', 7],
    ]);
    expect(script).toContain(`'linkwarden' 'linkwarden' 2`);
    expect(script).toContain(`'apple-health-data' 'health' 7`);
  });
});

describe('PostgreSQL restore Jobs (restores: entries)', () => {
  const withEntries = (entries: string) => modelFromYaml(`${PROD_LIKE}restores:\n${entries}`);
  const jobs = (m: ReturnType<typeof prodLike>) => synthEngine(postgresEngine, m).filter((o) => o.kind === 'Job');
  const entry = '  - { engine: postgres, tenant: linkwarden, into: linkwarden_copy, reason: "check the 2026-05 import" }\n';

  it('renders one Job per entry, named by a hash of the entry, so an entry runs once and a changed one runs again', () => {
    const [job] = jobs(withEntries(entry));
    expect(job!.metadata.name).toMatch(/^restore-postgres-linkwarden-[0-9a-f]{8}$/);
    expect(jobs(withEntries(entry))[0]!.metadata.name).toBe(job!.metadata.name);
    expect(jobs(withEntries(entry.replace('linkwarden_copy', 'linkwarden_copy2')))[0]!.metadata.name).not.toBe(job!.metadata.name);
    expect(jobs(prodLike())).toEqual([]);
    expect(job!.spec.backoffLimit).toBe(0);
    expect(job!.metadata.annotations?.['kustomize.toolkit.fluxcd.io/ssa']).toBe('IfNotPresent');
    expect(job!.metadata.labels?.['db-platform.io/run-once']).toBe('true');
    const pod = job!.spec.template.spec;
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toMatchObject({ operator: 'NotIn', values: ['k8s-node1'] });
    expect(pod.volumes.find((v: any) => v.name === 'backup').persistentVolumeClaim).toEqual({ claimName: 'pg-cluster-backup', readOnly: true });
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef.name]));
    expect(env).toMatchObject({ RESTORE_TENANT: 'linkwarden', RESTORE_INTO: 'linkwarden_copy', RESTORE_REPLACE: 'false', RESTORE_ROLE: 'linkwarden', PGUSER: 'pg-cluster-db-restore' });
  });

  it('gives a listing no credentials and no network path; restore pods a network policy to the primary and the Pushgateway only', () => {
    const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const listingOnly = synthEngine(postgresEngine, withEntries('  - { engine: postgres, tenant: authentik, action: list }\n'));
    // A listing alone renders no restore policy: its pod keeps the namespace's default deny (and DNS).
    expect(listingOnly.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'pg-cluster-restore')).toEqual([]);
    const objects = synthEngine(postgresEngine, withEntries(`  - { engine: postgres, tenant: authentik, action: list }\n${entry}`));
    const [list, restore] = ['list', 'restore'].map((action) => objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith(`${action}-`))!);
    expect(list!.metadata.name).toMatch(/^list-postgres-authentik-[0-9a-f]{8}$/);
    expect(list!.spec.template.spec.containers[0].env.map((e: any) => e.name)).not.toContain('PGPASSWORD');
    const policy = findObject(objects, 'NetworkPolicy', 'pg-cluster-restore');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'pg-cluster', 'app.kubernetes.io/component': 'restore', 'db-platform.io/restoring': 'true' });
    expect(selects(policy.spec.podSelector.matchLabels, restore!.spec.template.metadata.labels)).toBe(true);
    expect(selects(policy.spec.podSelector.matchLabels, list!.spec.template.metadata.labels)).toBe(false);
    expect(policy.spec.ingress ?? []).toEqual([]);
    expect(policy.spec.egress.flatMap((e: any) => (e.ports ?? []).map((p: any) => p.port))).toEqual(expect.arrayContaining([5432, 9091]));
    const role = findObject(objects, 'Cluster', 'pg-cluster').spec.managed.roles.find((r: any) => r.name === 'db_restore');
    expect(role).toMatchObject({ createdb: true, inRoles: ['linkwarden', 'health', 'authentik', 'lumen'], passwordSecret: { name: 'pg-cluster-db-restore' } });
    expect(role.superuser).toBeUndefined();
  });
});

const programs = requirePrograms(
  'PostgreSQL backup and restore',
  ['pg_dump', 'pg_dumpall', 'pg_restore', 'psql', 'prometheus-pushgateway', 'gzip'],
  'apt-get install postgresql prometheus-pushgateway',
);

describe.skipIf(!programs.available)('PostgreSQL per-tenant backup script against a real server', () => {
  let source: PostgresServer;
  let target: PostgresServer;
  let gateway: Pushgateway;
  const dir = mkdtempSync(join(tmpdir(), 'pg-backup-'));
  const scriptFile = join(dir, 'backup.sh');
  const restoreFile = join(dir, 'restore.sh');
  const backupDir = join(dir, 'nfs');
  const databases = { linkwarden: 'linkwarden', 'apple-health-data': 'health' } as const;

  beforeAll(async () => {
    [source, target, gateway] = await Promise.all([startPostgres(), startPostgres(), startPushgateway()]);
    writeFileSync(scriptFile, script);
    chmodSync(scriptFile, 0o755);
    source.sql(`create role db_backup login password 'backup-secret' in role pg_read_all_data`);
    // As CNPG makes it (cluster.ts): CREATEDB, a member of every tenant role, no superuser.
    source.sql(`create role db_restore login createdb password 'restore-secret'`);
    writeFileSync(restoreFile, postgresRestoreScript());
    for (const [db, rows] of [
      ['linkwarden', 500],
      ['health', 300],
    ] as const) {
      source.sql(`create role ${db} login password 'x'`);
      source.sql(`create database ${db} owner ${db}`);
      source.sql(`grant ${db} to db_restore`);
      source.sql(
        `set role ${db}; create table items (id serial primary key, title text not null, tags text[], created timestamptz default '2026-01-01'); insert into items (title, tags) select 'item ' || g || E'\\nline two', array['a','b'] from generate_series(1, ${rows}) g; create view titled as select title from items; create table empty (id int);`,
        db,
      );
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop(), gateway?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const runBackup = (password = 'backup-secret') =>
    spawnSync('bash', [scriptFile], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: `${source.bin}:${process.env.PATH}`,
        BACKUP_DIR: backupDir,
        BACKUP_NAME: 'pg-cluster',
        PUSHGATEWAY_URL: gateway.url,
        PGHOST: '127.0.0.1',
        PGPORT: String(source.port),
        PGUSER: 'db_backup',
        PGPASSWORD: password,
        PGDATABASE: 'postgres',
        HOME: dir,
      },
    });

  const archives = (tenant: string) =>
    existsSync(join(backupDir, tenant))
      ? readdirSync(join(backupDir, tenant))
          .filter((f) => new RegExp(`^${tenant}-\\d{8}T\\d{6}Z\\.pgdump\\.gz$`).test(f))
          .sort()
      : [];
  const fingerprint = (server: PostgresServer, db: string) =>
    server.sql(`select md5(string_agg(id || title || array_to_string(tags, ',') || created, '|' order by id)) || ' ' || count(*) from items`, db);
  const restore = (tenant: string, into: string) => {
    target.sql(`do $$ begin if not exists (select from pg_roles where rolname = 'linkwarden') then create role linkwarden; create role health; end if; end $$`);
    target.sql(`create database ${into} owner ${databases[tenant as keyof typeof databases]}`);
    const archive = join(backupDir, tenant, archives(tenant).at(-1)!);
    const r = spawnSync(
      'bash',
      [
        '-o',
        'pipefail',
        '-c',
        `gzip -dc -- "$1" | ${join(target.bin, 'pg_restore')} --exit-on-error --no-owner --role=${databases[tenant as keyof typeof databases]} ${target.superuserArgs.join(' ')} -d ${into}`,
        '_',
        archive,
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
  };

  it('writes one dump and one manifest per tenant, plus the roles without passwords', () => {
    const r = runBackup();
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('backup: done, 2 tenants');
    for (const tenant of Object.keys(databases)) {
      expect(archives(tenant)).toHaveLength(1);
      expect(existsSync(join(backupDir, tenant, `${archives(tenant)[0]}.manifest`))).toBe(true);
    }
    const manifest = readFileSync(join(backupDir, 'linkwarden', `${archives('linkwarden')[0]}.manifest`), 'utf8');
    expect(manifest).toMatch(/^objects \d+$/m);
    expect(manifest).toMatch(/^table public\.items 500$/m);
    expect(manifest).toMatch(/^table public\.empty 0$/m);
    expect(manifest).toMatch(/^rows 500$/m);
    const globals = readdirSync(backupDir).filter((f) => /^pg-cluster-globals-\d{8}T\d{6}Z\.sql\.gz$/.test(f));
    expect(globals).toHaveLength(1);
    const roles = execFileSync('gzip', ['-dc', join(backupDir, globals[0]!)], { encoding: 'utf8' });
    expect(roles).toMatch(/CREATE ROLE linkwarden;/);
    expect(roles).not.toMatch(/PASSWORD '/); // role passwords belong to Vault, never in a dump
  });

  it("restores one tenant's dump alone, under its own name or a new one, with identical data", () => {
    restore('linkwarden', 'linkwarden');
    restore('apple-health-data', 'health_copy');
    expect(fingerprint(target, 'linkwarden')).toBe(fingerprint(source, 'linkwarden'));
    expect(fingerprint(target, 'health_copy')).toBe(fingerprint(source, 'health'));
    expect(target.sql('select count(*) from titled', 'health_copy').trim()).toBe('300');
    // Nothing of the other tenant came with it.
    expect(target.sql(`select string_agg(datname, ',' order by datname) from pg_database where not datistemplate`).trim()).toBe('health_copy,linkwarden,postgres');
  });

  it('reports each tenant to the Pushgateway under its own grouping key, and the run as a whole', async () => {
    const metrics = await gateway.metrics();
    expect(metrics).toMatch(/db_backup_last_status\{backup="pg-cluster",engine="postgres",instance="",job="db-backup",tenant="linkwarden"\} 1/);
    expect(metrics).toMatch(/db_backup_last_rows\{backup="pg-cluster",engine="postgres",instance="",job="db-backup",tenant="apple-health-data"\} 300/);
    expect(metrics).toMatch(/db_backup_last_success_timestamp_seconds\{backup="pg-cluster",engine="postgres",instance="",job="db-backup",tenant="apple-health-data"\} \d/);
    expect(metrics).toMatch(/db_backup_last_status\{backup="pg-cluster",engine="postgres",instance="",job="db-backup"\} 1/);
  });

  it("keeps each tenant's newest N dumps, with their manifests, and touches nothing else", async () => {
    await new Promise((r) => setTimeout(r, 1100)); // archive names carry the second
    const older = ['20200101T000000Z', '20200102T000000Z', '20200103T000000Z'];
    for (const s of older) {
      writeFileSync(join(backupDir, 'linkwarden', `linkwarden-${s}.pgdump.gz`), '');
      writeFileSync(join(backupDir, 'linkwarden', `linkwarden-${s}.pgdump.gz.manifest`), '');
      writeFileSync(join(backupDir, 'apple-health-data', `apple-health-data-${s}.pgdump.gz`), '');
    }
    writeFileSync(join(backupDir, 'linkwarden', 'README.txt'), 'not a backup');
    const r = runBackup();
    expect(r.status, r.stderr).toBe(0);
    expect(archives('linkwarden')).toHaveLength(2); // its own keep: 2
    expect(archives('linkwarden').some((f) => f.includes('2020'))).toBe(false);
    expect(readdirSync(join(backupDir, 'linkwarden')).filter((f) => f.endsWith('.manifest'))).toHaveLength(2);
    expect(readdirSync(join(backupDir, 'linkwarden'))).toContain('README.txt');
    expect(archives('apple-health-data')).toHaveLength(5); // the cluster's keep: 7, only 5 exist
  });

  const runRestore = (env: Record<string, string>) =>
    spawnSync('bash', [restoreFile], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: `${source.bin}:${process.env.PATH}`,
        BACKUP_DIR: backupDir,
        BACKUP_NAME: 'pg-cluster',
        PUSHGATEWAY_URL: gateway.url,
        PGHOST: '127.0.0.1',
        PGPORT: String(source.port),
        PGUSER: 'db_restore',
        PGPASSWORD: 'restore-secret',
        PGDATABASE: 'postgres',
        HOME: dir,
        RESTORE_ACTION: 'restore',
        RESTORE_TENANT: 'linkwarden',
        RESTORE_DATABASE: 'linkwarden',
        RESTORE_ROLE: 'linkwarden',
        RESTORE_ENTRY: 'abcd1234',
        ...env,
      },
    });
  /** Everything every database holds, to prove what a restore did not touch. */
  const everything = () =>
    source
      .sql(`select string_agg(datname, ',' order by datname) from pg_database where not datistemplate`)
      .trim()
      .split(',')
      .map(
        (db) =>
          `${db}: ${db === 'postgres' ? '' : source.sql(`select string_agg(relname || ':' || reltuples, ',' order by relname) from pg_class where relnamespace = 'public'::regnamespace`, db)} ${db === 'postgres' ? '' : fingerprint(source, db)}`,
      );

  it('lists the dumps of a tenant, newest first, with what each holds', () => {
    const r = runRestore({ RESTORE_ACTION: 'list', PGPASSWORD: '' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('dumps of tenant linkwarden (postgres, pg-cluster), newest first:');
    expect(r.stdout).toMatch(new RegExp(`  ${archives('linkwarden').at(-1)!.replace(/\./g, '\\.')}  \\d+ bytes  \\d+ objects  500 rows`));
  });

  it("restores one tenant's newest dump into a new database, as the tenant, leaving every other database untouched", async () => {
    const before = everything();
    const r = runRestore({ RESTORE_INTO: 'linkwarden_restored' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/restore: done: \d+ objects, 500 rows of tenant linkwarden restored into linkwarden_restored from linkwarden-\d{8}T\d{6}Z\.pgdump\.gz/);
    expect(fingerprint(source, 'linkwarden_restored')).toBe(fingerprint(source, 'linkwarden'));
    expect(source.sql(`select pg_get_userbyid(datdba) from pg_database where datname = 'linkwarden_restored'`).trim()).toBe('linkwarden');
    expect(source.sql(`select tableowner from pg_tables where tablename = 'items'`, 'linkwarden_restored').trim()).toBe('linkwarden');
    expect(everything().filter((l) => !l.startsWith('linkwarden_restored'))).toEqual(before);
    const metrics = await gateway.metrics();
    expect(metrics).toMatch(/db_restore_last_status\{backup="pg-cluster",database="linkwarden_restored",engine="postgres",entry="abcd1234",instance="",job="db-restore",tenant="linkwarden"\} 1/);
    expect(metrics).toMatch(/db_restore_last_rows\{[^}]*tenant="linkwarden"\} 500/);
    source.sql('drop database linkwarden_restored');
  });

  it('refuses a database that holds objects without replace, and changes nothing', async () => {
    source.sql(`delete from items where id > 100`, 'linkwarden');
    const before = everything();
    const r = runRestore({});
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/restore REFUSED: database linkwarden already holds \d+ objects; nothing was changed/);
    expect(everything()).toEqual(before);
    expect(await gateway.metrics()).toMatch(/db_restore_last_refused\{[^}]*tenant="linkwarden"\} 1/);
  });

  it('with replace, puts the dump back over the database and touches no other', () => {
    const others = everything().filter((l) => !l.startsWith('linkwarden:'));
    const r = runRestore({ RESTORE_REPLACE: 'true', RESTORE_DUMP: archives('linkwarden').at(-1)! });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(source.sql('select count(*) from items', 'linkwarden').trim()).toBe('500');
    expect(everything().filter((l) => !l.startsWith('linkwarden:'))).toEqual(others);
  });

  it('fails without touching anything when the named dump does not exist', () => {
    const before = everything();
    const r = runRestore({ RESTORE_DUMP: 'linkwarden-20000101T000000Z.pgdump.gz', RESTORE_INTO: 'nowhere' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('restore: no dump linkwarden-20000101T000000Z.pgdump.gz of tenant linkwarden');
    expect(everything()).toEqual(before);
  });

  it('a tenant that fails leaves no partial file and reports failure; the others still succeed', async () => {
    const successBefore = /db_backup_last_success_timestamp_seconds\{[^}]*tenant="linkwarden"\} (\S+)/.exec(await gateway.metrics())![1];
    const kept = archives('linkwarden');
    source.sql('revoke connect on database linkwarden from public');
    try {
      await new Promise((r) => setTimeout(r, 1100));
      const r = runBackup();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('backup of linkwarden FAILED');
      expect(r.stderr).toContain('backup FAILED for: linkwarden');
      expect(readdirSync(join(backupDir, 'linkwarden')).filter((f) => f.includes('.partial'))).toEqual([]);
      expect(archives('linkwarden')).toEqual(kept);
      expect(archives('apple-health-data')).toHaveLength(6);
      const metrics = await gateway.metrics();
      expect(metrics).toMatch(/db_backup_last_status\{[^}]*tenant="linkwarden"\} 0/);
      expect(metrics).toMatch(/db_backup_last_status\{[^}]*tenant="apple-health-data"\} 1/);
      expect(metrics).toMatch(/db_backup_last_status\{backup="pg-cluster",engine="postgres",instance="",job="db-backup"\} 0/);
      expect(/db_backup_last_success_timestamp_seconds\{[^}]*tenant="linkwarden"\} (\S+)/.exec(metrics)![1]).toBe(successBefore);
    } finally {
      source.sql('grant connect on database linkwarden to public');
    }
  });

  it('a wrong password fails every tenant and the globals, leaving the kept dumps as they were', () => {
    const kept = archives('apple-health-data');
    const r = runBackup('wrong-password');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('backup FAILED for: globals linkwarden apple-health-data');
    expect(archives('apple-health-data')).toEqual(kept);
  });
});
