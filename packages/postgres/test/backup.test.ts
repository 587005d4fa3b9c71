/**
 * The rendered backup script, run for real: pg_dumpall | gzip from a PostgreSQL server as
 * the non-superuser backup role, restored into a second server with identical data,
 * retention keeping exactly 7, metrics pushed to a real Pushgateway, and a failing run
 * that leaves no partial file and reports failure without erasing the last success.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePrograms, startPostgres, startPushgateway, synthEngine, findObject, type PostgresServer, type Pushgateway } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { prodLike } from './helpers.ts';

const model = prodLike();
const objects = synthEngine(postgresEngine, model);
const script: string = findObject(objects, 'ConfigMap', 'pg-cluster-backup-script').data['backup.sh'];
const cronJob = findObject(objects, 'CronJob', 'pg-cluster-backup');

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
});

const programs = requirePrograms('PostgreSQL backup and restore', ['pg_dumpall', 'psql', 'prometheus-pushgateway', 'gzip'], 'apt-get install postgresql prometheus-pushgateway');

describe.skipIf(!programs.available)('PostgreSQL backup script against a real server', () => {
  let source: PostgresServer;
  let target: PostgresServer;
  let gateway: Pushgateway;
  const dir = mkdtempSync(join(tmpdir(), 'pg-backup-'));
  const scriptFile = join(dir, 'backup.sh');
  const backupDir = join(dir, 'nfs');

  beforeAll(async () => {
    [source, target, gateway] = await Promise.all([startPostgres(), startPostgres(), startPushgateway()]);
    writeFileSync(scriptFile, script);
    chmodSync(scriptFile, 0o755);
    source.sql(`create role db_backup login password 'backup-secret' in role pg_read_all_data`);
    for (const t of ['linkwarden', 'health']) {
      source.sql(`create role ${t} login password 'x'`);
      source.sql(`create database ${t} owner ${t}`);
      source.sql(
        `set role ${t}; create table items (id serial primary key, title text not null, tags text[], created timestamptz default '2026-01-01'); insert into items (title, tags) select 'item ' || g, array['a','b'] from generate_series(1, 500) g; create view titled as select title from items;`,
        t,
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

  const archives = () =>
    readdirSync(backupDir)
      .filter((f) => /^pg-cluster-\d{8}T\d{6}Z\.sql\.gz$/.test(f))
      .sort();

  it('dumps, restores into another server, and the data is identical', async () => {
    const r = runBackup();
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(archives()).toHaveLength(1);
    const dump = execFileSync('gzip', ['-dc', join(backupDir, archives()[0]!)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(dump).not.toMatch(/PASSWORD '/); // role passwords belong to Vault, never in a dump
    const restore = spawnSync(join(target.bin, 'psql'), [...target.superuserArgs, '-d', 'postgres', '-X', '-q'], { input: dump, encoding: 'utf8' });
    expect(restore.status).toBe(0);
    for (const db of ['linkwarden', 'health']) {
      const q = `select md5(string_agg(id || title || array_to_string(tags, ',') || created, '|' order by id)) from items`;
      expect(target.sql(q, db)).toBe(source.sql(q, db));
      expect(target.sql('select count(*) from titled', db).trim()).toBe('500');
      expect(target.sql(`select pg_get_userbyid(datdba) from pg_database where datname = '${db}'`).trim()).toBe(db);
    }
  });

  it('reports success to the Pushgateway', async () => {
    const metrics = await gateway.metrics();
    expect(metrics).toMatch(/db_backup_last_status\{backup="pg-cluster",engine="postgres",instance="",job="db-backup"\} 1/);
    expect(metrics).toMatch(/db_backup_last_success_timestamp_seconds\{backup="pg-cluster",engine="postgres",instance="",job="db-backup"\} \d/);
  });

  it('keeps exactly the newest 7 archives and nothing else is touched', () => {
    const older = Array.from({ length: 8 }, (_, i) => `pg-cluster-2020010${(i % 9) + 1}T00000${i}Z.sql.gz`);
    for (const f of older) writeFileSync(join(backupDir, f), '');
    writeFileSync(join(backupDir, 'README.txt'), 'not a backup');
    writeFileSync(join(backupDir, 'other-cluster-20200101T000000Z.sql.gz'), '');
    const before = archives();
    const r = runBackup();
    expect(r.status, r.stderr).toBe(0);
    const after = archives();
    expect(after).toHaveLength(7);
    expect(after).toEqual([...new Set([...before, ...after])].sort().slice(-7));
    expect(readdirSync(backupDir)).toContain('README.txt');
    expect(readdirSync(backupDir)).toContain('other-cluster-20200101T000000Z.sql.gz');
  });

  it('a failing run exits non-zero, leaves no partial file and reports failure, keeping the last success', async () => {
    const successBefore = /db_backup_last_success_timestamp_seconds\{[^}]*\} (\S+)/.exec(await gateway.metrics())![1];
    const kept = archives();
    const r = runBackup('wrong-password');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('backup FAILED');
    expect(readdirSync(backupDir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(archives()).toEqual(kept);
    const metrics = await gateway.metrics();
    expect(metrics).toMatch(/db_backup_last_status\{backup="pg-cluster"[^}]*\} 0/);
    expect(/db_backup_last_success_timestamp_seconds\{[^}]*\} (\S+)/.exec(metrics)![1]).toBe(successBefore);
  });
});
