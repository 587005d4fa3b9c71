/**
 * A real Vault for tests: `vault server -dev` on 127.0.0.1:<random port>, in-memory storage, a
 * random root token, built by scripts/install-go-tools.sh (tools/vault/). Always stopped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from './programs.ts';
import { freePort, waitFor } from './servers.ts';

/** A response of Vault's HTTP API: the status and the parsed JSON body (`{}` when empty). */
export interface VaultResponse {
  readonly status: number;
  readonly body: any;
}

export interface VaultServer {
  /** http://127.0.0.1:<port> */
  readonly address: string;
  readonly rootToken: string;
  /** Vault's output so far (its log). */
  log(): string;
  /** `<method> /v1/<path>`, as `token` (default: the root token). */
  request(method: string, path: string, body?: unknown, token?: string): Promise<VaultResponse>;
  /** Like `request`, but throws with Vault's errors unless the status is 2xx. */
  ok(method: string, path: string, body?: unknown, token?: string): Promise<any>;
  stop(): Promise<void>;
}

export async function startVault(): Promise<VaultServer> {
  const bin = findProgram('vault');
  if (!bin) throw new Error('vault not found (scripts/install-go-tools.sh builds it)');
  const dir = mkdtempSync(join(tmpdir(), 'vault-test-'));
  const port = await freePort();
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  const address = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(bin, ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${rootToken}`, '-dev-no-store-token', '-log-level=warn'], {
    cwd: dir,
    // HOME: no token helper file or config outside the scratch folder; no VAULT_* from the caller.
    env: { PATH: process.env.PATH, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));

  const request = async (method: string, path: string, body?: unknown, token = rootToken): Promise<VaultResponse> => {
    const res = await fetch(`${address}/v1/${path.replace(/^\/+/, '')}`, {
      method,
      headers: { 'X-Vault-Token': token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  const ok = async (method: string, path: string, body?: unknown, token?: string) => {
    const r = await request(method, path, body, token);
    if (r.status < 200 || r.status > 299) throw new Error(`Vault ${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body.errors ?? r.body)}`);
    return r.body;
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `Vault on ${address}`,
      async () => {
        if (proc.exitCode !== null) throw new Error('exited');
        return (await request('GET', 'sys/health')).status === 200;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return { address, rootToken, log: () => log, request, ok, stop };
}
