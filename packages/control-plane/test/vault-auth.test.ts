/**
 * Vault's Kubernetes auth against a real API server, configured from the committed render of
 * the lab cluster (clusters/lab/vault, clusters/lab/secrets): the vault-config-operator objects
 * are created on the API server from the pinned CRDs (so they carry the defaults the operator
 * reads), then written to a real Vault (`vault server -dev`) as vault-config-operator 0.8.52
 * writes them (@db/vault `operatorWrites`, which cites the operator's source). ServiceAccounts
 * of tenant and platform namespaces log in with TokenRequest tokens; Vault checks them with the
 * API server's TokenReview.
 *
 * The lab's PostgreSQL connection and static roles are written too, against a real PostgreSQL
 * on loopback (the URL's host is the one change), so a tenant reads real credentials.
 *
 * What it proves: the tenant policy's identity template (`service_account_namespace`) gives each
 * namespace its own static credentials (which log in) and no other's; the generated-credentials policies let a
 * platform namespace write and read its own KV subtree only, and a tenant read only what was
 * filed for it. The database side of the chain (real PostgreSQL and MariaDB) is
 * packages/vault/test/vault-server.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { enablePostgresTls, requirePrograms, run, startPostgres, startVault, type PostgresServer, type VaultServer } from '@db/core/testing';
import { operatorWrites, withCrdDefaults } from '@db/vault';
import { loadCrdVersions } from '@db/core';
import { ControlPlane, requireControlPlane } from '../src/index.ts';
import { ROOT } from './lib/desired.ts';

const check = requireControlPlane('Vault Kubernetes auth against a real API server');
const vaultProgram = requirePrograms('Vault Kubernetes auth against a real API server', ['vault', 'psql', 'openssl'], 'scripts/install-go-tools.sh builds vault; apt-get install postgresql openssl');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any };
const renderedIn = (dir: string): Obj[] =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(ROOT, dir, f), 'utf8')).map((d) => d.toJS() as Obj))
    .filter((o) => o?.apiVersion?.startsWith('redhatcop.redhat.io/'));
const rendered = [...renderedIn('clusters/lab/vault'), ...renderedIn('clusters/lab/secrets')];
const find = (kind: string, name: string): Obj => {
  const o = rendered.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`clusters/lab renders no ${kind} ${name}`);
  return o;
};
const CRD_DIR = join(ROOT, 'schemas/crds/vault-config-operator');
const PLURALS: Record<string, string> = { PasswordPolicy: 'passwordpolicies', Policy: 'policies', KubernetesAuthEngineRole: 'kubernetesauthengineroles', SecretEngineMount: 'secretenginemounts' };

describe.skipIf(!check.available || !vaultProgram.available)('Vault Kubernetes auth on a real API server, with the rendered policies', () => {
  let cp: ControlPlane;
  let vault: VaultServer;
  /** The rendered objects as the API server stored them. */
  const stored = new Map<string, Obj>();
  let pg: PostgresServer;
  const tenantRole = find('KubernetesAuthEngineRole', 'db-tenant-credentials');
  const connection = find('DatabaseSecretEngineConfig', 'postgres-cluster');
  /** Two tenant namespaces with a PostgreSQL static role each (Vault names them `<namespace>_<engine>_<user>`). */
  const pgRoles = rendered.filter((o) => o.kind === 'DatabaseSecretEngineStaticRole' && o.spec.dBName === connection.metadata.name);
  const nsOf = (role: Obj) => (role.spec.name as string).split('_')[0]!;
  const [roleA, roleB] = pgRoles.filter((r) => (tenantRole.spec.targetNamespaces.targetNamespaces as string[]).includes(nsOf(r)));
  const [nsA, nsB] = [nsOf(roleA!), nsOf(roleB!)];
  const kvRole = find('KubernetesAuthEngineRole', 'db-platform-secrets');
  const [serverA, serverB] = kvRole.spec.targetNamespaces.targetNamespaces as string[];
  const kvTenantRole = find('KubernetesAuthEngineRole', 'db-tenant-secrets');
  const kvTenant = (kvTenantRole.spec.targetNamespaces.targetNamespaces as string[])[0]!;

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await cp.request(method, path, body);
    if (r.status >= 300 && r.status !== 409) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.body}`);
    return r.body ? JSON.parse(r.body) : {};
  };
  const serviceAccount = async (ns: string, name: string) => {
    await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  };
  /** A TokenRequest token, as a pod's projected token (default audience: the API server's). */
  const token = async (ns: string, sa: string, audiences?: string[]): Promise<string> =>
    (await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600, audiences } })).status
      .token;
  const login = async (role: string, ns: string, sa: string, audiences?: string[]) => vault.request('POST', 'auth/kubernetes/login', { role, jwt: await token(ns, sa, audiences) }, '');
  const loginToken = async (role: string, ns: string, sa: string): Promise<string> => {
    const r = await login(role, ns, sa);
    if (r.status !== 200) throw new Error(`login ${ns}/${sa} as ${role}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.auth.client_token;
  };
  const capabilities = async (tok: string, path: string): Promise<string[]> => (await vault.ok('POST', 'sys/capabilities-self', { paths: [path] }, tok))[path];

  beforeAll(async () => {
    [cp, vault, pg] = await Promise.all([ControlPlane.start({ version: check.versions[0]!, name: 'vault-auth' }), startVault(), startPostgres()]);
    // The pinned CRDs, then the rendered objects: read back, they carry the CRD defaults.
    await cp.applyServerSide({ paths: [CRD_DIR] });
    for (const plural of Object.values(PLURALS)) cp.kubectlOk(['wait', '--for=condition=Established', `crd/${plural}.redhatcop.redhat.io`, '--timeout=60s']);
    await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vault' } });
    for (const o of rendered.filter((x) => x.kind in PLURALS)) {
      const base = `/apis/${o.apiVersion}/namespaces/${o.metadata.namespace}/${PLURALS[o.kind]}`;
      const created = await api('POST', base, { ...o, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } });
      stored.set(`${o.kind}/${o.metadata.name}`, created as Obj);
    }

    // Vault's token reviewer: a ServiceAccount allowed TokenReviews (system:auth-delegator), as
    // Vault's Helm chart sets it up; Vault runs outside the cluster, so it is given the API
    // server's address, CA and that token.
    await serviceAccount('vault', 'vault');
    await api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'vault-token-reviewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'vault', namespace: 'vault' }],
    });
    // Bootstrap step 1 (README): Kubernetes auth at `kubernetes`.
    await vault.ok('POST', 'sys/auth/kubernetes', { type: 'kubernetes' });
    await vault.ok('POST', 'auth/kubernetes/config', {
      kubernetes_host: cp.server,
      kubernetes_ca_cert: readFileSync(join(cp.dir, 'ca.crt'), 'utf8'),
      token_reviewer_jwt: await token('vault', 'vault'),
      disable_local_ca_jwt: true,
    });
    const accessor = (await vault.ok('GET', 'sys/auth')).data['kubernetes/'].accessor as string;
    for (const o of stored.values()) {
      for (const w of operatorWrites(o, { authAccessors: { 'kubernetes/': accessor } })) await vault.ok('PUT', w.path, w.body);
    }
    // The PostgreSQL side: Vault's login with its bootstrap password, the two tenants' logins;
    // the rendered connection (to loopback) with its first root rotation, and the static roles.
    enablePostgresTls(pg);
    pg.sql("CREATE ROLE vault LOGIN SUPERUSER PASSWORD 'Bootstrap0password'");
    for (const r of [roleA!, roleB!]) pg.sql(`CREATE ROLE "${r.spec.username}" LOGIN`);
    for (const w of operatorWrites(connection, { secret: () => ({ username: 'vault', password: 'Bootstrap0password' }) })) {
      const url = w.body?.connection_url as string | undefined;
      await vault.ok('PUT', w.path, url ? { ...w.body, connection_url: url.replace(/[a-z0-9.-]+\.svc\.cluster\.local:5432/, `127.0.0.1:${pg.port}`) } : w.body);
    }
    for (const r of [roleA!, roleB!]) for (const w of operatorWrites(r)) await vault.ok('PUT', w.path, w.body);

    for (const ns of [nsA, nsB]) await serviceAccount(ns, tenantRole.spec.targetServiceAccounts[0]);
    for (const ns of [serverA!, serverB!]) await serviceAccount(ns, kvRole.spec.targetServiceAccounts[0]);
    await serviceAccount(kvTenant, kvTenantRole.spec.targetServiceAccounts[0]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([vault?.stop(), cp?.stop(), pg?.stop()]);
  }, 60_000);

  it('reads the rendered objects back from the API server with the CRD defaults the operator sees, as withCrdDefaults fills them', () => {
    const crds = loadCrdVersions(join(ROOT, 'schemas/crds'));
    for (const [key, o] of stored) {
      const crd = crds.find((c) => c.group === 'redhatcop.redhat.io' && c.kind === o.kind && c.version === 'v1alpha1')!;
      const source = find(o.kind, o.metadata.name);
      expect(withCrdDefaults(source, crd.schema as never).spec, key).toEqual(o.spec);
    }
    expect(stored.get('KubernetesAuthEngineRole/db-tenant-credentials')!.spec).toMatchObject({ aliasNameSource: 'serviceaccount_uid', tokenType: 'default' });
  });

  it("logs each tenant namespace's ServiceAccount in, with the rendered role's policy and TTL", async () => {
    const r = await login('db-tenant-credentials', nsA, tenantRole.spec.targetServiceAccounts[0]);
    expect(r.status).toBe(200);
    expect(r.body.auth.policies).toEqual(['db-tenant-static-creds', 'default']);
    expect(r.body.auth.lease_duration).toBe(tenantRole.spec.tokenTTL);
    expect(r.body.auth.metadata).toMatchObject({ service_account_namespace: nsA, service_account_name: tenantRole.spec.targetServiceAccounts[0] });
    // The rendered role names no audience (Vault warns, and then reviews the token for its own
    // audiences): a token for the API server's default audience and one for `vault` both log in.
    expect(tenantRole.spec.audience).toBeUndefined();
    expect((await login('db-tenant-credentials', nsA, tenantRole.spec.targetServiceAccounts[0], ['vault'])).status).toBe(200);
  });

  it('refuses a ServiceAccount of another name, and a namespace the role does not list', async () => {
    await api('POST', `/api/v1/namespaces/${nsA}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default-ish' } });
    expect((await login('db-tenant-credentials', nsA, 'default-ish')).status).toBe(403);
    await serviceAccount('not-a-tenant', tenantRole.spec.targetServiceAccounts[0]);
    expect((await login('db-tenant-credentials', 'not-a-tenant', tenantRole.spec.targetServiceAccounts[0])).status).toBe(403);
  });

  it('lets each tenant namespace read its own static credentials, which log in, and not the other namespace’s', async () => {
    const a = await loginToken('db-tenant-credentials', nsA, tenantRole.spec.targetServiceAccounts[0]);
    const b = await loginToken('db-tenant-credentials', nsB, tenantRole.spec.targetServiceAccounts[0]);
    for (const [tok, own, other] of [
      [a, roleA!, roleB!],
      [b, roleB!, roleA!],
    ] as const) {
      const creds = (await vault.ok('GET', `database/static-creds/${own.spec.name}`, undefined, tok)).data;
      expect(creds.username).toBe(own.spec.username);
      const login = run(join(pg.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', creds.username, '-d', 'postgres', '-X', '-At', '-c', 'SELECT current_user'], {
        env: { ...process.env, PGPASSWORD: creds.password, PGSSLMODE: 'require' },
      });
      expect(login.trim()).toBe(own.spec.username);
      const theirs = await vault.request('GET', `database/static-creds/${other.spec.name}`, undefined, tok);
      expect(theirs.status).toBe(403);
      expect(JSON.stringify(theirs.body.errors)).toMatch(/permission denied/);
      expect(await capabilities(tok, `database/static-creds/${own.spec.name}`)).toEqual(['read']);
      expect(await capabilities(tok, `database/static-creds/${other.spec.name}`)).toEqual(['deny']);
      // Nothing else of the engine: no roles, no connection, no rotation.
      for (const p of [
        `database/static-roles/${own.spec.name}`,
        `database/rotate-role/${own.spec.name}`,
        `database/config/${connection.metadata.name}`,
        `database/rotate-root/${connection.metadata.name}`,
      ]) {
        expect(await capabilities(tok, p), p).toEqual(['deny']);
      }
    }
  });

  it('lets a platform namespace write and read its own generated credentials in KV, never another namespace’s', async () => {
    const sa = kvRole.spec.targetServiceAccounts[0];
    const a = await loginToken('db-platform-secrets', serverA!, sa);
    const b = await loginToken('db-platform-secrets', serverB!, sa);
    const mount = find('SecretEngineMount', 'database-kv').metadata.name;
    await vault.ok('POST', `${mount}/data/${serverA}/app-password`, { data: { password: 'from-a' } }, a);
    expect((await vault.ok('GET', `${mount}/data/${serverA}/app-password`, undefined, a)).data.data).toEqual({ password: 'from-a' });
    // PushSecret reads the metadata to check it manages the entry.
    expect((await vault.request('GET', `${mount}/metadata/${serverA}/app-password`, undefined, a)).status).toBe(200);
    // Another platform namespace: neither read nor write, nor delete.
    expect((await vault.request('GET', `${mount}/data/${serverA}/app-password`, undefined, b)).status).toBe(403);
    expect((await vault.request('POST', `${mount}/data/${serverA}/app-password`, { data: { password: 'from-b' } }, b)).status).toBe(403);
    expect((await vault.request('DELETE', `${mount}/data/${serverB}/x`, undefined, b)).status).toBe(403);
    expect((await vault.ok('GET', `${mount}/data/${serverA}/app-password`, undefined, a)).data.data).toEqual({ password: 'from-a' });
    // Its own subtree, including the logins it files for tenants.
    await vault.ok('POST', `${mount}/data/${serverB}/tenants/${kvTenant}/user`, { data: { password: 'for-tenant' } }, b);
  });

  it('lets a tenant namespace read only the credentials filed for it', async () => {
    const t = await loginToken('db-tenant-secrets', kvTenant, kvTenantRole.spec.targetServiceAccounts[0]);
    const mount = find('SecretEngineMount', 'database-kv').metadata.name;
    expect((await vault.ok('GET', `${mount}/data/${serverB}/tenants/${kvTenant}/user`, undefined, t)).data.data).toEqual({ password: 'for-tenant' });
    expect((await vault.request('GET', `${mount}/data/${serverA}/app-password`, undefined, t)).status).toBe(403);
    expect((await vault.request('POST', `${mount}/data/${serverB}/tenants/${kvTenant}/user`, { data: { password: 'x' } }, t)).status).toBe(403);
    expect(await capabilities(t, `${mount}/data/${serverB}/tenants/other-ns/user`)).toEqual(['deny']);
  });
});
