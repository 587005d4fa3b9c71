/** The generated backup script against a real redis-server: RDB via redis-cli --rdb, gzip, 28-day retention; the archive restores into a fresh server with identical data. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { requirePrograms, startPushgateway } from '@db/core/testing';
import { redisBackupScript } from '../src/backup.ts';
import { redisDrillScript } from '../src/drill.ts';
import { cli, freePort, testFileRun, testRedis, waitFor, writeFile } from './helpers.ts';
import { passwordsFor, renderNode, startStandalone } from './servers.ts';

const programs = requirePrograms(
  'Redis backup script and restore drill test',
  ['redis-server', 'redis-cli', 'redis-check-rdb', 'bash', 'gzip', 'prometheus-pushgateway'],
  'apt-get install redis-server prometheus-pushgateway',
);
const { procs, root } = testFileRun('backup');

describe.skipIf(!programs.available)('backup script', () => {
  it('writes a gzipped RDB of the live data as the backup user and applies retention', async () => {
    const { redis } = testRedis();
    const passwords = passwordsFor(redis);
    const node = renderNode(redis, join(root, 'redis'), await freePort(), passwords);
    const p = await startStandalone(procs, node);
    try {
      expect(cli(node.port, ['SET', 'bull:job:1', 'payload'], { user: 'immich', password: passwords.immich! })).toBe('OK');
      const backupDir = join(root, 'nfs');
      const script = writeFile(root, 'backup.sh', redisBackupScript(redis));
      spawnSync('mkdir', ['-p', backupDir]);
      const old = writeFile(backupDir, 'redis-v2-20200101T030000Z.rdb.gz', 'old');
      utimesSync(old, new Date(Date.now() - 30 * 86400_000), new Date(Date.now() - 30 * 86400_000));
      const r = spawnSync('bash', [script], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          BACKUP_DIR: backupDir,
          BACKUP_NAME: 'redis-v2',
          PUSHGATEWAY_URL: '',
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(node.port),
          REDIS_USER: 'backup',
          REDISCLI_AUTH: passwords.backup!,
        },
      });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      const files = readdirSync(backupDir).filter((f) => !f.endsWith('.manifest'));
      expect(files).toHaveLength(1);
      expect(readFileSync(join(backupDir, `${files[0]}.manifest`), 'utf8')).toBe(
        `objects ${cli(node.port, ['DBSIZE'], { user: 'admin', password: passwords.admin! })}\nrows ${cli(node.port, ['DBSIZE'], { user: 'admin', password: passwords.admin! })}\n`,
      );
      expect(files[0]).toMatch(/^redis-v2-\d{8}T\d{6}Z\.rdb\.gz$/);
      const rdb = gunzipSync(readFileSync(join(backupDir, files[0]!)));
      expect(rdb.subarray(0, 5).toString()).toBe('REDIS');
      expect(rdb.includes(Buffer.from('bull:job:1'))).toBe(true);
      expect(r.stdout).toMatch(/retention: removed .*20200101/);

      // The archive restores into a fresh server (a throw-away one without ACLs) with identical data.
      const restoreDir = join(root, 'restore');
      mkdirSync(restoreDir, { recursive: true });
      writeFileSync(join(restoreDir, 'dump.rdb'), rdb);
      const port = await freePort();
      const restored = procs.start(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', restoreDir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no'],
        {},
        'restored',
      );
      try {
        await waitFor('the restored server', 30_000, () => cli(port, ['PING']) === 'PONG');
        const admin = { user: 'admin', password: passwords.admin! };
        expect(cli(port, ['DBSIZE'])).toBe(cli(node.port, ['DBSIZE'], admin));
        expect(cli(port, ['GET', 'bull:job:1'])).toBe('payload');
      } finally {
        await procs.kill(restored);
      }
    } finally {
      await procs.kill(p);
    }
  });

  it('the weekly drill loads the newest snapshot into a throw-away server and fails, with the reason, on a bad one', async () => {
    const { redis } = testRedis();
    const backupDir = join(root, 'nfs');
    const script = writeFile(root, 'drill.sh', redisDrillScript(redis));
    const scratch = join(root, 'scratch');
    const gateway = await startPushgateway();
    const drill = () => {
      rmSync(scratch, { recursive: true, force: true });
      mkdirSync(scratch);
      return spawnSync('bash', [script], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH, BACKUP_DIR: backupDir, BACKUP_NAME: 'redis-v2', DRILL_SCRATCH: scratch, PUSHGATEWAY_URL: gateway.url },
      });
    };
    const result = async () => {
      const m = await gateway.metrics();
      return {
        status: /db_restore_drill_last_status\{[^}]*tenant="redis-v2"\} (\d)/.exec(m)?.[1],
        reason: /db_restore_drill_failure\{[^}]*reason="([a-z-]+)"[^}]*tenant="redis-v2"\} 1/.exec(m)?.[1],
      };
    };
    try {
      const good = drill();
      expect(good.status, good.stdout + good.stderr).toBe(0);
      expect(good.stdout).toMatch(/drill: redis-v2 passed: 1 objects, 1 rows, as the manifest says/);
      expect(await result()).toEqual({ status: '1', reason: undefined });
      const archive = readdirSync(backupDir).find((f) => f.endsWith('.rdb.gz'))!;
      const bytes = readFileSync(join(backupDir, archive));
      const planted = join(backupDir, 'redis-v2-29991231T000000Z.rdb.gz');
      for (const [reason, content, manifest] of [
        ['corrupt', bytes.subarray(0, bytes.length - 9), 'objects 1\nrows 1\n'],
        ['empty', gzipSync(Buffer.alloc(0)), 'objects 1\nrows 1\n'],
        ['mismatch', bytes, 'objects 2\nrows 2\n'],
      ] as const) {
        writeFileSync(planted, content);
        writeFileSync(`${planted}.manifest`, manifest);
        const r = drill();
        expect(r.status, reason).not.toBe(0);
        expect(r.stderr, `${reason}: ${r.stdout}${r.error ?? ''}`).toContain(`drill: redis-v2 FAILED: ${reason}`);
        expect(await result()).toEqual({ status: '0', reason });
      }
      rmSync(planted);
      rmSync(`${planted}.manifest`);
    } finally {
      await gateway.stop();
    }
  }, 120_000);
});
