/**
 * The scheduled rotation of Redis tenant passwords (rotation.ts here, the step in
 * @db/redis rotation.ts), run for real: a Vault dev server holds the generated entries in KV v2
 * as the PushSecret leaves them, a redis-server built from the rendered config holds the ACL,
 * and the rendered job's three scripts (plan, apply, commit: the containers in their order) run
 * with the rendered environment, pointed at loopback.
 *
 * The job logs in as the kubernetes auth method would let it: the test mounts Vault's JWT method
 * at the same path (`auth/kubernetes/login` takes the same `{role, jwt}`) with a claim mapped to
 * the alias metadata `service_account_namespace`, so the rendered platform policy (an identity
 * template on that field) is the one deciding what the job may write.
 *
 * While it runs, an app reconnects every few milliseconds with the password in its Secret file,
 * which follows Vault only after a delay that stands for External Secrets' refresh plus a
 * restart: zero failed logins is the claim.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requirePrograms, startPushgateway, startVault, type Pushgateway, type VaultServer } from '@db/core/testing';
import type { K8sObject } from '@db/core';
import { operatorWrites, resolveVault } from '@db/vault';
import { resolveSecrets } from '../src/model.ts';
import { model as modelOf, PLATFORM, render } from './helpers.ts';
import { Processes, removeDir, sleep, tempDir } from '../../redis/test/helpers.ts';
import { renderNode, startStandalone } from '../../redis/test/servers.ts';
import { resolveRedis } from '../../redis/src/model.ts';
import { Resp } from '../../redis/test/resp.ts';

const programs = requirePrograms(
  'scheduled Redis password rotation against Vault',
  ['vault', 'redis-server', 'redis-cli', 'curl', 'prometheus-pushgateway'],
  'scripts/install-go-tools.sh builds vault; apt-get install redis-server curl prometheus-pushgateway',
);

const TEXT = PLATFORM.replace('{ name: immich, redis: { use: queue, prefixes: ["bull"] } }', '{ name: immich, redis: { use: queue, prefixes: ["bull"], rotationPeriod: 3d } }');
const m = modelOf(TEXT);
const objects = render(m);
const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject & { spec: any; data: any };
const cronJob = find('CronJob', 'redis-v2-password-rotation');
const scripts = find('ConfigMap', 'redis-v2-password-rotation-scripts').data as Record<string, string> & { rotate: string };
const podSpec = cronJob.spec.jobTemplate.spec.template.spec;
/** The containers in the order the kubelet runs them. */
const steps: { name: string; command: [string, string]; env: { name: string; value: string }[] }[] = [...podSpec.initContainers, ...podSpec.containers];

describe('the rendered rotation job', () => {
  it('plans, applies and commits in that order, one pod, the passwords in memory only', () => {
    expect(steps.map((s) => s.name)).toEqual(['plan', 'apply', 'commit']);
    expect(podSpec.volumes.find((v: any) => v.name === 'rotate').emptyDir.medium).toBe('Memory');
    expect(podSpec.serviceAccountName).toBe('db-platform-secrets');
    // Every tenant user rotates, each with its own period (immich: its 3d; the other: vault.rotationPeriod, 7d); system users never.
    expect(scripts.rotate).toBe('redis-v2-user-immich redis/tenants/immich/redis-v2-user-immich 259200\nredis-v2-user-wrongmove redis/tenants/realestate-crawler/redis-v2-user-wrongmove 604800\n');
  });

  it("the server's Secret carries `previous` (empty before the first rotation), the app's only `password`", () => {
    const server = find('ExternalSecret', 'redis-v2-user-immich');
    expect(server.spec.dataFrom).toEqual([{ extract: { key: 'redis/tenants/immich/redis-v2-user-immich' } }]);
    expect(server.spec.target.template.data).toEqual({ password: '{{ .password }}', previous: '{{ index . "previous" }}' });
    const admin = find('ExternalSecret', 'redis-v2-user-admin');
    expect(admin.spec.target.template.data).toEqual({ password: '{{ .password }}' });
  });
});

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

describe.skipIf(!programs.available)('scheduled rotation against a real Vault and redis-server', () => {
  const procs = new Processes();
  const dirs: string[] = [];
  let vault: VaultServer;
  let pushgateway: Pushgateway;
  let redisPort: number;
  let dir: string;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwt = (namespace: string) => {
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
    const now = Math.floor(Date.now() / 1000);
    const body = b64url(
      JSON.stringify({ iss: 'test', sub: `system:serviceaccount:${namespace}:db-platform-secrets`, aud: ['vault-test'], iat: now, exp: now + 600, service_account_namespace: namespace }),
    );
    return `${head}.${body}.${b64url(sign('sha256', Buffer.from(`${head}.${body}`), keys.privateKey))}`;
  };
  const v = resolveVault(m, []);
  const kv = resolveSecrets(m).kvMount;
  const immichKey = 'redis/tenants/immich/redis-v2-user-immich';
  const initial = {} as Record<string, string> & { immich: string; admin: string; wrongmove: string };

  beforeAll(async () => {
    if (!programs.available) return;
    dir = tempDir('scheduled-rotation');
    dirs.push(dir);
    [vault, pushgateway] = await Promise.all([startVault(), startPushgateway()]);
    // The rendered KV mount and platform policy, written as vault-config-operator writes them (operator-contract.ts).
    const rendered = (kind: string) => objects.find((o) => o.kind === kind && o.metadata.namespace === v.namespace && (kind !== 'Policy' || o.metadata.name === 'db-platform-secrets'))!;
    for (const w of operatorWrites(rendered('SecretEngineMount') as never)) await vault.ok('PUT', w.path, w.body);
    await vault.ok('POST', `sys/auth/${v.authMount}`, { type: 'jwt' });
    const accessors = Object.fromEntries(Object.entries((await vault.ok('GET', 'sys/auth')).data as Record<string, { accessor: string }>).map(([k, a]) => [k, a.accessor]));
    for (const w of operatorWrites(rendered('Policy') as never, { authAccessors: accessors })) await vault.ok('PUT', w.path, w.body);
    await vault.ok('POST', `auth/${v.authMount}/config`, { jwt_validation_pubkeys: [keys.publicKey.export({ type: 'spki', format: 'pem' })] });
    await vault.ok('POST', `auth/${v.authMount}/role/db-platform-secrets`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['vault-test'],
      claim_mappings: { service_account_namespace: 'service_account_namespace' },
      token_policies: ['db-platform-secrets'],
      token_ttl: 600,
    });
    // The entries as the PushSecrets leave them: `password` only, version 1.
    const redisUsers = ['admin', 'exporter', 'probe', 'backup', 'immich', 'wrongmove'];
    for (const u of redisUsers) initial[u] = `Initial${u}Pw0${u.length}`;
    await vault.ok('POST', `${kv}/data/${immichKey}`, { data: { password: initial.immich } });
    await vault.ok('POST', `${kv}/data/redis/tenants/realestate-crawler/redis-v2-user-wrongmove`, { data: { password: initial.wrongmove } });
    redisPort = await freePort();
    const node = renderNode(resolveRedis(m), join(dir, 'redis'), redisPort, { ...initial });
    await startStandalone(procs, node);
    writeFileSync(join(dir, 'admin-password'), initial.admin);
    writeFileSync(join(dir, 'jwt'), jwt('redis'));
    for (const [name, text] of Object.entries(scripts)) writeFileSync(join(dir, name), text);
  }, 120_000);

  afterAll(async () => {
    await vault?.stop();
    await pushgateway?.stop();
    await procs.stopAll();
    dirs.forEach(removeDir);
  });

  /** Runs the job's containers in order, as the kubelet does: the first failure ends the pod. */
  function runJob(opts: { list?: string; nodes?: string; jwtFile?: string } = {}): { failedAt?: string; output: string } {
    const rotateDir = join(dir, `rotate-${Date.now()}`);
    mkdirSync(rotateDir, { recursive: true });
    const list = join(dir, `list-${Date.now()}`);
    writeFileSync(list, opts.list ?? scripts.rotate);
    const overrides: Record<string, string> = {
      VAULT_ADDR: vault.address,
      JWT_FILE: opts.jwtFile ?? join(dir, 'jwt'),
      ROTATE_LIST: list,
      ROTATE_DIR: rotateDir,
      PUSHGATEWAY_URL: pushgateway.url,
      NODES: opts.nodes ?? `127.0.0.1:${redisPort}`,
      ADMIN_PASSWORD_FILE: join(dir, 'admin-password'),
    };
    let output = '';
    for (const step of steps) {
      const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
      for (const e of step.env) env[e.name] = overrides[e.name] ?? e.value;
      const script = join(dir, step.command[1].replace('/scripts/', ''));
      const r = spawnSync('sh', [script], { env, encoding: 'utf8', timeout: 60_000 });
      output += `[${step.name}]\n${r.stdout}${r.stderr}`;
      if (r.status !== 0) return { failedAt: step.name, output };
    }
    return { output };
  }

  const entry = async (key = immichKey) => (await vault.ok('GET', `${kv}/data/${key}`)).data;
  const login = async (user: string, password: string) => {
    const c = await Resp.connect(redisPort);
    try {
      return await c.command(['AUTH', user, password]);
    } finally {
      c.close();
    }
  };
  /** Only what is due: the rendered list with immich's period shortened to 1 s (standing for its 3 days). */
  const dueList = () => scripts.rotate.replace(/^(redis-v2-user-immich \S+) \d+$/m, '$1 1');

  it('nothing is due right after generation: the rendered periods hold, nothing changes', async () => {
    const r = runJob();
    expect(r.failedAt, r.output).toBeUndefined();
    expect(r.output).toMatch(/plan: redis-v2-user-immich: changed 0 h ago, rotates after 72 h/);
    expect(r.output).toMatch(/plan: 0 due/);
    expect((await entry()).metadata.version).toBe(1);
    const metrics = await pushgateway.metrics();
    expect(metrics).toMatch(/db_platform_password_rotation_period_seconds\{[^}]*namespace="redis"[^}]*secret="redis-v2-user-immich"[^}]*\} 259200/);
    expect(metrics).toMatch(/db_platform_password_last_changed_timestamp_seconds\{[^}]*secret="redis-v2-user-immich"[^}]*\} \d\.\d+e\+09/);
  });

  it('rotates under continuous reconnects with zero failed logins; the old password lasts until the next rotation', async () => {
    const appFile = join(dir, 'immich-app-password');
    writeFileSync(appFile, initial.immich);
    // External Secrets' refresh plus a restart, scaled down: the app's file follows Vault 1.5 s late.
    const DELAY = 1500;
    let stop = false;
    const follower = (async () => {
      let seen = initial.immich;
      while (!stop) {
        const now = (await entry()).data.password as string;
        if (now !== seen) {
          seen = now;
          setTimeout(() => writeFileSync(appFile, now), DELAY);
        }
        await sleep(100);
      }
    })();
    const stats = { logins: 0, failed: 0 };
    const app = (async () => {
      while (!stop) {
        const r = await login('immich', readFileSync(appFile, 'utf8'));
        stats.logins++;
        if (r !== '+OK') stats.failed++;
        await sleep(5);
      }
    })();
    await sleep(1200);
    const first = runJob({ list: dueList() });
    expect(first.failedAt, first.output).toBeUndefined();
    await sleep(DELAY + 500);
    const after1 = await entry();
    expect(after1.metadata.version).toBe(2);
    expect(after1.data.previous).toBe(initial.immich);
    expect(after1.data.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(readFileSync(appFile, 'utf8')).toBe(after1.data.password);
    // A whole period later (here: at once), the next rotation drops the first password.
    const second = runJob({ list: dueList() });
    expect(second.failedAt, second.output).toBeUndefined();
    await sleep(DELAY + 500);
    stop = true;
    await Promise.all([app, follower]);
    const after2 = await entry();
    expect(after2.data.previous).toBe(after1.data.password);
    console.log(`scheduled redis rotation, twice, app following Vault ${DELAY} ms late: ${stats.logins} logins, ${stats.failed} failed`);
    expect(stats.logins).toBeGreaterThan(100);
    expect(stats.failed).toBe(0);
    expect(await login('immich', after2.data.password)).toBe('+OK');
    expect(await login('immich', after2.data.previous)).toBe('+OK');
    expect(await login('immich', initial.immich)).toMatch(/WRONGPASS/);
    // The tenant not due kept its password; no password was ever printed.
    expect((await entry('redis/tenants/realestate-crawler/redis-v2-user-wrongmove')).metadata.version).toBe(1);
    for (const pw of [initial.immich, initial.admin, after1.data.password, after2.data.password]) {
      expect(first.output + second.output).not.toContain(pw);
    }
    expect(first.output).toMatch(/commit: redis-v2-user-immich: version 2 holds the new password/);
  }, 60_000);

  it('a server that cannot take the new password publishes nothing: Vault unchanged, the current password still logs in, the next run completes', async () => {
    const before = await entry();
    const r = runJob({ list: dueList(), nodes: `127.0.0.1:${redisPort} 127.0.0.1:${await freePort()}` });
    expect(r.failedAt, r.output).toBe('apply');
    expect(r.output).toMatch(/rotate: 127\.0\.0\.1:\d+: immich: not applied: .*Connection refused/);
    const after = await entry();
    expect(after.metadata.version).toBe(before.metadata.version);
    // What apps hold now still logs in. (The server that took the change already dropped the
    // value before it, replaced a whole period ago; the next run sets both servers alike.)
    expect(await login('immich', after.data.password)).toBe('+OK');
    const retry = runJob({ list: dueList() });
    expect(retry.failedAt, retry.output).toBeUndefined();
    expect((await entry()).metadata.version).toBe(before.metadata.version + 1);
  }, 60_000);

  it("a change written after the plan is never overwritten (check-and-set), and another namespace's job may not write here", async () => {
    // Another namespace's identity: the rendered policy confines it to its own subtree.
    writeFileSync(join(dir, 'jwt-other'), jwt('other'));
    const denied = runJob({ list: dueList(), jwtFile: join(dir, 'jwt-other') });
    expect(denied.failedAt, denied.output).toBe('plan');
    expect(denied.output).toMatch(/plan: redis-v2-user-immich: cannot read|permission denied/);

    await sleep(1100); // immich's 1 s period is up again
    const before = await entry();
    // Plan and apply, then a concurrent write, then the commit.
    const rotateDir = join(dir, 'cas');
    mkdirSync(rotateDir, { recursive: true });
    writeFileSync(join(dir, 'cas-list'), dueList());
    const env = (step: (typeof steps)[number]) => {
      const e: Record<string, string> = { PATH: process.env.PATH ?? '' };
      for (const x of step.env) e[x.name] = x.value;
      return {
        ...e,
        VAULT_ADDR: vault.address,
        JWT_FILE: join(dir, 'jwt'),
        ROTATE_LIST: join(dir, 'cas-list'),
        ROTATE_DIR: rotateDir,
        PUSHGATEWAY_URL: '',
        NODES: `127.0.0.1:${redisPort}`,
        ADMIN_PASSWORD_FILE: join(dir, 'admin-password'),
      };
    };
    for (const step of steps.slice(0, 2) as typeof steps) expect(spawnSync('sh', [join(dir, step.command[1].replace('/scripts/', ''))], { env: env(step) }).status).toBe(0);
    expect(readdirSync(rotateDir)).toContain('redis-v2-user-immich');
    const meanwhile = await vault.request('POST', `${kv}/data/${immichKey}`, { data: { password: before.data.password, previous: before.data.previous, note: 'written by hand' } });
    expect(meanwhile.status).toBe(200);
    const commit = spawnSync('sh', [join(dir, 'commit.sh')], { env: env(steps[2]!), encoding: 'utf8' });
    expect(commit.status).toBe(1);
    expect(commit.stderr).toMatch(/commit: redis-v2-user-immich: Vault did not take the new password: .*check-and-set/);
    expect((await entry()).data.note).toBe('written by hand');
  }, 60_000);
});
