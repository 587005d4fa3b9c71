/**
 * Real servers for tests, on loopback only, in a scratch folder, always stopped afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresBinDir, run } from './programs.ts';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const IS_ROOT = process.getuid?.() === 0;

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | Record<string, never> {
  if (!IS_ROOT) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface PostgresServer {
  readonly port: number;
  readonly bin: string;
  /** psql/pg_* connection arguments of the superuser (private socket, trust). */
  readonly superuserArgs: readonly string[];
  /** Runs SQL as the superuser `postgres` and returns psql's unaligned output. */
  sql(sql: string, database?: string): string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  const user = postgresUser();
  if ('uid' in user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  // The superuser connects over the private socket (trust); everyone else over TCP with a password.
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...user, cwd: dir });
  const port = await freePort();
  const proc: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'password_encryption=scram-sha-256'],
    { ...user, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr?.on('data', (d) => (log += d));
  const superuserArgs = ['-h', dir, '-p', String(port), '-U', 'postgres'];
  const sql = (q: string, database = 'postgres') => run(join(bin, 'psql'), [...superuserArgs, '-d', database, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-At', '-c', q]);
  try {
    await waitFor(`PostgreSQL on port ${port}`, () => sql('select 1').trim() === '1');
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return {
    port,
    bin,
    superuserArgs,
    sql,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGINT'); // fast shutdown
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Turns on TLS, as CNPG serves it (our rendered connection URLs say `sslmode=require`): a
 * self-signed certificate for 127.0.0.1 in the data folder, owned by the server's user; `ssl` is
 * reloadable, so the server keeps running. Clients that do not verify (libpq's `require`) connect.
 */
export function enablePostgresTls(pg: PostgresServer): void {
  const data = pg.sql('SHOW data_directory').trim();
  const [key, crt] = [join(data, 'server.key'), join(data, 'server.crt')];
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', crt]);
  const owner = statSync(data);
  for (const f of [key, crt]) chownSync(f, owner.uid, owner.gid);
  chmodSync(key, 0o600);
  pg.sql("ALTER SYSTEM SET ssl = 'on'");
  pg.sql('SELECT pg_reload_conf()');
  // New sessions see the reload once the postmaster has handled it.
  for (let i = 0; pg.sql('SHOW ssl').trim() !== 'on'; i++) {
    if (i === 50) throw new Error('PostgreSQL did not turn TLS on');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

export interface Pushgateway {
  readonly url: string;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPushgateway(): Promise<Pushgateway> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pushgateway-'));
  const proc = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'metrics')}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`Pushgateway on port ${port}`, async () => (await fetch(`${url}/-/ready`)).ok);
  return {
    url,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    async stop() {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
