/** The generated backup script against a real redis-server: RDB via redis-cli --rdb, gzip, 28-day retention. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { requirePrograms } from '@db/core/testing';
import { redisBackupScript } from '../src/backup.ts';
import { cli, freePort, testFileRun, testRedis, writeFile } from './helpers.ts';
import { passwordsFor, renderNode, startStandalone } from './servers.ts';

const programs = requirePrograms('Redis backup script test', ['redis-server', 'redis-cli', 'bash', 'gzip'], 'apt-get install redis-server');
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
      const files = readdirSync(backupDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^redis-v2-\d{8}T\d{6}Z\.rdb\.gz$/);
      const rdb = gunzipSync(readFileSync(join(backupDir, files[0]!)));
      expect(rdb.subarray(0, 5).toString()).toBe('REDIS');
      expect(rdb.includes(Buffer.from('bull:job:1'))).toBe(true);
      expect(r.stdout).toMatch(/retention: removed .*20200101/);
    } finally {
      await procs.kill(p);
    }
  });
});
