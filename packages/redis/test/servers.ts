/** Starts real redis-server / redis-sentinel / haproxy from the generated configs, on loopback. */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisModel } from '../src/model.ts';
import { redisConf, sentinelConf, type RedisVersion } from '../src/redis-conf.ts';
import { usersAclTemplate } from '../src/users-acl.ts';
import { prepareScript, redisStartScript, sentinelStartScript } from '../src/scripts.ts';
import { cli, HOST, waitFor, writeFile, type Processes } from './helpers.ts';

/** The installed server's major.minor, the version target for rendering. */
export function installedRedis(): RedisVersion {
  const v = /v=(\d+)\.(\d+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }));
  return [Number(v![1]), Number(v![2])];
}

export function passwordsFor(redis: RedisModel): Record<string, string> {
  return Object.fromEntries(redis.users.map((u) => [u.name, `test-${u.name}-pw`]));
}

/** Writes the Secrets as the projected volume would, and runs prepare.sh (the real script). */
export function prepare(redis: RedisModel, dir: string, passwords: Record<string, string>): { runDir: string; secretsDir: string } {
  const secretsDir = join(dir, 'secrets');
  const runDir = join(dir, 'run');
  mkdirSync(secretsDir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  for (const [u, pw] of Object.entries(passwords)) writeFile(secretsDir, u, `${pw}\n`);
  const template = writeFile(dir, 'users.acl.template', usersAclTemplate(redis));
  const script = writeFile(dir, 'prepare.sh', prepareScript());
  execFileSync('sh', [script], { env: { ...process.env, ACL_TEMPLATE: template, RUN_DIR: runDir, SECRETS_DIR: secretsDir }, encoding: 'utf8' });
  return { runDir, secretsDir };
}

export interface Node {
  readonly port: number;
  readonly dir: string;
  readonly conf: string;
  readonly runDir: string;
  readonly secretsDir: string;
}

export function renderNode(redis: RedisModel, dir: string, port: number, passwords: Record<string, string>, target = installedRedis()): Node & { dropped: readonly string[] } {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const { runDir, secretsDir } = prepare(redis, dir, passwords);
  const rendered = redisConf(redis, { target, port, dataDir, runDir, bind: HOST });
  const conf = writeFile(dir, 'redis.conf', rendered.text);
  return { port, dir, conf, runDir, secretsDir, dropped: rendered.dropped };
}

export async function startStandalone(procs: Processes, node: Node) {
  const p = procs.start('redis-server', [node.conf], {}, `redis:${node.port}`);
  try {
    // A start budget, not an assertion: ready means loaded (PING answers LOADING until then),
    // and replaying an AOF after kill -9 took over 30 s on a 2-core machine running another CI.
    await waitFor(`redis on ${node.port}`, 90_000, () => /PONG|NOAUTH/.test(cli(node.port, ['PING'])));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${procs.log(p)}`);
  }
  return p;
}

/** start.sh of the sentinel topology (the real script), for node `port`. */
export function startHaNode(procs: Processes, redis: RedisModel, node: Node, sentinelPorts: readonly number[]) {
  const script = writeFile(node.dir, 'start.sh', redisStartScript());
  return procs.start(
    'sh',
    [script],
    {
      SELF_HOST: HOST,
      SELF_PORT: String(node.port),
      SENTINELS: sentinelPorts.map((p) => `${HOST}:${p}`).join(' '),
      MASTER_NAME: redis.sentinel.masterName,
      RUN_DIR: node.runDir,
      SECRETS_DIR: node.secretsDir,
      REDIS_CONF: node.conf,
    },
    `redis:${node.port}`,
  );
}

export function startSentinel(
  procs: Processes,
  redis: RedisModel,
  dir: string,
  port: number,
  genesisPort: number,
  secretsDir: string,
  timing: { downAfterMilliseconds: number; failoverTimeout: number },
  target = installedRedis(),
) {
  mkdirSync(dir, { recursive: true });
  const conf = sentinelConf(redis, { target, port, timing, bind: HOST });
  const global = writeFile(dir, 'sentinel-global.conf', conf.global.text);
  const master = writeFile(dir, 'sentinel-master.conf', conf.master.text);
  const script = writeFile(dir, 'start-sentinel.sh', sentinelStartScript());
  return procs.start(
    'sh',
    [script],
    {
      SELF_HOST: HOST,
      STATE_DIR: join(dir, 'state'),
      GLOBAL_CONF: global,
      MASTER_CONF: master,
      GENESIS: `${HOST}:${genesisPort}`,
      QUORUM: String(redis.sentinel.quorum),
      MASTER_NAME: redis.sentinel.masterName,
      SECRETS_DIR: secretsDir,
    },
    `sentinel:${port}`,
  );
}
