/**
 * redis.auth on a real redis-server (Debian's): in `migrating` a client without a password
 * still works and is counted the way redis_exporter counts it; in `on` it is refused.
 *
 * The count: redis_exporter v1.62.0 with --export-client-list runs CLIENT LIST as its ACL
 * user `exporter` and emits one redis_connected_clients_details series per line, with the
 * line's `user=` as label `user` (exporter/clients.go:98-131); the alerts count the series
 * with user="default". The test runs the same CLIENT LIST as the rendered `exporter` user
 * (so its ACL is proven to allow it) and counts the lines the same way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePrograms } from '@db/core/testing';
import { cli, freePort, Processes, removeDir, tempDir, testRedis } from './helpers.ts';
import { passwordsFor, renderNode, startStandalone } from './servers.ts';
import { Resp } from './resp.ts';

const programs = requirePrograms('redis.auth tests on a real Redis', ['redis-server', 'redis-cli'], 'apt-get install redis-server');
const procs = new Processes();
const dirs: string[] = [];
afterAll(async () => {
  await procs.stopAll();
  dirs.forEach(removeDir);
});

/** Connections per ACL user, as the exporter's series would be counted (`count by (user)`). */
function connectionsByUser(port: number): Record<string, number> {
  const list = cli(port, ['CLIENT', 'LIST'], { user: 'exporter', password: 'test-exporter-pw' });
  expect(list).toMatch(/^id=\d+ addr=/);
  const counts: Record<string, number> = {};
  for (const line of list.split('\n')) {
    const user = /(?:^| )user=(\S*)/.exec(line)?.[1];
    if (user) counts[user] = (counts[user] ?? 0) + 1;
  }
  return counts;
}

async function server(auth: 'migrating' | 'on') {
  const { redis } = testRedis(`{ topology: standalone, auth: "${auth}" }`);
  const dir = tempDir(`auth-${auth}`);
  dirs.push(dir);
  const node = renderNode(redis, dir, await freePort(), passwordsFor(redis));
  return { redis, node, process: await startStandalone(procs, node) };
}

describe.skipIf(!programs.available)('redis.auth on a real Redis', () => {
  it('migrating: clients without a password keep working and are counted; tenant users are already confined', async () => {
    const { node, process } = await server('migrating');
    const clients: Resp[] = [];
    try {
      expect(readFileSync(join(node.runDir, 'users.acl'), 'utf8')).toMatch(/^user default on nopass /m);
      // What a seed-cluster app does today: no AUTH at all.
      expect(cli(node.port, ['SET', 'legacy:key', 'v'])).toBe('OK');
      expect(cli(node.port, ['GET', 'legacy:key'])).toBe('v');
      expect(connectionsByUser(node.port).default ?? 0).toBe(0);
      for (let i = 0; i < 3; i++) {
        const c = await Resp.connect(node.port);
        expect(await c.command(['PING'])).toBe('+PONG');
        clients.push(c);
      }
      // A migrated tenant beside them, on its own user and prefixes.
      const immich = await Resp.connect(node.port);
      clients.push(immich);
      expect(await immich.command(['AUTH', 'immich', 'test-immich-pw'])).toBe('+OK');
      expect(await immich.command(['SET', 'immich:a', '1'])).toBe('+OK');
      expect(await immich.command(['GET', 'legacy:key'])).toMatch(/^-NOPERM/);
      const counts = connectionsByUser(node.port);
      console.log(`migrating: connections by ACL user while 3 clients hold no password: ${JSON.stringify(counts)}`);
      // 3 unauthenticated; the exporter's own CLIENT LIST connection is `exporter`, never `default`.
      expect(counts.default).toBe(3);
      expect(counts.immich).toBe(1);
      expect(counts.exporter).toBe(1);
      // The migration finished: the count drops to 0 when they reconnect as their users.
      for (const c of clients.splice(0, 3)) c.close();
      await new Promise((r) => setTimeout(r, 200));
      expect(connectionsByUser(node.port).default ?? 0).toBe(0);
    } finally {
      for (const c of clients) c.close();
      await procs.kill(process);
    }
  });

  it('on: a client without a password is refused, and default cannot log in', async () => {
    const { node, process } = await server('on');
    try {
      expect(readFileSync(join(node.runDir, 'users.acl'), 'utf8')).toMatch(/^user default off /m);
      expect(cli(node.port, ['GET', 'legacy:key'])).toMatch(/NOAUTH/);
      expect(cli(node.port, ['SET', 'legacy:key', 'v'])).toMatch(/NOAUTH/);
      const c = await Resp.connect(node.port);
      try {
        expect(await c.command(['AUTH', 'default', ''])).toMatch(/^-(WRONGPASS|ERR)/);
        expect(await c.command(['PING'])).toMatch(/^-NOAUTH/);
        expect(await c.command(['AUTH', 'nextcloud', 'test-nextcloud-pw'])).toBe('+OK');
        expect(await c.command(['SET', 'nextcloud:a', '1'])).toBe('+OK');
      } finally {
        c.close();
      }
      expect(connectionsByUser(node.port).default ?? 0).toBe(0);
    } finally {
      await procs.kill(process);
    }
  });
});
