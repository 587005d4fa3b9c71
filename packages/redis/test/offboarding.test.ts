/**
 * Retiring and purging a Redis tenant: what is rendered (its ACL user `off`, no network path,
 * a record carrying its label; then a purge Job and no user at all), and, on a real Redis,
 * what the rendered ACL and purge script do: after retiring, the tenant cannot log in while
 * another still can and its keys are intact; after the purge every key under its own prefixes
 * and its user are gone, and the other tenant's keys (a prefix both declare included) are not.
 * Redis has no per-tenant dump (its RDB is the instance's): retiring renders no final dump.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { K8sObject } from '@db/core';
import { findObject, requirePrograms, synthEngine } from '@db/core/testing';
import { redisEngine } from '../src/engine.ts';
import { resolveRedis } from '../src/model.ts';
import { usersAclTemplate } from '../src/users-acl.ts';
import { cli, freePort, loadModel, platformText, Processes, removeDir, tempDir, writeFile } from './helpers.ts';
import { passwordsFor, prepare, renderNode, startStandalone } from './servers.ts';

const tenants = (affine: string) => `  - { name: nextcloud, namespace: nextcloud, redis: { use: cache, prefixes: ["celery"] } }
  - { name: affine, namespace: affine-app, redis: { use: cache, prefixes: ["affx", "celery"] }${affine} }`;
const modelOf = (affine: string) => loadModel(platformText('{ topology: standalone }', tenants(affine)));
const active = modelOf('');
const retired = modelOf(', state: retired, retiredOn: 2026-01-05');
const purged = modelOf(', state: retired, retiredOn: 2026-01-05, purge: true');
const objects = (m: typeof active) => synthEngine(redisEngine, m);
const jobs = (o: K8sObject[]) => o.filter((x) => x.kind === 'Job');
const env = (job: K8sObject): Record<string, string> =>
  Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));

describe('retiring and purging a Redis tenant renders', () => {
  it('its ACL user off when retired (the other on), and no user once purged', () => {
    expect(usersAclTemplate(resolveRedis(active))).toMatch(/^user affine on /m);
    expect(usersAclTemplate(resolveRedis(retired))).toMatch(/^user affine off @PASSWORD@ resetkeys ~affine:\* ~affx\* ~celery\* /m);
    expect(usersAclTemplate(resolveRedis(retired))).toMatch(/^user nextcloud on /m);
    expect(usersAclTemplate(resolveRedis(purged))).not.toMatch(/^user affine /m);
  });

  it('no network path from its namespace, and no final dump (Redis has no per-tenant dump)', () => {
    expect(JSON.stringify(findObject(objects(active), 'NetworkPolicy', 'redis-v2').spec.ingress)).toContain('affine-app');
    expect(JSON.stringify(findObject(objects(retired), 'NetworkPolicy', 'redis-v2').spec.ingress)).not.toContain('affine-app');
    expect(jobs(objects(retired))).toEqual([]);
  });

  it('a record per tenant with its label and state, and a purge Job of its own prefixes only, named by a hash', () => {
    const record = findObject(objects(retired), 'ConfigMap', 'redis-v2-tenant-affine');
    expect(record.metadata.labels?.['db-platform.io/tenant']).toBe('affine');
    expect(record.data).toMatchObject({ state: 'retired', prefixes: 'affine:,affx,celery', purgeAllowedOn: '2026-02-04' });
    const [job, ...more] = jobs(objects(purged));
    expect(more).toEqual([]);
    expect(job!.metadata.name).toMatch(/^purge-redis-affine-[0-9a-f]{8}$/);
    // celery is nextcloud's too: kept.
    expect(env(job!)).toMatchObject({ PURGE_DATABASE: 'affine:,affx', PURGE_LOGIN: 'affine', REDIS_USER: 'admin', NODES: 'redis-v2-0.redis-v2-headless.redis.svc.cluster.local:6379' });
    expect(findObject(objects(purged), 'NetworkPolicy', 'redis-v2-purge').spec.podSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'purge' });
  });
});

const programs = requirePrograms('Redis offboarding on a real server', ['redis-server', 'redis-cli'], 'apt-get install redis-server');

describe.skipIf(!programs.available)('retiring then purging a Redis tenant on a real server', () => {
  const procs = new Processes();
  const dir = tempDir('offboarding');
  afterAll(async () => {
    await procs.stopAll();
    removeDir(dir);
  });
  const passwords = passwordsFor(resolveRedis(active));
  const as = (user: string) => ({ user, password: passwords[user]! });
  const admin = as('admin');
  const KEYS = 2500;

  it('retired: the tenant cannot log in, the other still can, its keys stay; purged: its own keys and user are gone, the rest untouched', async () => {
    const node = renderNode(resolveRedis(active), dir, await freePort(), passwords);
    const p = await startStandalone(procs, node);
    try {
      // Data written the way each app writes it, as its own user.
      for (const [user, prefix] of [
        ['affine', 'affine:'],
        ['affine', 'affx'],
        ['affine', 'celery'],
        ['nextcloud', 'nextcloud:'],
        ['nextcloud', 'celery'],
      ] as const) {
        const lines = Array.from({ length: KEYS }, (_, i) => `SET ${prefix}${user}-${i} v${i}`).join('\n');
        execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(node.port), '--no-auth-warning', '--user', user, '--pass', passwords[user]!], { input: `${lines}\n`, encoding: 'utf8' });
      }
      const count = (pattern: string) => Number(cli(node.port, ['EVAL', `return #redis.call('KEYS', ARGV[1])`, '0', pattern], admin));
      expect(count('affine:*')).toBe(KEYS);
      expect(cli(node.port, ['GET', 'affine:affine-1'], as('affine'))).toBe('v1');

      // Retire: the pods rebuild the ACL file from the retired render's template and load it (a restart; ACL LOAD reads the same file).
      prepare(resolveRedis(retired), dir, passwords);
      expect(cli(node.port, ['ACL', 'LOAD'], admin)).toBe('OK');
      expect(cli(node.port, ['GET', 'affine:affine-1'], as('affine'))).toMatch(/WRONGPASS|disabled|AUTH failed/);
      expect(cli(node.port, ['GET', 'nextcloud:nextcloud-1'], as('nextcloud'))).toBe('v1');
      expect(count('affine:*') + count('affx*')).toBe(2 * KEYS);
      expect(cli(node.port, ['GET', 'affine:affine-7'], admin)).toBe('v7');

      // Purge: the rendered script, with the Job's environment, as admin.
      const [job] = jobs(objects(purged));
      const script = writeFile(dir, 'purge.sh', findObject(objects(purged), 'ConfigMap', 'redis-v2-purge-script').data['purge.sh']);
      const run = () =>
        execFileSync('bash', [script], {
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...env(job!), PATH: process.env.PATH, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(node.port), REDISCLI_AUTH: admin.password, PUSHGATEWAY_URL: '', NODES: nodes },
        });
      // A server that cannot drop the user fails the Job (the keys are gone by then; a retry finishes it).
      let nodes = `127.0.0.1:${node.port} 127.0.0.1:${await freePort()}`;
      expect(() => run()).toThrow(/purge: 127\.0\.0\.1:\d+ did not drop ACL user affine/);
      nodes = `127.0.0.1:${node.port}`;
      const out = run();
      expect(out).toContain('purge: unlinked 0 keys, deleted ACL user affine on 1 server(s)');
      expect(count('affine:*')).toBe(0);
      expect(count('affx*')).toBe(0);
      expect(count('celery*')).toBe(2 * KEYS);
      expect(count('nextcloud:*')).toBe(KEYS);
      expect(cli(node.port, ['ACL', 'USERS'], admin).split('\n')).not.toContain('affine');
      expect(cli(node.port, ['GET', 'nextcloud:nextcloud-1'], as('nextcloud'))).toBe('v1');
      // A retried Job changes nothing.
      expect(run()).toContain('purge: unlinked 0 keys');
    } finally {
      await procs.kill(p);
    }
  }, 120_000);
});
