/**
 * The push-password script, run for real (sh, awk, curl) against a local HTTP server that
 * plays the app's API: it posts every field with the placeholders replaced literally, adds
 * the API token, fails on an HTTP error or an error status in the body, and never prints
 * the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { findObject, requirePrograms } from '@db/core/testing';
import { everyToCron, pushPasswordScript } from '../src/push-password.ts';
import { render } from './helpers.ts';

const programs = requirePrograms('push-password script test', ['sh', 'awk', 'curl'], 'apt-get install curl');

interface Received {
  readonly fields: URLSearchParams;
  readonly contentType: string;
}

describe.skipIf(!programs.available)('push-password script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'push-password-'));
  let server: Server;
  let port = 0;
  const received: Received[] = [];
  let answer: { status: number; body: string } = { status: 200, body: '{"status":"ok"}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ fields: new URLSearchParams(body), contentType: String(req.headers['content-type']) });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as { port: number }).port;
    writeFileSync(join(dir, 'push-password.sh'), pushPasswordScript());
    writeFileSync(join(dir, 'token'), 'api-token-123\n');
  });
  afterAll(async () => {
    await new Promise((ok) => server.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the fields of the rendered ConfigMap (or given ones) and runs the script. */
  const push = (fields: Record<string, string>, env: Record<string, string> = {}) => {
    const fieldsDir = join(dir, `fields-${received.length}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(fieldsDir);
    for (const [k, v] of Object.entries(fields)) writeFileSync(join(fieldsDir, k), v);
    const work = join(dir, 'tmp');
    mkdirSync(work, { recursive: true });
    // Asynchronous: the HTTP server answering the script runs in this process.
    const child = spawn('sh', [join(dir, 'push-password.sh')], {
      env: {
        PATH: process.env.PATH,
        TMPDIR: work,
        PUSH_URL: `http://127.0.0.1:${port}/api/apps/config/set`,
        FIELDS_DIR: fieldsDir,
        TOKEN_FILE: join(dir, 'token'),
        DB_HOST: 'mysql.dbaas.svc.cluster.local',
        DB_PORT: '3306',
        DB_DATABASE: 'technitium',
        DB_USERNAME: 'technitium',
        DB_PASSWORD: 'Rotated0Password0FromVault0xyzAB',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((ok) => child.on('close', (status) => ok({ status, stdout, stderr })));
  };

  const rendered = findObject(render(), 'ConfigMap', 'technitium-mysql-push-password-fields').data as Record<string, string>;

  it('posts the rendered Technitium fields with the current password and the token', async () => {
    const before = received.length;
    const r = await push(rendered);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('pushed 2 field(s) for technitium@mysql.dbaas.svc.cluster.local');
    const got = received[before]!;
    expect(got.contentType).toBe('application/x-www-form-urlencoded');
    expect(got.fields.get('name')).toBe('Query Logs (MySQL)');
    expect(got.fields.get('token')).toBe('api-token-123');
    const config = JSON.parse(got.fields.get('config')!);
    expect(config.connectionString).toBe('Server=mysql.dbaas.svc.cluster.local; Port=3306; Uid=technitium; Pwd=Rotated0Password0FromVault0xyzAB; Database=technitium;');
  });

  it('replaces placeholders literally: values are never expanded, patterns are kept', async () => {
    const before = received.length;
    const hostile = `${String.raw`p&a\1$HOME$(id)`}\`id\`"'%s\\n`;
    const r = await push({ raw: 'pw=${password};\nline2 ${password}${password} & \\1 ${unknown}' }, { DB_PASSWORD: hostile });
    expect(r.status).toBe(0);
    expect(received[before]!.fields.get('raw')).toBe(`pw=${hostile};\nline2 ${hostile}${hostile} & \\1 \${unknown}`);
  });

  it('never prints the password or the token', async () => {
    const r = await push(rendered);
    expect(r.stdout + r.stderr).not.toContain('Rotated0Password0FromVault0xyzAB');
    expect(r.stdout + r.stderr).not.toContain('api-token-123');
  });

  it('fails on an HTTP error, and on an error status in a 200 answer', async () => {
    answer = { status: 500, body: 'boom' };
    let r = await push(rendered, { PUSH_RETRIES: '0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('answered HTTP 500');
    answer = { status: 200, body: '{"status":"invalid-token","errorMessage":"Invalid token"}' };
    r = await push(rendered);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refused the configuration');
    answer = { status: 200, body: '{"status":"ok"}' };
  });

  it('refuses to run without the synced password, and when the API is down', async () => {
    let r = await push(rendered, { DB_PASSWORD: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DB_PASSWORD is empty');
    r = await push(rendered, { PUSH_URL: 'http://127.0.0.1:9/closed', PUSH_RETRIES: '0' });
    expect(r.status).toBe(1);
  }, 60_000);
});

describe('push schedule', () => {
  it('turns intervals into cron schedules, spread by tenant', () => {
    expect(everyToCron('15m', 'a')).toBe('*/15 * * * *');
    expect(everyToCron('6h', 'technitium')).toMatch(/^\d{1,2} \*\/6 \* \* \*$/);
    expect(everyToCron('1h', 'x')).toMatch(/^\d{1,2} \* \* \* \*$/);
    expect(everyToCron('1d', 'x')).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
    expect(everyToCron('6h', 'technitium')).toBe(everyToCron('6h', 'technitium'));
    for (const bad of ['7m', '5h', '2d', '90s', '1m']) expect(everyToCron(bad, 'x')).toBeUndefined();
  });
});
