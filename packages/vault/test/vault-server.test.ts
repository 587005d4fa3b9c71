/**
 * The rotation chain for real: a real Vault (`vault server -dev`, built by
 * scripts/install-go-tools.sh from tools/vault/) configured from OUR rendered objects, written the
 * way vault-config-operator 0.8.52 writes them (src/operator-contract.ts `operatorWrites`, each
 * write citing the operator's source), against real PostgreSQL and MariaDB. Vault connects with
 * the bootstrap login, rotates its own password away, sets and rotates the tenants' passwords with
 * the rendered statements and the rendered password policy.
 *
 * What differs from a cluster, and only that: the connection URLs point at the test servers on
 * loopback instead of the cluster Services (same scheme, options and `sslmode=require`), and on
 * MariaDB, which lacks MySQL 8.4's `RETAIN CURRENT PASSWORD`, the rendered statement goes through
 * the harness's stand-in (`installRetainCurrentPassword`); the test first shows MariaDB refusing
 * the rendered statement as Vault runs it. Kubernetes auth against a real API server is in
 * packages/control-plane/test/vault-auth.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCrdVersions, type K8sObject } from '@db/core';
import { enablePostgresTls, findObject, PrivateMariaDb, requirePrograms, run, startPostgres, startVault, synthEngine, type PostgresServer, type VaultServer } from '@db/core/testing';
import { postgresEngine, resolvePostgres } from '@db/postgres';
import { mysqlEngine, provisioningScript, resolveMysql } from '@db/mysql';
import { operatorFindsEqual, operatorPayload, operatorWrites, vaultReadBack, withCrdDefaults, type OperatorWrite } from '../src/operator-contract.ts';
import { model, render } from './helpers.ts';

const programs = requirePrograms(
  'the rotation chain on a real Vault',
  ['vault', 'psql', 'openssl', 'mariadbd', 'mariadb-install-db', 'mysql'],
  'scripts/install-go-tools.sh builds vault; apt-get install postgresql mariadb-server mariadb-client openssl',
);

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const m = model();
const pgModel = resolvePostgres(m);
const myModel = resolveMysql(m);
const VAULT_NS = 'vault';

/** The rendered objects as the API server stores them (CRD defaults filled in), which is what the operator reads. */
const crds = loadCrdVersions(join(REPO, 'schemas/crds'));
const stored = (o: K8sObject): K8sObject => {
  const crd = crds.find((c) => c.group === o.apiVersion.split('/')[0] && c.version === o.apiVersion.split('/')[1] && c.kind === o.kind);
  if (!crd) throw new Error(`no pinned CRD for ${o.apiVersion} ${o.kind}`);
  return withCrdDefaults(o, crd.schema as never);
};
const objects = render(m).map((o) => (o.apiVersion.startsWith('redhatcop.redhat.io/') ? stored(o) : o));
const one = (kind: string, name: string) => findObject(objects, kind, name);
const connections = objects.filter((o) => o.kind === 'DatabaseSecretEngineConfig');
const pgConnection = one('DatabaseSecretEngineConfig', pgModel.name);
const myConnection = one('DatabaseSecretEngineConfig', myModel.name);
const staticRole = (name: string) => one('DatabaseSecretEngineStaticRole', name);

/** The cluster Service of a rendered connection URL, replaced by the test server on loopback. */
function toLoopback(body: Record<string, unknown>, port: number): Record<string, unknown> {
  const url = body.connection_url as string;
  const local = url.replace(/[a-z0-9-]+(\.[a-z0-9-]+)*\.svc\.cluster\.local:\d+/, `127.0.0.1:${port}`);
  if (local === url) throw new Error(`no cluster Service in ${url}`);
  return { ...body, connection_url: local };
}

const POLICY_PASSWORD = /^[A-Za-z0-9]{32}$/;
/** A login password nobody uses, of the policy's shape. */
const bootstrapPassword = () => `Boot${execFileSync('openssl', ['rand', '-hex', '14'], { encoding: 'utf8' }).trim()}`;

describe.skipIf(!programs.available)('the rotation chain on a real Vault, configured from our rendered objects', () => {
  let vault: VaultServer;
  let pg: PostgresServer;
  const db = new PrivateMariaDb();
  const boot = { postgres: bootstrapPassword(), mysql: bootstrapPassword() };
  /** MariaDB's translation of the rendered RETAIN CURRENT PASSWORD statement (@db/core/testing). */
  let standIn = (sql: string) => sql;
  /** Every write made, in order, with the operator's source lines. */
  const writes: OperatorWrite[] = [];

  const write = async (w: OperatorWrite, body = w.body) => {
    writes.push(w);
    // A nil payload (rotate-root) goes as JSON `null`: Vault takes it as no data.
    return vault.ok('PUT', w.path, body);
  };
  const psqlAs = (user: string, password: string, database: string, sql: string): string =>
    run(join(pg.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-At', '-c', sql], {
      env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5', PGSSLMODE: 'require' },
    });
  const creds = async (role: string): Promise<{ username: string; password: string; rotation_period: number }> => (await vault.ok('GET', `database/static-creds/${role}`)).data;

  beforeAll(async () => {
    [vault, pg] = await Promise.all([startVault(), startPostgres(), db.start()]).then(([v, p]) => [v, p] as const);

    enablePostgresTls(pg);
    // What CNPG applies from the rendered Cluster: the managed roles (tenants without a
    // password, Vault's login as declared), the tenants' databases and the host rules.
    const cluster = findObject(synthEngine(postgresEngine, m), 'Cluster', pgModel.name);
    for (const r of cluster.spec.managed.roles as { name: string; login?: boolean; superuser?: boolean }[]) {
      pg.sql(`CREATE ROLE "${r.name}" ${r.login ? 'LOGIN' : 'NOLOGIN'} ${r.superuser ? 'SUPERUSER' : 'NOSUPERUSER'}`);
    }
    for (const t of pgModel.tenants) pg.sql(`CREATE DATABASE "${t.database}" OWNER "${t.role}"`);
    const hbaFile = pg.sql('SHOW hba_file').trim();
    writeFileSync(hbaFile, `local all postgres trust\n${(cluster.spec.postgresql.pg_hba as string[]).join('\n')}\n${run('cat', [hbaFile])}`);
    pg.sql('SELECT pg_reload_conf()');
    // Bootstrap step 2 (README): an admin gives Vault's login its first password.
    pg.sql(`ALTER ROLE vault PASSWORD '${boot.postgres}'`);

    // MariaDB provisioned by the rendered provisioning SQL (tenants; Vault's login with CREATE USER only).
    const provisioning = findObject(synthEngine(mysqlEngine, m), 'ConfigMap', `${myModel.name}-provisioning`);
    db.prepareProvisioning({ script: provisioningScript(), sql: provisioning.data['provision.sql'] })();
    db.root(`ALTER USER 'vault'@'%' IDENTIFIED BY '${boot.mysql}'`);
    standIn = db.installRetainCurrentPassword("'vault'@'%'");

    // Bootstrap step 1 (README): Kubernetes auth enabled at `kubernetes`; the tenant policy's
    // `${auth/kubernetes/@accessor}` is resolved from it.
    await vault.ok('POST', 'sys/auth/kubernetes', { type: 'kubernetes' });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([vault?.stop(), pg?.stop(), db.stop()]);
  }, 30_000);

  it('mounts the database engine and stores the password policy as rendered; the policy makes 32 of [A-Za-z0-9]', async () => {
    const [mount] = operatorWrites(one('SecretEngineMount', 'database'));
    expect(mount!.path).toBe('sys/mounts/database');
    await write(mount!);
    const mounts = await vault.ok('GET', 'sys/mounts');
    expect(mounts.data['database/']).toMatchObject({ type: 'database', description: one('SecretEngineMount', 'database').spec.description });
    // The operator's next reconcile finds it mounted and tunes it with the same config.
    const [tune] = operatorWrites(one('SecretEngineMount', 'database'), { mounted: true });
    await write(tune!);

    const [policy] = operatorWrites(one('PasswordPolicy', 'db-platform'));
    expect(policy!.path).toBe('sys/policies/password/db-platform');
    await write(policy!);
    const generated = await Promise.all(Array.from({ length: 20 }, async () => (await vault.ok('GET', 'sys/policies/password/db-platform/generate')).data.password as string));
    for (const p of generated) expect(p).toMatch(POLICY_PASSWORD);
    expect(new Set(generated).size).toBe(20);
  });

  it('refuses a connection whose password the server rejects (verify_connection is real), then accepts each rendered connection with the bootstrap login', async () => {
    for (const c of connections) expect(c.spec.verifyConnection).toBe(true);
    const [pgWrite] = operatorWrites(pgConnection, { secret: () => ({ username: 'vault', password: 'not-the-password' }) });
    const refused = await vault.request('PUT', pgWrite!.path, toLoopback(pgWrite!.body!, pg.port));
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body.errors)).toMatch(/password authentication failed/);

    for (const [c, port, password] of [
      [pgConnection, pg.port, boot.postgres],
      [myConnection, db.port, boot.mysql],
    ] as const) {
      const [config] = operatorWrites(c, { secret: (ns, name): Record<string, string> => (ns === VAULT_NS && name === c.spec.rootCredentials.secret.name ? { username: 'vault', password } : {}) });
      expect(config!.path).toBe(`database/config/${c.metadata.name}`);
      expect(config!.body).toMatchObject({ verify_connection: true, username: 'vault', password, allowed_roles: c.spec.allowedRoles, password_policy: 'db-platform' });
      await write(config!, toLoopback(config!.body!, port));
    }
  });

  it("rotates Vault's own password (rotate-root, the operator's first reconcile): the bootstrap password stops working, Vault still works", async () => {
    for (const c of connections) {
      const rotate = operatorWrites(c, { secret: () => ({ password: 'x' }) })[1];
      expect(rotate!.path).toBe(`database/rotate-root/${c.metadata.name}`);
      await write(rotate!);
    }
    expect(() => psqlAs('vault', boot.postgres, 'postgres', 'SELECT 1')).toThrow(/password authentication failed/);
    expect(() => db.as('vault', boot.mysql, 'SELECT 1')).toThrow(/Access denied/);
    // Vault still reaches both servers with the password only it knows.
    for (const c of connections) await vault.ok('POST', `database/reset/${c.metadata.name}`);
  });

  it('reads each connection back so that the operator finds it unchanged and never writes the dead bootstrap password again (operator-contract.ts, issue #339)', async () => {
    for (const [c, password] of [
      [pgConnection, boot.postgres],
      [myConnection, boot.mysql],
    ] as const) {
      const current = (await vault.ok('GET', `database/config/${c.metadata.name}`)).data;
      // What the operator compares: its payload (with the bootstrap password it re-reads), URL as stored.
      const desired = operatorPayload(c.spec, password);
      desired.connection_url = current.connection_details.connection_url;
      expect(operatorFindsEqual(desired, current, true), `${c.metadata.name}: ${JSON.stringify(current)}`).toBe(true);
      // The contract's model of Vault's read-back (vaultReadBack) is what Vault returns.
      expect(current).toMatchObject(vaultReadBack(desired) as Record<string, unknown>);
      expect(current.connection_details).not.toHaveProperty('password');
    }
  });

  it('PostgreSQL: Vault sets a static role password that logs in; rotate-role gives a new one that logs in while the old one fails', async () => {
    const role = staticRole('postgres-linkwarden');
    const [w] = operatorWrites(role);
    expect(w!.path).toBe(`database/static-roles/${role.spec.name}`);
    expect(w!.body).toMatchObject({
      db_name: pgModel.name,
      username: 'linkwarden',
      rotation_period: 604800,
      rotation_statements: role.spec.rotationStatements,
      credential_config: { password_policy: 'db-platform' },
    });
    await write(w!);
    // Stored as rendered: the weekly period, the statements, the password policy.
    expect((await vault.ok('GET', w!.path)).data).toMatchObject({
      db_name: pgModel.name,
      username: 'linkwarden',
      rotation_period: 604800,
      rotation_statements: role.spec.rotationStatements,
      credential_type: 'password',
      credential_config: { password_policy: 'db-platform' },
    });
    const first = await creds(role.spec.name);
    expect(first.username).toBe('linkwarden');
    expect(first.rotation_period).toBe(604800);
    expect(first.password).toMatch(POLICY_PASSWORD);
    expect(psqlAs('linkwarden', first.password, 'linkwarden', 'SELECT current_user').trim()).toBe('linkwarden');

    await vault.ok('POST', `database/rotate-role/${role.spec.name}`);
    const second = await creds(role.spec.name);
    expect(second.password).toMatch(POLICY_PASSWORD);
    expect(second.password).not.toBe(first.password);
    expect(psqlAs('linkwarden', second.password, 'linkwarden', 'SELECT current_user').trim()).toBe('linkwarden');
    expect(() => psqlAs('linkwarden', first.password, 'linkwarden', 'SELECT 1')).toThrow(/password authentication failed/);
    // Still only its own database (the rendered host rules).
    expect(() => psqlAs('linkwarden', second.password, 'health', 'SELECT 1')).toThrow(/rejects connection|no pg_hba\.conf entry/);
  });

  it("PostgreSQL: refuses a static role outside the connection's allowed roles", async () => {
    const role = staticRole('postgres-apple-health-data');
    const [w] = operatorWrites(role);
    const renamed = { ...w!, path: w!.path.replace('_postgres_', '_pg_') };
    const refused = await vault.request('PUT', renamed.path, renamed.body);
    // Vault 1.21.4 answers a refused static role with 500, not 400.
    expect(refused.status).toBe(500);
    expect(JSON.stringify(refused.body.errors)).toMatch(/"apple-health-data_pg_health\\" is not an allowed role/);
    await write(w!);
    const c = await creds(role.spec.name);
    expect(psqlAs('health', c.password, 'health', 'SELECT current_database()').trim()).toBe('health');
  });

  it('MariaDB refuses the rendered RETAIN CURRENT PASSWORD statement as Vault runs it (why the stand-in is needed)', async () => {
    const role = staticRole('mysql-wrongmove');
    const [w] = operatorWrites(role);
    expect(w!.body!.rotation_statements).toEqual([`ALTER USER '{{name}}'@'%' IDENTIFIED BY '{{password}}' RETAIN CURRENT PASSWORD;`]);
    const refused = await vault.request('PUT', w!.path, w!.body);
    expect(refused.status).toBe(500);
    expect(JSON.stringify(refused.body.errors)).toMatch(/failed to change password: Error 1064 .* near 'RETAIN CURRENT PASSWORD'/);
    // Not stored: Vault keeps a static role only once its first rotation worked.
    expect((await vault.request('GET', w!.path)).status).toBe(404);
  });

  it('MariaDB (standing in for MySQL 8.4): Vault sets the password, and after rotate-role the previous one still logs in until the next rotation', async () => {
    const role = staticRole('mysql-speedtest');
    const [w] = operatorWrites(role);
    const statements = (w!.body!.rotation_statements as string[]).map(standIn);
    expect(statements).toEqual([`CALL db_platform_test.retain_current_password('{{name}}', '%', '{{password}}');`]);
    await write(w!, { ...w!.body, rotation_statements: statements });
    const first = await creds(role.spec.name);
    expect(first).toMatchObject({ username: 'speedtest' });
    expect(first.password).toMatch(POLICY_PASSWORD);
    expect(db.as('speedtest', first.password, 'SELECT CURRENT_USER()').trim()).toBe('speedtest@%');

    await vault.ok('POST', `database/rotate-role/${role.spec.name}`);
    const second = await creds(role.spec.name);
    expect(second.password).not.toBe(first.password);
    expect(db.as('speedtest', second.password, 'SELECT 1').trim()).toBe('1');
    expect(db.as('speedtest', first.password, 'SELECT 1').trim()).toBe('1');

    await vault.ok('POST', `database/rotate-role/${role.spec.name}`);
    const third = await creds(role.spec.name);
    expect(db.as('speedtest', third.password, 'SELECT 1').trim()).toBe('1');
    expect(db.as('speedtest', second.password, 'SELECT 1').trim()).toBe('1');
    expect(() => db.as('speedtest', first.password, 'SELECT 1')).toThrow(/Access denied/);
    expect(db.as('speedtest', third.password, 'SHOW DATABASES').trim().split('\n').sort()).toEqual(['information_schema', 'speedtest']);
  });

  it('stores the tenant policy with the auth accessor resolved, and the tenant auth role as rendered', async () => {
    const accessor = (await vault.ok('GET', 'sys/auth')).data['kubernetes/'].accessor as string;
    const [policy] = operatorWrites(one('Policy', 'db-tenant-static-creds'), { authAccessors: { 'kubernetes/': accessor } });
    expect(policy!.path).toBe('sys/policies/acl/db-tenant-static-creds');
    expect(policy!.body!.policy).toContain(`{{identity.entity.aliases.${accessor}.metadata.service_account_namespace}}`);
    await write(policy!);
    const [role] = operatorWrites(one('KubernetesAuthEngineRole', 'db-tenant-credentials'));
    expect(role!.path).toBe('auth/kubernetes/role/db-tenant-credentials');
    expect(role!.body).toMatchObject({
      alias_name_source: 'serviceaccount_uid',
      token_type: 'default',
      token_policies: ['db-tenant-static-creds'],
      bound_service_account_names: ['vault-db-credentials'],
    });
    await write(role!);
    const stored = (await vault.ok('GET', 'auth/kubernetes/role/db-tenant-credentials')).data;
    expect(stored).toMatchObject({ bound_service_account_namespaces: role!.body!.bound_service_account_namespaces, token_policies: ['db-tenant-static-creds'], token_ttl: 600, token_max_ttl: 900 });
  });

  it('cites the operator source for every write it made', () => {
    expect(writes.length).toBeGreaterThan(8);
    for (const w of writes) expect(w.source).toMatch(/\.go:\d+/);
  });
});
