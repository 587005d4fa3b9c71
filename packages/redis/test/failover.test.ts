/**
 * Sentinel HA on loopback, from the generated configs and the real start scripts: 3 redis
 * (start.sh), 3 sentinels (start-sentinel.sh), HAProxy (haproxy.cfg), ports remapped.
 * Sentinel timings are scaled down through the generator's `timing` parameter; HAProxy keeps
 * the production check timings (inter 2s fall 3 rise 2).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requirePrograms } from '@db/core/testing';
import { haproxyCfg } from '../src/haproxy-cfg.ts';
import { redisStartScript } from '../src/scripts.ts';
import { redisConf } from '../src/redis-conf.ts';
import { fillAclPasswords, usersAclTemplate } from '../src/users-acl.ts';
import { cli, freePort, HOST, sleep, testFileRun, testRedis, waitFor, writeFile } from './helpers.ts';
import { installedRedis, passwordsFor, renderNode, startHaNode, startSentinel, type Node } from './servers.ts';
import { writeOnce } from './resp.ts';
import type { ChildProcess } from 'node:child_process';

const programs = requirePrograms('Sentinel failover test', ['redis-server', 'redis-sentinel', 'redis-cli', 'haproxy'], 'apt-get install redis-server redis-sentinel haproxy');
const { procs, root } = testFileRun('failover');

const TIMING = { downAfterMilliseconds: 2000, failoverTimeout: 6000 };
const admin = { user: 'admin', password: 'test-admin-pw' };
const immich: [string, string] = ['immich', 'test-immich-pw'];

describe.skipIf(!programs.available)('Sentinel HA on loopback', () => {
  it('fails over, routes only to the sentinel-agreed master, and never lets an isolated old master take writes', async () => {
    const { redis } = testRedis('{ topology: sentinel, sentinel: { replicas: 3 } }');
    const passwords = passwordsFor(redis);
    const redisPorts = [await freePort(), await freePort(), await freePort()];
    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    const haPort = await freePort();
    const healthPort = await freePort();
    const nodes: Node[] = redisPorts.map((port, i) => renderNode(redis, join(root, `redis-${i}`), port, passwords));
    const redisProcs: ChildProcess[] = [];
    const dump = () =>
      [...procs.logs.values()]
        .map((l) => l.join(''))
        .join('\n')
        .slice(-8000);
    try {
      for (const [i, port] of sentinelPorts.entries()) startSentinel(procs, redis, join(root, `sentinel-${i}`), port, redisPorts[0]!, nodes[i]!.secretsDir, TIMING);
      for (const n of nodes) redisProcs.push(startHaNode(procs, redis, n, sentinelPorts));
      await waitFor('master with 2 replicas', 30_000, () => /connected_slaves:2/.test(cli(redisPorts[0]!, ['INFO', 'replication'], admin)));
      await waitFor('sentinels to know 2 replicas', 30_000, () => sentinelPorts.every((p) => /num-slaves\n2/.test(cli(p, ['SENTINEL', 'master', redis.sentinel.masterName]))), 200);

      const cfg = writeFile(
        root,
        'haproxy.cfg',
        haproxyCfg(redis, {
          nodes: redisPorts.map((port) => ({ announced: HOST, port, address: HOST })),
          sentinels: sentinelPorts.map((p) => `${HOST}:${p}`),
          port: haPort,
          healthPort,
          bindAddress: HOST,
        }),
      );
      const env = { REDIS_PROBE_PASSWORD: passwords.probe! };
      execFileSync('haproxy', ['-c', '-f', cfg], { env: { ...process.env, ...env } });
      procs.start('haproxy', ['-db', '-f', cfg], env, 'haproxy');
      await waitFor('a write through HAProxy', 20_000, async () => (await writeOnce(haPort, immich, 'immich:first', '1')) === '+OK', 250);
      expect(cli(redisPorts[0]!, ['GET', 'immich:first'], admin)).toBe('1');

      // Kill the master; measure until a write through HAProxy succeeds again.
      const _killedAt = Date.now();
      await procs.kill(redisProcs[0]!, 'SIGKILL');
      let n = 0;
      const failoverMs = await waitFor(
        'writes through HAProxy after the failover',
        TIMING.downAfterMilliseconds + TIMING.failoverTimeout + 30_000,
        async () => (await writeOnce(haPort, immich, `immich:after:${n++}`, 'x')) === '+OK',
        100,
      );
      const newMaster = cli(sentinelPorts[0]!, ['SENTINEL', 'get-master-addr-by-name', redis.sentinel.masterName]).split('\n')[1];
      console.log(
        `failover: writes through HAProxy resumed ${(failoverMs / 1000).toFixed(1)} s after kill -9 of the master (down-after ${TIMING.downAfterMilliseconds} ms, HAProxy inter 2s fall 3 rise 2); new master :${newMaster}`,
      );
      expect(Number(newMaster)).not.toBe(redisPorts[0]);
      expect(failoverMs).toBeLessThan(TIMING.downAfterMilliseconds + TIMING.failoverTimeout + 3 * 2000 + 5000);

      // The old master restarts through start.sh: the sentinel majority makes it a replica.
      redisProcs[0] = startHaNode(procs, redis, nodes[0]!, sentinelPorts);
      await waitFor('old master to rejoin as a replica', 30_000, () => /role:slave[\s\S]*master_link_status:up/.test(cli(redisPorts[0]!, ['INFO', 'replication'], admin)));

      // 2026-05-30: the old master boots cut off from the sentinel majority.
      await procs.kill(redisProcs[0]!, 'SIGKILL');
      // (1) start.sh reaching one sentinel of three waits, and never starts redis.
      const isolated = startHaNode(procs, redis, nodes[0]!, [sentinelPorts[0]!, await freePort(), await freePort()]);
      await sleep(5000);
      expect(cli(redisPorts[0]!, ['PING'])).toMatch(/Connection refused|Could not connect/);
      expect(procs.log(isolated)).toMatch(/waiting, no master named by 2 of 3 sentinels/);
      await procs.kill(isolated, 'SIGKILL');
      // (2) Worst case, what the old "pod-0 is master" fallback did: it runs as a master anyway,
      // and the sentinels cannot reach it (their user is disabled: a partition). HAProxy must
      // still send every write to the sentinel-agreed master.
      writeFile(nodes[0]!.runDir, 'runtime.conf', 'masteruser replication\nmasterauth test-replication-pw\n');
      writeFile(nodes[0]!.runDir, 'users.acl', fillAclPasswords(usersAclTemplate(redis), passwords).replace(/^user sentinel on /m, 'user sentinel off '));
      const rogue = procs.start('redis-server', [nodes[0]!.conf], {}, 'rogue');
      await waitFor('the isolated old master', 10_000, () => /role:master/.test(cli(redisPorts[0]!, ['INFO', 'replication'], admin)));
      const writes: string[] = [];
      const until = Date.now() + 3 * 2000 * 2; // several HAProxy check rounds
      for (let i = 0; Date.now() < until; i++) {
        writes.push(await writeOnce(haPort, immich, `immich:split:${i}`, 'x'));
        await sleep(200);
      }
      const onRogue = Number(cli(redisPorts[0]!, ['EVAL', "return #redis.call('KEYS', 'immich:split:*')", '0'], admin));
      const onMaster = Number(cli(Number(newMaster), ['EVAL', "return #redis.call('KEYS', 'immich:split:*')", '0'], admin));
      console.log(
        `isolated old master: ${writes.filter((w) => w === '+OK').length}/${writes.length} writes through HAProxy succeeded, ${onMaster} on the sentinel master, ${onRogue} on the isolated one`,
      );
      expect(onRogue).toBe(0);
      expect(onMaster).toBe(writes.filter((w) => w === '+OK').length);
      expect(onMaster).toBeGreaterThan(0);
      // Second layer: min-replicas-to-write makes the isolated master refuse writes anyway.
      expect(cli(redisPorts[0]!, ['SET', 'immich:direct', '1'], { user: 'immich', password: 'test-immich-pw' })).toMatch(/NOREPLICAS/);
      await procs.kill(rogue, 'SIGKILL');
    } catch (e) {
      console.error(dump());
      throw e;
    } finally {
      await procs.stopAll();
    }
  }, 180_000);
});

// Keep imports used when the suite is skipped.
void redisStartScript;
void redisConf;
void installedRedis;
