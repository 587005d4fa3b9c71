/**
 * Generated credentials in the real clusters' output (prod and lab): every Redis ACL user's
 * password is generated once into Vault KV and delivered from that one entry to the server's
 * namespace and to the tenant's; a real redis-server started from the rendered ACL template and
 * the rendered prepare.sh lets every tenant in with what its namespace's Secret holds, and only
 * into its own prefixes.
 *
 * External Secrets v2.9.0 behaviour the chain relies on (read in its source, modelled below):
 * - PushSecret `updatePolicy: IfNotExists`: before writing, the controller asks the store
 *   `SecretExists(remoteRef)` and skips the entry when it exists
 *   (pkg/controllers/pushsecret/pushsecret_controller.go:592-600).
 * - The Vault provider's `SecretExists` reads the KV entry and answers whether the pushed
 *   `property` is present (providers/v1/vault/client_get.go:105-122); pushing a property merges
 *   it into the entry and refuses entries not marked `managed-by: external-secrets`
 *   (providers/v1/vault/client_push.go:66-118).
 * - PushSecret `selector.generatorRef` runs the generator for the source data
 *   (pushsecret_controller.go:643-646); the Password generator emits key `password`
 *   (generators/v1/password/password.go:136-139) of `length` characters with `digits` digits and
 *   `symbols` symbols (password.go:106-131, sethvargo/go-password), so `symbols: 0` gives
 *   [A-Za-z0-9] only (the default symbol set, password.go:41, is unsafe in URIs).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { K8sObject } from '@db/core';
import { freePort, requirePrograms } from '@db/core/testing';
import { platformFileOf } from '../src/paths.ts';
import { renderFile } from '../src/render.ts';
import { Resp } from '../../redis/test/resp.ts';

function rendered(cluster: string): K8sObject[] {
  const r = renderFile(platformFileOf(cluster), cluster);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.objects.map((o) => o.object);
}

/** The generator as configured: `length` characters, `digits` of them digits, `symbols` symbols, the rest letters. */
export function generatePassword(spec: { length: number; digits: number; symbols: number }): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const chars = [...Array.from({ length: spec.digits }, () => String(randomInt(10))), ...Array.from({ length: spec.length - spec.digits - spec.symbols }, () => letters[randomInt(letters.length)]!)];
  if (spec.symbols > 0) throw new Error('the platform generates no symbols');
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** Vault KV v2 as External Secrets sees it: entries of properties. */
export type Kv = Map<string, Record<string, string>>;

/** One PushSecret reconcile (the IfNotExists branch of pushsecret_controller.go:592-600 over client_get.go:105-122). */
export function reconcilePush(ps: K8sObject, kv: Kv, generators: Map<string, K8sObject>): 'written' | 'exists' {
  const gen = generators.get(`${ps.metadata.namespace}/${ps.spec.selector.generatorRef.name}`);
  if (!gen || ps.spec.selector.generatorRef.kind !== 'Password')
    throw new Error(`PushSecret ${ps.metadata.name}: no Password generator ${ps.spec.selector.generatorRef.name} in ${ps.metadata.namespace}`);
  const generated = { password: generatePassword(gen.spec) };
  let result: 'written' | 'exists' = 'exists';
  for (const d of ps.spec.data) {
    const { remoteKey, property } = d.match.remoteRef;
    const entry = kv.get(remoteKey);
    if (ps.spec.updatePolicy === 'IfNotExists' && entry?.[property] !== undefined) continue;
    kv.set(remoteKey, { ...entry, [property]: generated[d.match.secretKey as 'password'] });
    result = 'written';
  }
  return result;
}

/** Go's url.QueryEscape, what the `urlquery` template function applies. */
const urlquery = (s: string) =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

/** The Secret data External Secrets writes: the target template over the values read from KV (`.password`, `| urlquery`). */
export function deliveredData(es: K8sObject, kv: Kv): Record<string, string> {
  const values: Record<string, string> = {};
  // dataFrom extract: every key of the entry (the Vault provider's GetSecretMap, client_get.go:83-103).
  for (const d of es.spec.dataFrom ?? []) Object.assign(values, kv.get(d.extract.key));
  for (const d of es.spec.data ?? []) {
    const v = kv.get(d.remoteRef.key)?.[d.remoteRef.property];
    if (v === undefined) throw new Error(`ExternalSecret ${es.metadata.namespace}/${es.metadata.name}: KV ${d.remoteRef.key} has no ${d.remoteRef.property}`);
    values[d.secretKey] = v;
  }
  return Object.fromEntries(
    Object.entries(es.spec.target.template.data as Record<string, string>).map(([k, t]) => [
      k,
      // `index . "k"` gives "" for a missing key; `.k` fails the Secret (missingkey=error, runtime/template/v2/template.go:238).
      t
        .replace(/\{\{ index \. "(\w+)" \}\}/g, (_, name: string) => values[name] ?? '')
        .replace(/\{\{ \.(\w+)( \| urlquery)? \}\}/g, (_, name: string, q: string | undefined) => {
          const v = values[name];
          if (v === undefined) throw new Error(`template of ${es.metadata.name}.${k} uses .${name}, which is not read`);
          return q ? urlquery(v) : v;
        }),
    ]),
  );
}

/** Vault policy path matching: `+` is one segment, a trailing `*` any suffix. */
export function vaultPathMatches(pattern: string, path: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.?^${}()|[\]\\]/g, '\\$&')
      .replace(/\+/g, '[^/]+')
      .replace(/\*$/, '.*')}$`,
  );
  return re.test(path);
}
const policyPaths = (hcl: string, namespace: string) => [...hcl.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1]!.replace(/\{\{identity.*?\}\}(?!\})/, namespace));

function chain(objects: K8sObject[]) {
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const generators = new Map(of('Password').map((g) => [`${g.metadata.namespace}/${g.metadata.name}`, g]));
  const pushes = of('PushSecret');
  const externals = of('ExternalSecret').filter((e) => e.spec.secretStoreRef.name !== 'vault-database');
  return { generators, pushes, externals };
}

/** The KV entry an ExternalSecret reads (its `password` property, or the whole entry). */
export const kvKeyOf = (es: K8sObject): string => es.spec.data?.[0]?.remoteRef.key ?? es.spec.dataFrom[0].extract.key;

const redisStatefulSet = (objects: K8sObject[]) => objects.find((o) => o.kind === 'StatefulSet' && o.metadata.namespace === 'redis')!;
const redisConfig = (objects: K8sObject[]) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'redis' && o.data?.['users.acl.template'])!;
const tenantsOf = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'ExternalSecret' && o.metadata.name.endsWith('-redis') && o.spec.target.template.data.url);

for (const cluster of ['prod', 'lab']) {
  describe(`${cluster}: Redis passwords are generated once and delivered from one owner`, () => {
    const objects = rendered(cluster);
    const { generators, pushes, externals } = chain(objects);

    it('every Secret the Redis pods read is delivered by an ExternalSecret whose KV entry a PushSecret generates once', () => {
      const sts = redisStatefulSet(objects);
      const read = (sts.spec.template.spec.volumes as { projected?: { sources: { secret: { name: string } }[] } }[]).flatMap((v) => v.projected?.sources.map((s) => s.secret.name) ?? []);
      expect(read.length).toBeGreaterThan(5);
      for (const name of read) {
        const es = externals.find((e) => e.metadata.namespace === 'redis' && e.spec.target.name === name);
        expect(es, `ExternalSecret for redis/${name}`).toBeDefined();
        const key = kvKeyOf(es!);
        const ps = pushes.find((p) => p.metadata.namespace === 'redis' && p.spec.data.some((d: { match: { remoteRef: { remoteKey: string } } }) => d.match.remoteRef.remoteKey === key));
        expect(ps, `PushSecret for ${key}`).toBeDefined();
        expect(ps!.spec.updatePolicy).toBe('IfNotExists');
        expect(ps!.spec.deletionPolicy).toBe('None');
        const gen = generators.get(`redis/${ps!.spec.selector.generatorRef.name}`)!;
        expect(gen.spec).toMatchObject({ symbols: 0, length: 32 });
      }
    });

    it('each tenant namespace gets host, port, username, password, url and prefixes, from the same KV entry as the ACL', () => {
      const tenantSecrets = tenantsOf(objects);
      const cm = redisConfig(objects);
      const aclUsers = [...(cm.data['users.acl.template'] as string).matchAll(/^user (\S+) on @PASSWORD@ resetkeys ~/gm)].map((m) => m[1]!).filter((u) => u !== 'admin');
      expect(tenantSecrets.map((e) => e.spec.target.template.data.username).sort()).toEqual(aclUsers.sort());
      for (const es of tenantSecrets) {
        expect(Object.keys(es.spec.target.template.data).sort()).toEqual(['host', 'password', 'port', 'prefixes', 'url', 'username']);
        expect(es.metadata.namespace).not.toBe('redis');
        const user = es.spec.target.template.data.username;
        const server = externals.find((e) => e.metadata.namespace === 'redis' && e.spec.target.name === `redis-v2-user-${user}`)!;
        expect(kvKeyOf(es)).toBe(kvKeyOf(server));
        expect(kvKeyOf(es)).toBe(`redis/tenants/${es.metadata.namespace}/redis-v2-user-${user}`);
      }
    });

    it("Vault's policies: a tenant namespace reads its own entries only; a server's namespace writes only below its own name", () => {
      const policy = (name: string) => objects.find((o) => o.kind === 'Policy' && o.metadata.name === name)!.spec.policy as string;
      const keys = pushes.flatMap((p) => p.spec.data.map((d: { match: { remoteRef: { remoteKey: string } } }) => d.match.remoteRef.remoteKey as string));
      for (const es of tenantsOf(objects)) {
        const mine = policyPaths(policy('db-tenant-secrets'), es.metadata.namespace!);
        for (const key of keys) {
          const allowed = mine.some((p) => vaultPathMatches(p, `database-kv/data/${key}`));
          expect(allowed, `${es.metadata.namespace} reading ${key}`).toBe(key.includes(`/tenants/${es.metadata.namespace}/`));
        }
      }
      for (const ns of new Set(pushes.map((p) => p.metadata.namespace!))) {
        const paths = policyPaths(policy('db-platform-secrets'), ns);
        for (const key of keys)
          expect(
            paths.some((p) => vaultPathMatches(p, `database-kv/data/${key}`)),
            `${ns} writing ${key}`,
          ).toBe(key.startsWith(`${ns}/`));
      }
    });

    it('a re-sync never replaces a password: the second reconcile of every PushSecret finds the entry and writes nothing', () => {
      const kv: Kv = new Map();
      expect(pushes.map((p) => reconcilePush(p, kv, generators))).toEqual(pushes.map(() => 'written'));
      const first = JSON.stringify([...kv]);
      expect(pushes.map((p) => reconcilePush(p, kv, generators))).toEqual(pushes.map(() => 'exists'));
      expect(JSON.stringify([...kv])).toBe(first);
      for (const [, v] of kv) expect(v.password).toMatch(/^[A-Za-z0-9]{32}$/);
    });
  });
}

// ---- real redis-server ----
const programs = requirePrograms('generated Redis credentials on a real Redis', ['redis-server'], 'apt-get install redis-server');
const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function startRedis(dir: string, aclFile: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\naclfile ${aclFile}\nsave ""\nappendonly no\n`);
  const proc = spawn('redis-server', [conf], { stdio: 'ignore' });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        if (proc.exitCode !== null) return r();
        proc.once('exit', () => r());
        proc.kill('SIGKILL');
      }),
  );
  for (let i = 0; i < 100; i++) {
    try {
      const c = await Resp.connect(port);
      const pong = await c.command(['PING']);
      c.close();
      if (/PONG|NOAUTH/.test(pong)) return { port, proc };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis-server did not start');
}

for (const cluster of ['prod', 'lab']) {
  describe.skipIf(!programs.available)(`${cluster}: every Redis tenant logs in with what its namespace receives`, () => {
    it('reaches its own prefixes and nothing else', async () => {
      const objects = rendered(cluster);
      const { generators, pushes, externals } = chain(objects);
      const kv: Kv = new Map();
      for (const p of pushes) reconcilePush(p, kv, generators);
      const dir = mkdtempSync(join(tmpdir(), `db-generated-${cluster}-`));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      // The server's side: the rendered prepare.sh hashes the delivered redis-namespace Secrets into the rendered ACL template.
      const cm = redisConfig(objects);
      const secretsDir = join(dir, 'secrets');
      const runDir = join(dir, 'run');
      mkdirSync(secretsDir);
      mkdirSync(runDir);
      const sts = redisStatefulSet(objects);
      for (const v of sts.spec.template.spec.volumes as { projected?: { sources: { secret: { name: string; items: { key: string; path: string }[] } }[] } }[]) {
        for (const s of v.projected?.sources ?? []) {
          const es = externals.find((e) => e.metadata.namespace === 'redis' && e.spec.target.name === s.secret.name)!;
          const data = deliveredData(es, kv);
          for (const item of s.secret.items) if (data[item.key] !== undefined) writeFileSync(join(secretsDir, item.path), data[item.key]!);
        }
      }
      writeFileSync(join(dir, 'users.acl.template'), cm.data['users.acl.template']);
      writeFileSync(join(dir, 'prepare.sh'), cm.data['prepare.sh']);
      execFileSync('sh', [join(dir, 'prepare.sh')], { env: { ...process.env, ACL_TEMPLATE: join(dir, 'users.acl.template'), RUN_DIR: runDir, SECRETS_DIR: secretsDir } });
      const { port } = await startRedis(dir, join(runDir, 'users.acl'));

      // The apps' side: each tenant's Secret, as External Secrets renders it from the same KV entry.
      const tenants = tenantsOf(objects).map((es) => ({ namespace: es.metadata.namespace, data: deliveredData(es, kv) }));
      expect(tenants.length).toBeGreaterThan(0);
      const lines: string[] = [];
      for (const t of tenants) {
        const url = new URL(t.data.url!);
        expect(url.protocol).toBe('redis:');
        expect(`${url.hostname}:${url.port}`).toBe(`${t.data.host}:${t.data.port}`);
        expect(url.username).toBe(t.data.username);
        expect(decodeURIComponent(url.password)).toBe(t.data.password);
        const own = t.data.prefixes!.split(',');
        const foreign = [...new Set(tenants.flatMap((o) => o.data.prefixes!.split(',')))].filter((p) => !own.includes(p));
        const c = await Resp.connect(port);
        try {
          // Log in with the URL's user and password (the host is the cluster's; the test's server is on loopback).
          expect(await c.command(['AUTH', url.username, decodeURIComponent(url.password)]), `${t.data.username} logs in`).toBe('+OK');
          for (const p of own) {
            expect(await c.command(['SET', `${p}probe`, t.data.username!]), `${t.data.username} writes ${p}`).toBe('+OK');
            expect(await c.command(['GET', `${p}probe`])).toBe(t.data.username);
          }
          for (const p of foreign) expect(await c.command(['GET', `${p}probe`]), `${t.data.username} reads ${p}`).toMatch(/^-NOPERM/);
          expect(await c.command(['AUTH', url.username, `${t.data.password}x`])).toMatch(/^-WRONGPASS/);
        } finally {
          c.close();
        }
        lines.push(`${t.namespace}/${t.data.username}: ${own.length} prefixes ok, ${foreign.length} foreign refused`);
      }
      console.log(`${cluster}: ${lines.length} Redis tenants logged in with their delivered Secret:\n  ${lines.join('\n  ')}`);
      const hash = (pw: string) => createHash('sha256').update(pw).digest('hex');
      expect(execFileSync('cat', [join(runDir, 'users.acl')], { encoding: 'utf8' })).toContain(`#${hash(tenants[0]!.data.password!)}`);
    }, 60_000);
  });
}

// ---- no hand-made secret: every Secret the output reads is rendered-and-generated, or in the README's short list ----

/**
 * The Secrets that still come from outside, each with why (README: "Secrets created out of
 * band"): Vault's own bootstrap logins, and an app's own API token.
 */
export const OUT_OF_BAND: Readonly<Record<string, string>> = {
  'vault/vault-root-postgres': "Vault's bootstrap: its first login on PostgreSQL, rotated away by Vault at once",
  'vault/vault-root-mysql': "Vault's bootstrap: its first login on MySQL, rotated away by Vault at once",
  'technitium/technitium-api-token': "Technitium's own API token, issued by the app",
};

interface SecretRead {
  readonly by: string;
  readonly secret: string;
  /** Keys the reader needs, when it names them. */
  readonly keys: readonly string[];
}

/** Every Secret an object reads: env secretKeyRef, envFrom, secret and projected volumes (any pod template), and what operators read (CNPG role passwordSecret, InnoDBCluster secretName, vault-config-operator rootCredentials). */
export function secretReads(objects: K8sObject[]): SecretRead[] {
  const reads: SecretRead[] = [];
  const add = (o: K8sObject, name: string, keys: readonly string[]) => reads.push({ by: `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, secret: `${o.metadata.namespace}/${name}`, keys });
  const visit = (o: K8sObject, node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) visit(o, x);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, any>;
    if (n.secretKeyRef) add(o, n.secretKeyRef.name, [n.secretKeyRef.key]);
    if (n.secretRef?.name && !n.configMapRef) add(o, n.secretRef.name, []);
    if (n.secret && (n.secret.secretName || n.secret.name)) add(o, n.secret.secretName ?? n.secret.name, n.secret.optional ? [] : (n.secret.items ?? []).map((i: { key: string }) => i.key));
    for (const v of Object.values(n)) visit(o, v);
  };
  for (const o of objects) {
    if (['ExternalSecret', 'PushSecret', 'ClusterSecretStore'].includes(o.kind)) continue;
    if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/')) {
      for (const r of o.spec.managed?.roles ?? []) if (r.passwordSecret) add(o, r.passwordSecret.name, ['username', 'password']);
      for (const f of ['superuserSecret']) if (o.spec[f]) add(o, o.spec[f].name, ['username', 'password']);
      continue;
    }
    if (o.kind === 'InnoDBCluster') {
      add(o, o.spec.secretName, ['rootPassword']);
      continue;
    }
    if (o.kind === 'DatabaseSecretEngineConfig') {
      add(o, o.spec.rootCredentials.secret.name, ['password']);
      continue;
    }
    visit(o, o.spec);
  }
  return reads;
}

for (const cluster of ['prod', 'lab']) {
  describe(`${cluster}: no Secret made by hand but the short list`, () => {
    const objects = rendered(cluster);
    const produced = new Map(
      objects
        .filter((o) => o.kind === 'ExternalSecret')
        .map((e) => [
          `${e.metadata.namespace}/${e.spec.target.name}`,
          { keys: Object.keys(e.spec.target.template?.data ?? {}), type: e.spec.target.template?.type, store: e.spec.secretStoreRef.name },
        ]),
    );
    const reads = secretReads(objects);

    it('every Secret read is delivered by an ExternalSecret with the keys its reader needs, or is in the README list', () => {
      expect(reads.length).toBeGreaterThan(10);
      const outside = new Set<string>();
      for (const r of reads) {
        const p = produced.get(r.secret);
        if (!p) {
          expect(OUT_OF_BAND[r.secret], `${r.by} reads ${r.secret}, which nothing renders`).toBeDefined();
          outside.add(r.secret);
          continue;
        }
        for (const k of r.keys) expect(p.keys, `${r.by} needs key ${k} of ${r.secret}`).toContain(k);
      }
      console.log(`${cluster}: ${reads.length} Secret reads, ${new Set(reads.map((r) => r.secret)).size} Secrets; made outside the cluster: ${[...outside].sort().join(', ') || 'none'}`);
    });

    it('the generated ones come from a PushSecret IfNotExists (or from Vault rotation), never from the repository', () => {
      const pushed = new Set(
        objects
          .filter((o) => o.kind === 'PushSecret' && o.spec.updatePolicy === 'IfNotExists')
          .flatMap((p) => p.spec.data.map((d: { match: { remoteRef: { remoteKey: string } } }) => d.match.remoteRef.remoteKey)),
      );
      for (const e of objects.filter((o) => o.kind === 'ExternalSecret')) {
        if (e.spec.secretStoreRef.name === 'vault-database') continue; // Vault static roles: rotated by Vault (vault.test.ts)
        expect(pushed.has(kvKeyOf(e)), `${e.metadata.namespace}/${e.metadata.name} reads ${kvKeyOf(e)}`).toBe(true);
      }
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    });

    it("CNPG's basic-auth Secrets are typed so, and the InnoDB Cluster's root Secret has the operator's keys", () => {
      for (const r of reads.filter((x) => x.by.startsWith('Cluster/'))) expect(produced.get(r.secret)?.type ?? 'outside', r.secret).toMatch(/kubernetes.io\/basic-auth|outside/);
      const innodb = reads.find((x) => x.by.startsWith('InnoDBCluster/'));
      if (innodb) expect(produced.get(innodb.secret)!.keys.sort()).toEqual(['rootHost', 'rootPassword', 'rootUser']);
    });
  });
}
