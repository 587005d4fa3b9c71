/**
 * Rotating a Redis password under load, on a real redis-server: a client reconnects every few
 * milliseconds with whatever its Secret file holds (as an app restarted by Reloader, or one that
 * reconnects with fresh credentials, does), while the password rotates and the file is updated
 * only after a delay standing for External Secrets' refresh plus the restart.
 *
 * With the platform's rotation (rotationCommands: `ACL SETUSER u >new`, file updated, then
 * `<old`) no login fails. Replacing the password in one step (`resetpass >new`) makes every
 * login fail until the file catches up: that window is what the two-password rotation removes.
 * A restart during the grace period keeps both: prepare.sh hashes `<user>.previous` too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePrograms } from '@db/core/testing';
import { rotationCommands } from '../src/users-acl.ts';
import { freePort, Processes, removeDir, sleep, tempDir, testRedis } from './helpers.ts';
import { passwordsFor, prepare, renderNode, startStandalone } from './servers.ts';
import { Resp } from './resp.ts';

const programs = requirePrograms('Redis rotation under load', ['redis-server', 'redis-cli'], 'apt-get install redis-server');
const procs = new Processes();
const dirs: string[] = [];
afterAll(async () => {
  await procs.stopAll();
  dirs.forEach(removeDir);
});

/** Logs in again and again with the password in `file` until `stop`; counts failed logins and when they happened. */
function reconnectingClient(port: number, user: string, file: string) {
  let stopped = false;
  const stats = { logins: 0, failed: 0, firstFail: 0, lastFail: 0 };
  const done = (async () => {
    while (!stopped) {
      const password = readFileSync(file, 'utf8').trim();
      const c = await Resp.connect(port);
      try {
        const r = await c.command(['AUTH', user, password]);
        const ok = r === '+OK' && (await c.command(['SET', `${user}:alive`, String(Date.now())])) === '+OK';
        stats.logins++;
        if (!ok) {
          stats.failed++;
          stats.firstFail ||= Date.now();
          stats.lastFail = Date.now();
        }
      } finally {
        c.close();
      }
      await sleep(5);
    }
  })();
  return {
    stats,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

async function admin(port: number, args: string[]): Promise<string> {
  const c = await Resp.connect(port);
  try {
    expect(await c.command(['AUTH', 'admin', 'test-admin-pw'])).toBe('+OK');
    return await c.command(args);
  } finally {
    c.close();
  }
}

const DELAY_MS = 1500; // stands for refresh + restart (15 minutes + a restart in prod)

describe.skipIf(!programs.available)('Redis rotation under continuous reconnects', () => {
  it('two passwords at once: zero failed logins; one-step replacement fails for the whole delay', async () => {
    const { redis } = testRedis();
    const dir = tempDir('rotation');
    dirs.push(dir);
    const node = renderNode(redis, dir, await freePort(), passwordsFor(redis));
    const p = await startStandalone(procs, node);
    const file = join(dir, 'immich-password');
    try {
      // The platform's rotation.
      writeFileSync(file, 'test-immich-pw');
      let client = reconnectingClient(node.port, 'immich', file);
      await sleep(300);
      const r1 = rotationCommands('immich', 'immich-pw-2', 'test-immich-pw');
      expect(await admin(node.port, r1.add)).toBe('+OK');
      await sleep(DELAY_MS);
      writeFileSync(file, 'immich-pw-2');
      await sleep(300);
      expect(await admin(node.port, r1.drop)).toBe('+OK');
      await sleep(300);
      await client.stop();
      const good = { ...client.stats };
      console.log(`redis rotation (add >new, file updated after ${DELAY_MS} ms, drop <old): ${good.logins} logins, ${good.failed} failed`);
      expect(good.logins).toBeGreaterThan(50);
      expect(good.failed).toBe(0);

      // One-step replacement, for contrast.
      client = reconnectingClient(node.port, 'immich', file);
      await sleep(300);
      const t0 = Date.now();
      expect(await admin(node.port, ['ACL', 'SETUSER', 'immich', 'resetpass', '>immich-pw-3'])).toBe('+OK');
      await sleep(DELAY_MS);
      writeFileSync(file, 'immich-pw-3');
      await sleep(300);
      await client.stop();
      const bad = client.stats;
      const window = bad.lastFail - bad.firstFail;
      console.log(`redis one-step replacement: ${bad.logins} logins, ${bad.failed} failed over ${window} ms (from ${bad.firstFail - t0} ms after the change)`);
      expect(bad.failed).toBeGreaterThan(10);
      expect(window).toBeGreaterThan(DELAY_MS * 0.6);
    } finally {
      await procs.kill(p);
    }
  }, 60_000);

  it('a pod restarted during the grace period accepts both passwords (prepare.sh hashes <user>.previous)', async () => {
    const { redis } = testRedis();
    const dir = tempDir('rotation-restart');
    dirs.push(dir);
    const passwords = passwordsFor(redis);
    const { secretsDir, runDir } = prepare(redis, dir, { ...passwords, immich: 'immich-new', 'immich.previous': 'immich-old' });
    const acl = readFileSync(join(runDir, 'users.acl'), 'utf8');
    expect(acl).toMatch(/^user immich on #[0-9a-f]{64} #[0-9a-f]{64} /m);
    expect(acl).toMatch(/^user nextcloud on #[0-9a-f]{64} resetkeys/m);
    expect(secretsDir).toBeTruthy();
    const node = renderNode(redis, dir, await freePort(), { ...passwords, immich: 'immich-new', 'immich.previous': 'immich-old' });
    const p = await startStandalone(procs, node);
    try {
      for (const pw of ['immich-new', 'immich-old']) {
        const c = await Resp.connect(node.port);
        expect(await c.command(['AUTH', 'immich', pw]), pw).toBe('+OK');
        c.close();
      }
    } finally {
      await procs.kill(p);
    }
  }, 60_000);
});
