/**
 * The exact statements the rendered static roles and connections hand to Vault, run the
 * way Vault runs them (its `{{name}}`, `{{username}}`, `{{password}}` templating) against
 * real servers: PostgreSQL (Debian) with the roles and host rules CNPG would apply from
 * the rendered Cluster, and MariaDB (Debian) provisioned by the rendered provisioning SQL.
 * After a rotation the tenant logs in with the new password only, and still reaches only
 * its own database; Vault's own login rotates the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findObject, PrivateMariaDb, requirePrograms, run, startPostgres, type PostgresServer } from '@db/core/testing';
import { hbaRules, postgresCredentials, postgresEngine, resolvePostgres } from '@db/postgres';
import { mysqlCredentials, mysqlEngine, provisioningScript, provisioningSql, resolveMysql } from '@db/mysql';
import { synthEngine } from '@db/core/testing';
import type { K8sObject } from '@db/core';
import { model, render } from './helpers.ts';

const pgPrograms = requirePrograms('Vault rotation statements on a real PostgreSQL', ['psql'], 'apt-get install postgresql');
const myPrograms = requirePrograms('Vault rotation statements on a real MariaDB', ['mariadbd', 'mariadb-install-db', 'mysql', 'bash'], 'apt-get install mariadb-server mariadb-client');

const m = model();
const objects = render(m);
const staticRole = (name: string) => findObject(objects, 'DatabaseSecretEngineStaticRole', name);
const connection = (name: string) => findObject(objects, 'DatabaseSecretEngineConfig', name);

/** A password as the rendered password policy makes them: 32 of [A-Za-z0-9], each class present. */
function policyPassword(): string {
  const classes = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'];
  const all = classes.join('');
  const chars = classes.map((c) => c[randomInt(c.length)]!);
  while (chars.length < 32) chars.push(all[randomInt(all.length)]!);
  return chars.join('');
}

/** What rotation reads of a rendered static role. */
interface StaticRole {
  readonly username: string;
  readonly rotationStatements: readonly string[];
}

/** Vault's statement templating. */
function template(statements: readonly string[], values: Record<string, string>): string {
  return statements.map((s) => s.replace(/\{\{(name|username|password)\}\}/g, (_, k: string) => values[k]!)).join('\n');
}

describe.skipIf(!pgPrograms.available)('PostgreSQL: rotation statements Vault runs', () => {
  let pg: PostgresServer;
  const cnpg = resolvePostgres(m);
  const cluster = findObject(synthEngine(postgresEngine, m), 'Cluster', cnpg.name);
  const vaultRoot = { user: 'vault', password: policyPassword() };

  const psqlAs = (user: string, password: string, database: string, sql: string): string =>
    run(join(pg.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-At', '-c', sql], {
      env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
    });
  /** Vault rotating a static role's login to `password`: the role's statements, run as Vault's own login. */
  const rotate = (role: StaticRole, password: string) => psqlAs(vaultRoot.user, vaultRoot.password, 'postgres', template(role.rotationStatements, { name: role.username, password }));

  beforeAll(async () => {
    pg = await startPostgres();
    // What CNPG applies from the rendered Cluster: the managed roles (tenants without a
    // password, Vault's login as declared) and the tenants' databases, and the host rules.
    const roles = cluster.spec.managed.roles as { name: string; login?: boolean; superuser?: boolean }[];
    for (const r of roles) {
      pg.sql(`CREATE ROLE "${r.name}" ${r.login ? 'LOGIN' : 'NOLOGIN'} ${r.superuser ? 'SUPERUSER' : 'NOSUPERUSER'}`);
    }
    for (const t of cnpg.tenants) pg.sql(`CREATE DATABASE "${t.database}" OWNER "${t.role}"`);
    // Bootstrap (README): an admin sets Vault's first password and stores it in the root Secret.
    pg.sql(`ALTER ROLE vault PASSWORD '${vaultRoot.password}'`);
    const hbaFile = pg.sql('SHOW hba_file').trim();
    const original = run('cat', [hbaFile]);
    writeFileSync(hbaFile, `local all postgres trust\n${(cluster.spec.postgresql.pg_hba as string[]).join('\n')}\n${original}`);
    pg.sql('SELECT pg_reload_conf()');
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it('renders the managed role Vault logs in as, and host rules that match the model', () => {
    expect(cluster.spec.managed.roles).toContainEqual(expect.objectContaining({ name: 'vault', login: true, superuser: true }));
    expect(cluster.spec.managed.roles.find((r: { name: string }) => r.name === 'vault').passwordSecret).toBeUndefined();
    expect(cluster.spec.postgresql.pg_hba).toEqual(hbaRules(cnpg));
    expect(connection(cnpg.name).spec.username).toBe('vault');
  });

  it('rotates a tenant: the new password works, the old one fails, other databases stay closed', () => {
    const role = staticRole('postgres-linkwarden').spec;
    expect(role.username).toBe('linkwarden');
    const first = policyPassword();
    rotate(role, first);
    expect(psqlAs('linkwarden', first, 'linkwarden', 'SELECT current_user').trim()).toBe('linkwarden');
    psqlAs('linkwarden', first, 'linkwarden', 'CREATE TABLE links (id int PRIMARY KEY, url text); INSERT INTO links VALUES (1, $$https://example.com$$)');

    const second = policyPassword();
    rotate(role, second);
    expect(() => psqlAs('linkwarden', first, 'linkwarden', 'SELECT 1')).toThrow(/password authentication failed/);
    expect(psqlAs('linkwarden', second, 'linkwarden', 'SELECT count(*) FROM links').trim()).toBe('1');

    // Only its own database: every other one is refused by the host rules.
    for (const other of ['health', 'authentik', 'postgres']) {
      expect(() => psqlAs('linkwarden', second, other, 'SELECT 1')).toThrow(/pg_hba\.conf rejects connection|no pg_hba\.conf entry/);
    }
  });

  it('rotates another tenant independently', () => {
    const role = staticRole('postgres-apple-health-data').spec;
    expect(role.username).toBe('health');
    const pw = policyPassword();
    rotate(role, pw);
    expect(psqlAs('health', pw, 'health', 'SELECT current_database()').trim()).toBe('health');
    expect(() => psqlAs('health', pw, 'linkwarden', 'SELECT 1')).toThrow(/rejects connection|no pg_hba\.conf entry/);
  });

  it("rotates Vault's own login (rotate-root): the bootstrap password dies", () => {
    // Vault's plugin default (the connection does not send it: see src/operator-contract.ts).
    const root = { ...connection(cnpg.name).spec, rootRotationStatements: postgresCredentials(m).connection.rootRotationStatements };
    const next = policyPassword();
    psqlAs(vaultRoot.user, vaultRoot.password, 'postgres', template(root.rootRotationStatements, { username: root.username, password: next }));
    expect(() => psqlAs('vault', vaultRoot.password, 'postgres', 'SELECT 1')).toThrow(/password authentication failed/);
    expect(psqlAs('vault', next, 'postgres', 'SELECT current_user').trim()).toBe('vault');
    vaultRoot.password = next;
  });

  it('has no static role for an excluded tenant', () => {
    expect(objects.filter((o) => o.kind === 'DatabaseSecretEngineStaticRole').map((o) => o.spec.username)).not.toContain('authentik');
  });
});

describe.skipIf(!myPrograms.available)('MySQL: rotation statements Vault runs (MariaDB)', () => {
  const db = new PrivateMariaDb();
  const my = resolveMysql(m);
  const vaultRoot = { user: 'vault', password: policyPassword() };
  /** Vault rotating a static role's login to `password`: the role's statements, run as Vault's own login. */
  // MariaDB stands in for MySQL 8.4: its RETAIN CURRENT PASSWORD emulation (@db/core/testing).
  let standIn = (sql: string) => sql;
  const rotate = (role: StaticRole, password: string) => db.as(vaultRoot.user, vaultRoot.password, standIn(template(role.rotationStatements, { name: role.username, password })));

  beforeAll(async () => {
    await db.start();
    // The rendered provisioning SQL: tenants, and Vault's login with CREATE USER only.
    const rendered = findObject(synthEngine(mysqlEngine, m), 'ConfigMap', `${my.name}-provisioning`);
    expect(rendered.data['provision.sql']).toBe(provisioningSql(my, m.cluster));
    db.prepareProvisioning({ script: provisioningScript(), sql: rendered.data['provision.sql'] })();
    // Bootstrap (README): an admin sets Vault's first password.
    db.root(`ALTER USER 'vault'@'%' IDENTIFIED BY '${vaultRoot.password}'`);
    standIn = db.installRetainCurrentPassword("'vault'@'%'");
    appendFileSync(join(db.work, 'done'), 'provisioned\n');
  }, 90_000);
  afterAll(async () => {
    await db.stop();
  }, 30_000);

  it("gives Vault's login the one privilege rotation needs", () => {
    expect(db.root("SHOW GRANTS FOR 'vault'@'%'")).toMatch(/GRANT CREATE USER ON \*\.\* TO `vault`@`%`/);
    // db_platform_test holds the test's RETAIN CURRENT PASSWORD stand-in, which Vault's login may call.
    expect(
      db
        .as('vault', vaultRoot.password, 'SHOW DATABASES')
        .trim()
        .split('\n')
        .filter((d) => d !== 'db_platform_test')
        .sort(),
    ).toEqual(['information_schema']);
  });

  it('rotates a tenant: the new password works, the one before stays valid until the next rotation (RETAIN CURRENT PASSWORD), it still sees only its database', () => {
    const role = staticRole('mysql-speedtest').spec;
    expect(role.username).toBe('speedtest');
    expect(role.rotationPeriod).toBe(604800);
    const first = policyPassword();
    rotate(role, first);
    expect(db.as('speedtest', first, 'SELECT CURRENT_USER()').trim()).toBe('speedtest@%');
    const second = policyPassword();
    rotate(role, second);
    expect(db.as('speedtest', first, 'SELECT 1').trim()).toBe('1');
    const third = policyPassword();
    rotate(role, third);
    expect(() => db.as('speedtest', first, 'SELECT 1')).toThrow(/Access denied/);
    expect(db.as('speedtest', second, 'SELECT 1').trim()).toBe('1');
    rotate(role, second);
    expect(db.as('speedtest', second, 'SHOW DATABASES').trim().split('\n').sort()).toEqual(['information_schema', 'speedtest']);
    expect(() => db.as('speedtest', second, 'SELECT * FROM wrongmove.t')).toThrow(/denied/i);
  });

  it("honours a tenant's own rotation period", () => {
    const role = staticRole('mysql-wrongmove').spec;
    expect(role.rotationPeriod).toBe(3 * 86400);
    const pw = policyPassword();
    rotate(role, pw);
    expect(db.as('wrongmove', pw, 'SHOW DATABASES').trim().split('\n').sort()).toEqual(['information_schema', 'wrongmove']);
  });

  it("rotates Vault's own login (rotate-root): the bootstrap password dies", () => {
    // Vault's plugin default (the connection does not send it: see src/operator-contract.ts).
    const root = { ...connection(my.name).spec, rootRotationStatements: mysqlCredentials(m).connection.rootRotationStatements };
    const next = policyPassword();
    db.as(vaultRoot.user, vaultRoot.password, template(root.rootRotationStatements, { username: root.username, password: next }));
    expect(() => db.as('vault', vaultRoot.password, 'SELECT 1')).toThrow(/Access denied/);
    expect(db.as('vault', next, 'SELECT CURRENT_USER()').trim()).toBe('vault@%');
  });

  it('points Vault at the primary, never at a pooler', () => {
    expect(connection(my.name).spec.connectionURL).toBe(`{{username}}:{{password}}@tcp(${my.host}:3306)/`);
    const pgUrl = connection(resolvePostgres(m).name).spec.connectionURL as string;
    expect(pgUrl).toContain('@pg-cluster-rw.dbaas.svc.cluster.local:5432/');
    expect(pgUrl).not.toContain('pgbouncer');
  });
});

export type { K8sObject };
