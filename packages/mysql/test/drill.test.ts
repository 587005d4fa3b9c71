/**
 * The weekly restore drill, rendered and run for real on Debian's MariaDB: it restores the
 * newest dump of every tenant into a throw-away server it starts itself (no networking,
 * never the live one) and passes on good dumps; it fails that tenant, with the reason as a
 * metric, on a truncated gzip, a dump missing a table and an empty dump.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findObject, requirePrograms, startPushgateway, synthEngine, type Pushgateway } from '@db/core/testing';
import { mysqlEngine } from '../src/engine.ts';
import { resolveMysql } from '../src/model.ts';
import { mysqlBackupScript } from '../src/backup.ts';
import { mysqlDrillScript } from '../src/drill.ts';
import { BASE, clusterModel, modelOf, PrivateMariaDb } from './helpers.ts';

describe('MySQL restore drill CronJob', () => {
  const objects = synthEngine(mysqlEngine, clusterModel('prod'));
  it('runs weekly with the dumps read-only, fenced to the Pushgateway only', () => {
    const cron = findObject(objects, 'CronJob', 'mysql-restore-drill');
    expect(cron.spec.schedule).toBe('0 5 * * 0');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toMatchObject({ operator: 'NotIn', values: ['k8s-node1'] });
    expect(pod.volumes.find((v: any) => v.name === 'backup').persistentVolumeClaim).toEqual({ claimName: 'mysql-backup', readOnly: true });
    const policy = findObject(objects, 'NetworkPolicy', 'mysql-restore-drill');
    expect(policy.spec.ingress ?? []).toEqual([]);
    expect(policy.spec.egress).toEqual([{ ports: [{ port: 9091, protocol: 'TCP' }], to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] }]);
  });
});

const programs = requirePrograms(
  'MySQL restore drill on MariaDB',
  ['mariadbd', 'mariadb-install-db', 'mysql', 'mysqldump', 'prometheus-pushgateway', 'gzip'],
  'apt-get install mariadb-server mariadb-client prometheus-pushgateway',
);

describe.skipIf(!programs.available)('MySQL restore drill against real dumps', () => {
  const my = resolveMysql(
    modelOf(`${BASE}
tenants:
  - { name: wrongmove, namespace: realestate-crawler, mysql: { database: wrongmove } }
  - { name: speedtest, mysql: { database: speedtest } }
`),
  );
  const db = new PrivateMariaDb();
  let gateway: Pushgateway;
  const backupDir = () => join(db.work, 'nfs');
  const scratch = () => join(db.work, 'scratch');

  beforeAll(async () => {
    [, gateway] = await Promise.all([db.start(), startPushgateway()]);
    writeFileSync(join(db.work, 'backup.sh'), mysqlBackupScript(my));
    writeFileSync(join(db.work, 'drill.sh'), mysqlDrillScript(my));
    db.root("CREATE USER 'bk'@'%' IDENTIFIED BY 'Backup.Passw0rd'; GRANT ALL PRIVILEGES ON *.* TO 'bk'@'%'");
    for (const d of ['wrongmove', 'speedtest']) {
      db.root(`CREATE DATABASE ${d}; CREATE TABLE ${d}.listings (id INT PRIMARY KEY, title VARCHAR(200) CHARACTER SET utf8mb4, photo MEDIUMBLOB);
        INSERT INTO ${d}.listings VALUES (1, 'Zürich ✓\\nzwei', UNHEX('00FF')), (2, 'O''Brien', NULL), (3, '🏠', REPEAT('x', 5000));
        CREATE TABLE ${d}.notes (k INT PRIMARY KEY, v TEXT); INSERT INTO ${d}.notes VALUES (1, 'a'), (2, NULL);
        CREATE VIEW ${d}.cheap AS SELECT id, title FROM ${d}.listings WHERE id < 3;`);
    }
    db.runScript(join(db.work, 'backup.sh'), { BACKUP_DIR: backupDir(), BACKUP_NAME: my.name, PUSHGATEWAY_URL: '', MYSQL_USER: 'bk', MYSQL_PASSWORD: 'Backup.Passw0rd' });
  }, 90_000);
  afterAll(async () => {
    await Promise.all([db.stop(), gateway?.stop()]);
  }, 30_000);

  const drill = () => {
    rmSync(scratch(), { recursive: true, force: true });
    mkdirSync(scratch());
    return spawnSync('bash', [join(db.work, 'drill.sh')], {
      encoding: 'utf8',
      timeout: 180_000,
      env: { PATH: process.env.PATH, BACKUP_DIR: backupDir(), BACKUP_NAME: my.name, DRILL_SCRATCH: scratch(), PUSHGATEWAY_URL: gateway.url, HOME: scratch() },
    });
  };
  const newest = () =>
    readdirSync(join(backupDir(), 'wrongmove'))
      .filter((f) => f.endsWith('.sql.gz'))
      .sort()
      .at(-1)!;
  const planted = (content: Buffer) => {
    const good = join(backupDir(), 'wrongmove', newest());
    const name = join(backupDir(), 'wrongmove', 'wrongmove-29991231T000000Z.sql.gz');
    writeFileSync(name, content);
    copyFileSync(`${good}.manifest`, `${name}.manifest`);
    return () => {
      rmSync(name);
      rmSync(`${name}.manifest`);
    };
  };
  const status = async (tenant: string) => {
    const metrics = await gateway.metrics();
    return {
      status: new RegExp(`db_restore_drill_last_status\\{backup="mysql",engine="mysql",instance="",job="db-restore-drill",tenant="${tenant}"\\} (\\d)`).exec(metrics)?.[1],
      reason: new RegExp(`db_restore_drill_failure\\{[^}]*reason="([a-z-]+)"[^}]*tenant="${tenant}"\\} 1`).exec(metrics)?.[1],
    };
  };

  it('passes on good dumps, restored into its own server', async () => {
    const databases = db.root('SHOW DATABASES');
    const r = drill();
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('drill: wrongmove passed: 3 objects, 5 rows, as the manifest says');
    expect(await status('speedtest')).toEqual({ status: '1', reason: undefined });
    expect(db.root('SHOW DATABASES')).toBe(databases); // the live server saw nothing of it
  }, 180_000);

  it('fails a truncated gzip (corrupt), a dump missing a table (mismatch) and an empty dump (empty)', async () => {
    const good = readFileSync(join(backupDir(), 'wrongmove', newest()));
    const dump = execFileSync('gzip', ['-dc'], { input: good }).toString();
    const cases: [string, Buffer][] = [
      ['corrupt', good.subarray(0, Math.floor(good.length / 2))],
      // The notes table's block, from its DROP TABLE to the end of its data, cut out.
      ['mismatch', gzipSync(dump.replace(/DROP TABLE IF EXISTS `notes`;[\s\S]*?UNLOCK TABLES;\n/, ''))],
      ['empty', gzipSync(Buffer.alloc(0))],
    ];
    for (const [reason, content] of cases) {
      const remove = planted(content);
      try {
        const r = drill();
        expect(r.status, reason).not.toBe(0);
        expect(r.stderr).toContain(`drill: wrongmove FAILED: ${reason}`);
        expect(await status('wrongmove')).toEqual({ status: '0', reason });
        expect(await status('speedtest')).toEqual({ status: '1', reason: undefined });
      } finally {
        remove();
      }
    }
  }, 300_000);
});
