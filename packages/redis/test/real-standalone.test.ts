/**
 * Real Redis (Debian's redis-server) loading the generated configs: start-up, eviction,
 * ACL, persistence. Configs are rendered for the installed version through the same code
 * (a version target); the directives it leaves out are printed and shown to be refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePrograms } from '@db/core/testing';
import { redisConf, DEPLOYED_REDIS } from '../src/redis-conf.ts';
import { cli, freePort, HOST, Processes, removeDir, sleep, tempDir, testRedis, waitFor, writeFile } from './helpers.ts';
import { installedRedis, passwordsFor, renderNode, startStandalone } from './servers.ts';
import { Resp } from './resp.ts';

const programs = requirePrograms('real Redis tests', ['redis-server', 'redis-cli'], 'apt-get install redis-server');
const procs = new Processes();
const dirs: string[] = [];
afterAll(async () => {
  await procs.stopAll();
  dirs.forEach(removeDir);
});
const dir = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};

describe.skipIf(!programs.available)('generated redis.conf on the installed redis-server', () => {
  it('loads and answers PING; the version target leaves out only what the server lacks', async () => {
    const { redis } = testRedis();
    const target = installedRedis();
    const node = renderNode(redis, dir('load'), await freePort(), passwordsFor(redis), target);
    console.log(`redis-server ${target.join('.')}: directives left out of redis.conf: ${node.dropped.join(', ') || 'none'}`);
    if (target[0] < 8) expect(node.dropped).toContain('aof-load-corrupt-tail-max-size');
    expect(redisConf(redis, { target: DEPLOYED_REDIS }).dropped).toEqual([]);
    const p = await startStandalone(procs, node);
    try {
      expect(cli(node.port, ['PING'], { user: 'probe', password: 'test-probe-pw' })).toBe('PONG');
      expect(cli(node.port, ['CONFIG', 'GET', 'maxmemory-policy'], { user: 'admin', password: 'test-admin-pw' })).toContain('volatile-lru');
    } finally {
      await procs.kill(p);
    }
    // Proof the dropped directives had to go: the installed server refuses the full config.
    if (node.dropped.length > 0) {
      const full = writeFile(node.dir, 'full.conf', redisConf(redis, { port: node.port, dataDir: join(node.dir, 'data'), runDir: node.runDir, bind: HOST }).text);
      const r = spawnSync('redis-server', [full], { encoding: 'utf8', timeout: 10_000 });
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(node.dropped[0]!));
    }
  });
});

async function fillAndCount(policy: 'volatile-lru' | 'allkeys-lru'): Promise<{ queueKept: number; queueTotal: number; evicted: number }> {
  const { redis: base } = testRedis('{ topology: standalone, maxmemory: 16, resources: { cpu: 100m, memory: 32Mi } }');
  const redis = { ...base, maxmemoryPolicy: policy } as typeof base;
  const node = renderNode(redis, dir(`evict-${policy}`), await freePort(), passwordsFor(redis));
  const p = await startStandalone(procs, node);
  try {
    const admin = { user: 'admin', password: 'test-admin-pw' };
    const value = 'x'.repeat(1000);
    const c = await Resp.connect(node.port);
    expect(await c.command(['AUTH', 'admin', 'test-admin-pw'])).toBe('+OK');
    const queueTotal = 2000; // ~2 MB of TTL-less BullMQ job keys
    for (let i = 0; i < queueTotal; i++) await c.command(['SET', `bull:jobs:${i}`, value]);
    // ~40 MB of cache keys with a TTL: well past maxmemory 16mb.
    for (let i = 0; i < 40_000; i++) {
      const r = await c.command(['SET', `nextcloud:cache:${i}`, value, 'EX', '3600']);
      if (r.startsWith('-OOM')) break;
    }
    c.close();
    const kept = Number(cli(node.port, ['EVAL', "return #redis.call('KEYS', 'bull:jobs:*')", '0'], admin));
    const evicted = Number(/evicted_keys:(\d+)/.exec(cli(node.port, ['INFO', 'stats'], admin))![1]);
    return { queueKept: kept, queueTotal, evicted };
  } finally {
    await procs.kill(p);
  }
}

describe.skipIf(!programs.available)('eviction', () => {
  it('volatile-lru (our policy) evicts caches and keeps every TTL-less queue key', async () => {
    const r = await fillAndCount('volatile-lru');
    console.log(`volatile-lru: ${r.evicted} cache keys evicted, ${r.queueKept}/${r.queueTotal} queue keys kept`);
    expect(r.evicted).toBeGreaterThan(0);
    expect(r.queueKept).toBe(r.queueTotal);
  });
  it('allkeys-lru loses queue keys (why the redis-evicts-queue-keys guardrail exists)', async () => {
    const r = await fillAndCount('allkeys-lru');
    console.log(`allkeys-lru: ${r.evicted} keys evicted, ${r.queueKept}/${r.queueTotal} queue keys kept`);
    expect(r.queueKept).toBeLessThan(r.queueTotal);
  });
});

describe.skipIf(!programs.available)('ACL', () => {
  it('a tenant reads and writes its prefixes only; default is refused; passwords are hashed', async () => {
    const { redis } = testRedis();
    const node = renderNode(redis, dir('acl'), await freePort(), passwordsFor(redis));
    const acl = readFileSync(join(node.runDir, 'users.acl'), 'utf8');
    expect(acl).not.toContain('test-immich-pw');
    expect(acl).toMatch(/^user immich on #[0-9a-f]{64} /m);
    const p = await startStandalone(procs, node);
    try {
      const immich = { user: 'immich', password: 'test-immich-pw' };
      expect(cli(node.port, ['SET', 'immich:a', '1'], immich)).toBe('OK');
      expect(cli(node.port, ['SET', 'bull:queue:1', '1'], immich)).toBe('OK');
      expect(cli(node.port, ['GET', 'immich:a'], immich)).toBe('1');
      expect(cli(node.port, ['SET', 'nextcloud:a', '1'], immich)).toMatch(/NOPERM/);
      expect(cli(node.port, ['GET', 'nextcloud:a'], immich)).toMatch(/NOPERM/);
      expect(cli(node.port, ['FLUSHALL'], immich)).toMatch(/NOPERM/);
      expect(cli(node.port, ['INFO', 'server'], immich)).toMatch(/redis_version/);
      expect(cli(node.port, ['GET', 'immich:a'])).toMatch(/NOAUTH/);
      expect(cli(node.port, ['PING'], { user: 'default', password: 'anything' })).toMatch(/WRONGPASS|AUTH failed|invalid/);
      expect(cli(node.port, ['GET', 'immich:a'], { user: 'immich', password: 'wrong' })).toMatch(/WRONGPASS|AUTH failed|invalid/);
      expect(cli(node.port, ['GET', 'immich:a'], { user: 'probe', password: 'test-probe-pw' })).toMatch(/NOPERM/);
    } finally {
      await procs.kill(p);
    }
  });
  it('prepare.sh refuses to start without a password Secret', () => {
    const { redis } = testRedis();
    const passwords = passwordsFor(redis);
    delete passwords.immich;
    expect(() => renderNode(redis, dir('acl-missing'), 1, passwords)).toThrow(/no password for ACL user immich/);
  });
});

describe.skipIf(!programs.available)('persistence', () => {
  it('AOF everysec: kill -9 loses at most ~1-2 s of acknowledged writes', async () => {
    const { redis } = testRedis();
    const node = renderNode(redis, dir('aof'), await freePort(), passwordsFor(redis));
    let p = await startStandalone(procs, node);
    let acked = 0;
    let lossMs = 0;
    try {
      const c = await Resp.connect(node.port);
      await c.command(['AUTH', 'admin', 'test-admin-pw']);
      const start = Date.now();
      // Acknowledged INCRs for ~3 s, then kill -9 right after an acknowledged write.
      while (Date.now() - start < 3000) acked = Number((await c.command(['INCR', 'immich:counter'])).slice(1));
      const rate = acked / ((Date.now() - start) / 1000);
      await procs.kill(p, 'SIGKILL');
      c.close();
      p = await startStandalone(procs, node);
      // Replaying seconds of writes takes a while on a loaded 2-core machine (CI ran out of 10 s once): wait for a number, not a LOADING error.
      await waitFor('AOF loaded', 60_000, () => /^\d*$/.test(cli(node.port, ['GET', 'immich:counter'], { user: 'admin', password: 'test-admin-pw' })), 250);
      const persisted = Number(cli(node.port, ['GET', 'immich:counter'], { user: 'admin', password: 'test-admin-pw' }) || '0');
      lossMs = ((acked - persisted) / rate) * 1000;
      console.log(
        `persistence: ${acked} writes acknowledged at ${Math.round(rate)}/s, ${persisted} survived kill -9: ${acked - persisted} lost = ${Math.round(lossMs)} ms of writes (kill -9 of the process; the kernel still holds un-fsynced AOF pages, a power loss could cost up to the 1 s fsync interval)`,
      );
      expect(persisted).toBeLessThanOrEqual(acked);
      expect(lossMs).toBeLessThanOrEqual(2000);
    } finally {
      await procs.kill(p);
    }
    await sleep(0);
    // Restart and AOF replay run on a loaded 2-core machine in CI: a generous budget, not a timing claim.
  }, 180_000);
});
