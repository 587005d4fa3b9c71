/**
 * The weekly restore drill, rendered and run for real: it restores the newest dump of every
 * tenant into a throw-away server it starts itself (never the live one) and passes on good
 * dumps; it fails that tenant, with the reason as a metric, on a truncated gzip, a dump
 * missing a table and an empty dump, while the other tenants still pass.
 */
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findObject, requirePrograms, startPostgres, startPushgateway, synthEngine, type PostgresServer, type Pushgateway } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { resolvePostgres } from '../src/model.ts';
import { postgresBackupScript } from '../src/backup.ts';
import { postgresDrillScript } from '../src/drill.ts';
import { modelFromYaml, PROD_LIKE, prodLike } from './helpers.ts';

describe('PostgreSQL restore drill CronJob', () => {
  const objects = synthEngine(postgresEngine, prodLike());
  const cron = findObject(objects, 'CronJob', 'pg-cluster-restore-drill');

  it('runs weekly off the avoided nodes, reads the dumps read-only, restores into an emptyDir', () => {
    expect(cron.spec.schedule).toBe('0 5 * * 0');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toMatchObject({ operator: 'NotIn', values: ['k8s-node1'] });
    expect(pod.volumes.find((v: any) => v.name === 'backup').persistentVolumeClaim).toEqual({ claimName: 'pg-cluster-backup', readOnly: true });
    expect(pod.volumes.find((v: any) => v.name === 'scratch').emptyDir).toEqual({ sizeLimit: '10Gi' });
    expect(pod.containers[0].env.map((e: any) => e.name)).not.toContain('PGPASSWORD');
    expect(pod.containers[0].image).toBe(findObject(objects, 'Cluster', 'pg-cluster').spec.imageName);
  });

  it('is fenced by its own network policy: out to the Pushgateway only, nothing in', () => {
    const policy = findObject(objects, 'NetworkPolicy', 'pg-cluster-restore-drill');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'pg-cluster', 'app.kubernetes.io/component': 'restore-drill' });
    expect(policy.spec.policyTypes).toContain('Egress');
    expect(policy.spec.ingress ?? []).toEqual([]);
    expect(policy.spec.egress).toEqual([{ ports: [{ port: 9091, protocol: 'TCP' }], to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] }]);
    const instances = findObject(objects, 'NetworkPolicy', 'pg-cluster-instances');
    expect(JSON.stringify(instances.spec.ingress)).not.toContain('restore-drill');
  });
});

const programs = requirePrograms('PostgreSQL restore drill', ['pg_dump', 'pg_restore', 'psql', 'prometheus-pushgateway', 'gzip'], 'apt-get install postgresql prometheus-pushgateway');

describe.skipIf(!programs.available)('PostgreSQL restore drill against real dumps', () => {
  const model = modelFromYaml(
    PROD_LIKE.replace(/tenants:[\s\S]*$/, '') +
      `tenants:
  - { name: linkwarden, postgres: { database: linkwarden } }
  - { name: apple-health-data, postgres: { database: health } }
`,
  );
  const pg = resolvePostgres(model);
  let source: PostgresServer;
  let gateway: Pushgateway;
  const dir = mkdtempSync(join(tmpdir(), 'pg-drill-'));
  const backupDir = join(dir, 'nfs');
  const scratch = join(dir, 'scratch');
  const root = process.getuid?.() === 0;
  const postgresUser: { uid?: number; gid?: number } = root ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};

  beforeAll(async () => {
    [source, gateway] = await Promise.all([startPostgres(), startPushgateway()]);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'backup.sh'), postgresBackupScript(pg));
    writeFileSync(join(dir, 'drill.sh'), postgresDrillScript(pg));
    source.sql(`create role db_backup login password 'backup-secret' in role pg_read_all_data`);
    for (const db of ['linkwarden', 'health']) {
      source.sql(`create role ${db} login password 'x'`);
      source.sql(`create database ${db} owner ${db}`);
      source.sql(
        `set role ${db}; create table items (id serial primary key, title text not null, created timestamptz default '2026-01-01'); insert into items (title) select 'item ' || g from generate_series(1, 400) g; create table notes (id int primary key, body text); insert into notes select g, 'n' || g from generate_series(1, 25) g; create view titled as select title from items; grant select on items to public;`,
        db,
      );
    }
    const r = spawnSync('bash', [join(dir, 'backup.sh')], {
      encoding: 'utf8',
      env: {
        PATH: `${source.bin}:${process.env.PATH}`,
        BACKUP_DIR: backupDir,
        BACKUP_NAME: pg.name,
        PGHOST: '127.0.0.1',
        PGPORT: String(source.port),
        PGUSER: 'db_backup',
        PGPASSWORD: 'backup-secret',
        HOME: dir,
      },
    });
    expect(r.status, r.stderr).toBe(0);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), gateway?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const drill = () => {
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch);
    if (postgresUser.uid !== undefined) chownSync(scratch, postgresUser.uid, postgresUser.gid!);
    return spawnSync('bash', [join(dir, 'drill.sh')], {
      encoding: 'utf8',
      timeout: 120_000,
      ...postgresUser,
      env: { PATH: `${source.bin}:${process.env.PATH}`, BACKUP_DIR: backupDir, BACKUP_NAME: pg.name, DRILL_SCRATCH: scratch, PUSHGATEWAY_URL: gateway.url, HOME: scratch },
    });
  };
  const newest = () =>
    readdirSync(join(backupDir, 'linkwarden'))
      .filter((f) => f.endsWith('.pgdump.gz'))
      .sort()
      .at(-1)!;
  /** A newer "dump" of linkwarden with the good dump's manifest beside it: what the drill must see through. */
  const planted = (content: Buffer) => {
    const good = join(backupDir, 'linkwarden', newest());
    const name = join(backupDir, 'linkwarden', 'linkwarden-29991231T000000Z.pgdump.gz');
    writeFileSync(name, content);
    copyFileSync(`${good}.manifest`, `${name}.manifest`);
    return () => {
      rmSync(name);
      rmSync(`${name}.manifest`);
    };
  };
  const status = async (tenant: string) => {
    const metrics = await gateway.metrics();
    const status = new RegExp(`db_restore_drill_last_status\\{backup="pg-cluster",engine="postgres",instance="",job="db-restore-drill",tenant="${tenant}"\\} (\\d)`).exec(metrics)?.[1];
    const reason = new RegExp(`db_restore_drill_failure\\{[^}]*reason="([a-z-]+)"[^}]*tenant="${tenant}"\\} 1`).exec(metrics)?.[1];
    return { status, reason };
  };

  it('passes on good dumps: each restored into a throw-away server holds what its manifest says', async () => {
    const r = drill();
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/drill: linkwarden passed: \d+ objects, 425 rows, as the manifest says/);
    expect(r.stdout).toMatch(/drill: apple-health-data passed/);
    expect(await status('linkwarden')).toEqual({ status: '1', reason: undefined });
    expect(await gateway.metrics()).toMatch(/db_restore_drill_rows\{[^}]*tenant="linkwarden"\} 425/);
    // It never touched the live server.
    expect(source.sql(`select count(*) from pg_database where datname like 'drill_%'`).trim()).toBe('0');
  }, 120_000);

  it('fails a truncated gzip as corrupt', async () => {
    const good = readFileSync(join(backupDir, 'linkwarden', newest()));
    const remove = planted(good.subarray(0, Math.floor(good.length / 2)));
    try {
      const r = drill();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('drill: linkwarden FAILED: corrupt');
      expect(await status('linkwarden')).toEqual({ status: '0', reason: 'corrupt' });
      expect(await status('apple-health-data')).toEqual({ status: '1', reason: undefined });
    } finally {
      remove();
    }
  }, 120_000);

  it('fails a dump missing a table as a mismatch, naming the table', async () => {
    source.sql('create database lw_partial owner linkwarden');
    const restore = spawnSync(
      'bash',
      ['-o', 'pipefail', '-c', `gzip -dc -- "$1" | ${join(source.bin, 'pg_restore')} ${source.superuserArgs.join(' ')} -d lw_partial --exit-on-error`, '_', join(backupDir, 'linkwarden', newest())],
      { encoding: 'utf8' },
    );
    expect(restore.status, restore.stderr).toBe(0);
    source.sql('drop table notes', 'lw_partial');
    const partial = gzipSync(execFileSync(join(source.bin, 'pg_dump'), [...source.superuserArgs, '--format=custom', '--compress=0', '-d', 'lw_partial'], { maxBuffer: 64 << 20 }));
    source.sql('drop database lw_partial');
    const remove = planted(partial);
    try {
      const r = drill();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('drill: linkwarden FAILED: mismatch');
      expect(r.stdout).toMatch(/< table public\.notes 25/);
      expect(await status('linkwarden')).toEqual({ status: '0', reason: 'mismatch' });
    } finally {
      remove();
    }
  }, 120_000);

  it('fails an empty dump as empty', async () => {
    const remove = planted(gzipSync(Buffer.alloc(0)));
    try {
      const r = drill();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('drill: linkwarden FAILED: empty');
      expect(await status('linkwarden')).toEqual({ status: '0', reason: 'empty' });
    } finally {
      remove();
    }
    // And passes again once the newest dump is a good one: the reason is cleared.
    expect(drill().status).toBe(0);
    expect(await status('linkwarden')).toEqual({ status: '1', reason: undefined });
  }, 180_000);
});
