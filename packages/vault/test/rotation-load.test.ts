/**
 * Rotation under continuous load, on real servers: a client logs in again and again with
 * whatever its credentials file holds (an app that reconnects with fresh credentials, or one
 * restarted by Reloader), while the rendered rotation statement runs and the file is updated
 * only after a delay standing for External Secrets' refresh plus the restart (15 minutes and a
 * restart in prod, scaled down to DELAY_MS here).
 *
 * - MySQL: the rendered statement keeps the current password (RETAIN CURRENT PASSWORD, MySQL
 *   8.0.14+). Debian has no MySQL server, so MariaDB 10.11 runs it through the stand-in of
 *   @db/core/testing (two authentication methods, old and new): zero failed logins. The plain
 *   statement (what was rendered before) fails every login until the file catches up.
 * - PostgreSQL has no dual passwords: the old password dies at once, so new logins fail for the
 *   whole delay. The test measures that window; it is the refresh interval plus the restart.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PrivateMariaDb, requirePrograms, startPostgres, type PostgresServer } from '@db/core/testing';
import { mysqlCredentials } from '@db/mysql';
import { postgresCredentials } from '@db/postgres';
import { model } from './helpers.ts';

const exec = promisify(execFile);
const myPrograms = requirePrograms('MySQL rotation under load (MariaDB)', ['mariadbd', 'mariadb-install-db', 'mysql'], 'apt-get install mariadb-server mariadb-client');
const pgPrograms = requirePrograms('PostgreSQL rotation under load', ['psql'], 'apt-get install postgresql');
const m = model();
const DELAY_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), 'db-rotation-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stats {
  logins: number;
  failed: number;
  firstFail: number;
  lastFail: number;
}

/** Logs in with the password in `file`, again and again, until stopped. */
function reconnectingClient(file: string, login: (password: string) => Promise<void>) {
  let stopped = false;
  const stats: Stats = { logins: 0, failed: 0, firstFail: 0, lastFail: 0 };
  const done = (async () => {
    while (!stopped) {
      const password = readFileSync(file, 'utf8').trim();
      try {
        await login(password);
      } catch {
        stats.failed++;
        stats.firstFail ||= Date.now();
        stats.lastFail = Date.now();
      }
      stats.logins++;
    }
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** Rotates with `rotate(next)`, updates the file DELAY_MS later, and returns the client's counts. */
async function rotateUnderLoad(file: string, login: (pw: string) => Promise<void>, rotate: (next: string) => Promise<void>, next: string): Promise<Stats & { rotatedAt: number }> {
  const client = reconnectingClient(file, login);
  await sleep(500);
  const rotatedAt = Date.now();
  await rotate(next);
  await sleep(DELAY_MS);
  writeFileSync(file, next);
  await sleep(500);
  await client.stop();
  return { ...client.stats, rotatedAt };
}

const vaultTemplate = (statements: readonly string[], values: Record<string, string>) => statements.map((s) => s.replace(/\{\{(name|username|password)\}\}/g, (_, k: string) => values[k]!)).join('\n');

describe.skipIf(!myPrograms.available)('MySQL rotation under load (MariaDB standing in for MySQL 8.4)', () => {
  const db = new PrivateMariaDb();
  afterAll(() => db.stop(), 30_000);

  it('RETAIN CURRENT PASSWORD: zero failed logins; the plain statement fails for the whole delay', async () => {
    await db.start();
    db.root("CREATE USER 'vault'@'%' IDENTIFIED BY 'VaultPassw0rd1'; GRANT CREATE USER ON *.* TO 'vault'@'%'; CREATE USER 'speedtest'@'%' IDENTIFIED BY 'Passw0rd0';");
    const standIn = db.installRetainCurrentPassword("'vault'@'%'");
    const rendered = mysqlCredentials(m).connection.rotationStatements;
    expect(rendered).toEqual([`ALTER USER '{{name}}'@'%' IDENTIFIED BY '{{password}}' RETAIN CURRENT PASSWORD;`]);
    const asVault = (sql: string) => exec('mysql', ['--no-defaults', '--protocol=TCP', '-h127.0.0.1', `-P${db.port}`, '-uvault', '-pVaultPassw0rd1', '-e', sql]);
    const login = async (pw: string) => {
      await exec('mysql', ['--no-defaults', '--protocol=TCP', '-h127.0.0.1', `-P${db.port}`, '-uspeedtest', `-p${pw}`, '--connect-timeout=5', '-e', 'SELECT 1']);
    };
    const file = join(dir, 'speedtest');
    writeFileSync(file, 'Passw0rd0');

    const retained = await rotateUnderLoad(file, login, (next) => asVault(standIn(vaultTemplate(rendered, { name: 'speedtest', password: next }))).then(() => undefined), 'Passw0rd1');
    console.log(`MySQL (MariaDB stand-in) RETAIN CURRENT PASSWORD, file updated ${DELAY_MS} ms after the rotation: ${retained.logins} logins, ${retained.failed} failed`);
    expect(retained.logins).toBeGreaterThan(30);
    expect(retained.failed).toBe(0);

    const plain = await rotateUnderLoad(file, login, (next) => asVault(`ALTER USER 'speedtest'@'%' IDENTIFIED BY '${next}';`).then(() => undefined), 'Passw0rd2');
    console.log(
      `MySQL plain ALTER USER (before): ${plain.logins} logins, ${plain.failed} failed over ${plain.lastFail - plain.firstFail} ms, from ${plain.firstFail - plain.rotatedAt} ms after the rotation`,
    );
    expect(plain.failed).toBeGreaterThan(5);
    expect(plain.lastFail - plain.firstFail).toBeGreaterThan(DELAY_MS * 0.6);
  }, 120_000);
});

describe.skipIf(!pgPrograms.available)('PostgreSQL rotation under load: the failing window', () => {
  let pg: PostgresServer | undefined;
  afterAll(async () => {
    await pg?.stop();
  }, 30_000);

  it('the old password dies at once: new logins fail until the app holds the new one (measured)', async () => {
    pg = await startPostgres();
    pg.sql("CREATE ROLE linkwarden LOGIN PASSWORD 'Passw0rd0'");
    const rendered = postgresCredentials(m).connection.rotationStatements;
    const login = async (pw: string) => {
      await exec(join(pg!.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(pg!.port), '-U', 'linkwarden', '-d', 'postgres', '-X', '-q', '-At', '-c', 'SELECT 1'], {
        env: { ...process.env, PGPASSWORD: pw, PGCONNECT_TIMEOUT: '5' },
      });
    };
    const file = join(dir, 'linkwarden');
    writeFileSync(file, 'Passw0rd0');
    const r = await rotateUnderLoad(file, login, async (next) => void pg!.sql(vaultTemplate(rendered, { name: 'linkwarden', password: next })), 'Passw0rd1');
    const window = r.lastFail - r.firstFail;
    console.log(
      `PostgreSQL ${rendered.join(' ')}: file updated ${DELAY_MS} ms after the rotation: ${r.logins} logins, ${r.failed} failed, failing from ${r.firstFail - r.rotatedAt} ms to ${r.lastFail - r.rotatedAt} ms after it (window ${window} ms ≈ the delay: in prod the refresh interval plus the restart)`,
    );
    expect(r.failed).toBeGreaterThan(5);
    expect(window).toBeGreaterThan(DELAY_MS * 0.6);
    expect(window).toBeLessThan(DELAY_MS + 1000);
  }, 120_000);
});
