/** A private MariaDB server for tests (Debian's MariaDB 10.11, the closest server to MySQL 8.4 available). */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './programs.ts';
import { freePort } from './servers.ts';

/**
 * The logins @db/mysql's provisioning script is given in tests: the administrator it works as
 * (created by `PrivateMariaDb.prepareProvisioning`), and the passwords it sets for the exporter
 * and the backup user.
 */
export const MARIADB_PROVISIONING = {
  admin: { user: 'admin', password: 'AdminPassw0rd.1234' },
  exporterPassword: 'ExporterPassw0rd-1234',
  backupPassword: 'BackupPassw0rd-1234',
} as const;

/** A throw-away MariaDB on 127.0.0.1:<random port>, datadir in a temp folder. */
export class PrivateMariaDb {
  readonly dir = mkdtempSync(join(tmpdir(), 'db-platform-mariadb-'));
  readonly socket = join(this.dir, 'mysqld.sock');
  /** A folder for the scripts run against the server and their files (their TMPDIR); `start` creates it. */
  readonly work = join(this.dir, 'work');
  port = 0;
  private child: ChildProcess | undefined;

  /** `serverArgs`: more mariadbd options, e.g. `--performance-schema=ON`. */
  async start({ serverArgs = [] }: { readonly serverArgs?: readonly string[] } = {}): Promise<void> {
    mkdirSync(this.work, { recursive: true });
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
        ...serverArgs,
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

  /**
   * Runs a bash script the way a Job of the platform runs it against this server: MYSQL_HOST and
   * MYSQL_PORT point here, TMPDIR is `work`, and of this process's environment only PATH is
   * passed. Returns its standard output; throws when it fails or runs over a minute.
   */
  runScript(file: string, env: Readonly<Record<string, string>>, options: { stdio?: 'pipe' } = {}): string {
    return execFileSync('bash', [file], {
      encoding: 'utf8',
      timeout: 60_000,
      ...options,
      env: { PATH: process.env.PATH, TMPDIR: this.work, MYSQL_HOST: '127.0.0.1', MYSQL_PORT: String(this.port), ...env },
    });
  }

  /**
   * Readies the started server for @db/mysql's provisioning script as its Job runs it: the
   * administrator of MARIADB_PROVISIONING (every privilege, WITH GRANT OPTION), and the script
   * and its SQL, as given, in `work`. Returns a run of the script with the inputs it documents
   * (its output; throws when it fails), to call once or more.
   */
  prepareProvisioning({ script, sql }: { readonly script: string; readonly sql: string }): () => string {
    const { admin, exporterPassword, backupPassword } = MARIADB_PROVISIONING;
    this.root(`CREATE USER '${admin.user}'@'%' IDENTIFIED BY '${admin.password}'; GRANT ALL PRIVILEGES ON *.* TO '${admin.user}'@'%' WITH GRANT OPTION;`);
    writeFileSync(join(this.work, 'provision.sql'), sql);
    writeFileSync(join(this.work, 'provision.sh'), script);
    return () =>
      this.runScript(join(this.work, 'provision.sh'), {
        MYSQL_ADMIN_USER: admin.user,
        MYSQL_ADMIN_PASSWORD: admin.password,
        EXPORTER_PASSWORD: exporterPassword,
        BACKUP_PASSWORD: backupPassword,
        PROVISION_SQL: join(this.work, 'provision.sql'),
        WAIT_SECONDS: '20',
      });
  }

  /**
   * MySQL 8.0.14+ keeps the old password next to the new one with `ALTER USER … IDENTIFIED BY
   * 'new' RETAIN CURRENT PASSWORD`; MariaDB 10.11 refuses the clause (ERROR 1064). It has the
   * same effect with two authentication methods (`IDENTIFIED VIA … USING PASSWORD('new') OR …
   * USING '<old hash>'`), so this installs a SQL SECURITY DEFINER procedure that reads the
   * current hash and sets both, lets `grantee` call it, and returns the translation of a
   * RETAIN statement into a call of it: the stand-in for MySQL 8.4 in tests.
   */
  installRetainCurrentPassword(grantee: string): (sql: string) => string {
    this.root(`CREATE DATABASE IF NOT EXISTS db_platform_test;
DELIMITER //
CREATE OR REPLACE PROCEDURE db_platform_test.retain_current_password(IN u VARCHAR(80), IN h VARCHAR(80), IN pw VARCHAR(200))
SQL SECURITY DEFINER
BEGIN
  DECLARE old VARCHAR(200);
  SELECT JSON_VALUE(Priv, '$.authentication_string') INTO old FROM mysql.global_priv WHERE User = u AND Host = h;
  SET @s = CONCAT('ALTER USER ', QUOTE(u), '@', QUOTE(h), ' IDENTIFIED VIA mysql_native_password USING PASSWORD(', QUOTE(pw), ') OR mysql_native_password USING ', QUOTE(old));
  PREPARE st FROM @s;
  EXECUTE st;
  DEALLOCATE PREPARE st;
END //
DELIMITER ;
GRANT EXECUTE ON PROCEDURE db_platform_test.retain_current_password TO ${grantee};`);
    return (sql) =>
      sql.replace(
        /ALTER USER '([^']+)'@'([^']+)' IDENTIFIED BY '([^']+)' RETAIN CURRENT PASSWORD;/g,
        (_, u: string, h: string, pw: string) => `CALL db_platform_test.retain_current_password('${u}', '${h}', '${pw}');`,
      );
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
