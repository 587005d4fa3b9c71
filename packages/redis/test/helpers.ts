/**
 * Real-program test helpers: loopback ports, temporary folders under os.tmpdir(), and a
 * process registry so every test stops everything it started (afterAll + try/finally).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { PlatformModel } from '@db/core';
import { modelFromYaml as modelFromYamlOf } from '@db/core/testing';
import { resolveRedis, type RedisModel } from '../src/model.ts';
import { redisEngine } from '../src/engine.ts';

export const HOST = '127.0.0.1';

export function platformText(redis: string, tenants: string): string {
  return `cluster: test
storage: { block: lvm, encrypted: lvm-encrypted }
backups: { nfs: { server: nfs.test, path: /srv/nfs } }
scheduling: { avoidNodes: [gpu-node] }
monitoring: { pushgateway: "http://pushgateway.monitoring:9091", runbookBaseUrl: "https://example.test/docs/runbooks" }
redis: ${redis}
tenants:
${tenants}
`;
}

export const DEFAULT_TENANTS = `  - { name: immich, redis: { use: queue, prefixes: ["bull"] } }
  - { name: nextcloud, redis: { use: cache } }`;

/** A model from desired-state text (core's test helper). */
/** A model checked against this package's schema (other engines' sections pass unchecked). */
export const loadModel = (text: string) => modelFromYamlOf(text, [redisEngine], { othersOpaque: true });
const modelFromYaml = loadModel;

export function testRedis(redis = '{ topology: standalone }', tenants = DEFAULT_TENANTS): { model: PlatformModel; redis: RedisModel } {
  const model = modelFromYaml(platformText(redis, tenants));
  return { model, redis: resolveRedis(model) };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `db-redis-${prefix}-`));
}

/** A port that was free a moment ago on 127.0.0.1 (one implementation, in @db/core/testing). */
export { freePort } from '@db/core/testing';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process a test file started; `stopAll` in afterAll (and finally blocks) kills them. */
export class Processes {
  private readonly procs = new Set<ChildProcess>();
  readonly logs = new Map<ChildProcess, string[]>();

  start(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, label = cmd): ChildProcess {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    p.stdout?.on('data', (d) => log.push(`[${label}] ${d}`));
    p.stderr?.on('data', (d) => log.push(`[${label}] ${d}`));
    this.procs.add(p);
    this.logs.set(p, log);
    p.on('exit', () => this.procs.delete(p));
    return p;
  }

  log(p: ChildProcess): string {
    return (this.logs.get(p) ?? []).join('');
  }

  async kill(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    // Scripts exec the server, so the pid is the server's; a shell still waiting is killed too.
    await Promise.race([exited, sleep(5000).then(() => p.kill('SIGKILL'))]);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].map((p) => this.kill(p, 'SIGKILL')));
  }
}

/** The processes and the scratch folder of one test file: after it (afterAll), every process is killed and the folder removed. */
export function testFileRun(prefix: string): { procs: Processes; root: string } {
  const procs = new Processes();
  const root = tempDir(prefix);
  afterAll(async () => {
    await procs.stopAll();
    removeDir(root);
  });
  return { procs, root };
}

/** redis-cli against loopback; returns stdout (errors come back as text, not exceptions). */
export function cli(port: number, args: readonly string[], auth?: { user: string; password: string }): string {
  const a = ['-h', HOST, '-p', String(port), '--no-auth-warning', ...(auth ? ['--user', auth.user, '--pass', auth.password] : []), ...args];
  const r = spawnSync('redis-cli', a, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${(r.stderr ?? '').replace(/^Warning: Using a password.*\n?/m, '')}`.trim();
}

/** Waits until `check` returns true, polling; throws with `what` after `ms`. */
export async function waitFor(what: string, ms: number, check: () => boolean | Promise<boolean>, every = 100): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await sleep(every);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
