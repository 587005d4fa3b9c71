/** A private MariaDB server for tests (Debian's MariaDB 10.11, the closest server to MySQL 8.4 available). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './programs.ts';
import { freePort } from './servers.ts';

/** A throw-away MariaDB on 127.0.0.1:<random port>, datadir in a temp folder. */
export class PrivateMariaDb {
  readonly dir = mkdtempSync(join(tmpdir(), 'db-platform-mariadb-'));
  readonly socket = join(this.dir, 'mysqld.sock');
  port = 0;
  private child: ChildProcess | undefined;

  async start(): Promise<void> {
    const user = process.getuid?.() === 0 ? ['--user=root'] : [];
    run('mariadb-install-db', ['--no-defaults', `--datadir=${join(this.dir, 'data')}`, '--auth-root-authentication-method=socket', '--skip-test-db', ...user]);
    this.port = await freePort();
    this.child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--socket=${this.socket}`,
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
        `--log-error=${join(this.dir, 'error.log')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=64M',
        ...user,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        this.root('SELECT 1');
        return;
      } catch (err) {
        if (Date.now() > deadline || this.child.exitCode !== null) {
          const log = existsSync(join(this.dir, 'error.log')) ? readFileSync(join(this.dir, 'error.log'), 'utf8') : '';
          throw new Error(`MariaDB did not start: ${(err as Error).message}\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** SQL as root over the socket; tab-separated rows. */
  root(sql: string): string {
    return run('mysql', ['--no-defaults', `--socket=${this.socket}`, '-uroot', '--default-character-set=utf8mb4', '--batch', '--skip-column-names', '-e', sql]);
  }

  /** SQL as a user over TCP, as an app connects. */
  as(user: string, password: string, sql: string): string {
    return run('mysql', [
      '--no-defaults',
      '--protocol=TCP',
      '-h127.0.0.1',
      `-P${this.port}`,
      `-u${user}`,
      `-p${password}`,
      '--default-character-set=utf8mb4',
      '--batch',
      '--skip-column-names',
      '-e',
      sql,
    ]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
