/**
 * vault-config-operator 0.8.52 and External Secrets 2.9.0 as their source behaves (see
 * src/operator-contract.ts), applied to what we render. The defect this pins: once Vault has
 * rotated its own password, any reconcile that writes the connection again sends the dead
 * bootstrap password and fails, and with it every new tenant and the next root rotation.
 */
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '@db/core';
import {
  allowedRolesPattern,
  esoRestoresDeletedSecretAtOnce,
  esoSetsOwnerReference,
  operatorFindsEqual,
  operatorPayload,
  operatorWrites,
  vaultAllowsRole,
  vaultReadBack,
} from '../src/operator-contract.ts';
import { modelFromYaml as modelFromYamlOf } from '@db/core/testing';
import { BASE, DATABASE_ENGINES, render, TENANTS, vault } from './helpers.ts';

/** A model checked against this package's schema (other engines' sections pass unchecked). */
const modelFromYaml = (text: string) => modelFromYamlOf(text, [...DATABASE_ENGINES, vault], { othersOpaque: true });

const objects = render();
const connections = objects.filter((o) => o.kind === 'DatabaseSecretEngineConfig');
const staticRoles = objects.filter((o) => o.kind === 'DatabaseSecretEngineStaticRole');

/** Vault after the first successful reconcile: it stored what the operator wrote, then rotated its own password. */
function afterBootstrap(connection: K8sObject) {
  const written = operatorPayload(connection.spec, 'bootstrap-password');
  return vaultReadBack(written);
}

describe('vault-config-operator 0.8.52 contract', () => {
  it('finds our connections unchanged after bootstrap, so it never rewrites them with the dead bootstrap password (types.go:91-117, 362-386)', () => {
    expect(connections).toHaveLength(2);
    for (const c of connections) {
      const stored = afterBootstrap(c);
      // Every later reconcile: the operator re-reads the bootstrap Secret and compares.
      expect(operatorFindsEqual(operatorPayload(c.spec, 'bootstrap-password'), stored, true), c.metadata.name).toBe(true);
    }
  });

  it('would rewrite (and fail, after the root rotation) the connection main rendered before: rootRotationStatements never read back', () => {
    const before = structuredClone(connections[0]!);
    before.spec.rootRotationStatements = [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`];
    expect(operatorFindsEqual(operatorPayload(before.spec, 'p'), afterBootstrap(before), true)).toBe(false);
  });

  it('keeps the connection object the same when tenants are added or removed (allowed roles are a constant pattern)', () => {
    const more = render(modelFromYaml(`${BASE}vault: {}\n${TENANTS}  - name: newcomer\n    postgres: { database: newcomer }\n    mysql: { database: newcomer }\n`));
    for (const c of connections) expect(more.find((o) => o.kind === c.kind && o.metadata.name === c.metadata.name)!.spec).toEqual(c.spec);
  });

  it("allows every static role of an engine on its own connection and none of the other engine's (Vault's StrListContainsGlob)", () => {
    for (const c of connections) {
      const engine = c.spec.pluginName.startsWith('postgresql') ? 'postgres' : 'mysql';
      expect(c.spec.allowedRoles).toEqual([allowedRolesPattern(engine)]);
      for (const r of staticRoles) expect(vaultAllowsRole(c.spec.allowedRoles, r.spec.name), r.spec.name).toBe(r.spec.dBName === c.metadata.name);
    }
  });

  it('sends nothing the operator drops: no passwordAuthentication (never sent at 0.8.52), no rootRotationStatements', () => {
    for (const c of connections) {
      expect(c.spec.passwordAuthentication).toBeUndefined();
      expect(c.spec.rootRotationStatements).toBeUndefined();
      expect(c.spec.verifyConnection).toBe(true);
      expect(operatorPayload(c.spec, 'x')).not.toHaveProperty('password_authentication');
    }
  });
});

describe('vault-config-operator 0.8.52 writes to Vault (operatorWrites; proven against a real Vault in vault-server.test.ts)', () => {
  const byName = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

  it("puts the rendered connection URL in the payload (the spec's key is connectionURL, the CRD's json tag)", () => {
    for (const c of connections) {
      expect(c.spec.connectionURL).toMatch(/\{\{username\}\}:\{\{password\}\}@/);
      expect(operatorPayload(c.spec, 'p').connection_url).toBe(c.spec.connectionURL);
    }
  });

  it('writes each rendered object to the path the operator computes, with the bootstrap password only in the connection', () => {
    const paths = objects
      .filter((o) => o.apiVersion.startsWith('redhatcop.redhat.io/'))
      .flatMap((o) => operatorWrites(o, { secret: () => ({ password: 'boot' }), authAccessors: { 'kubernetes/': 'auth_kubernetes_1234' } }))
      .map((w) => `${w.path}${w.body && 'password' in w.body ? ' (password)' : ''}`);
    expect(paths).toContain('sys/mounts/database');
    expect(paths).toContain('sys/policies/password/db-platform');
    expect(paths).toContain('database/config/pg-cluster (password)');
    expect(paths).toContain('database/rotate-root/pg-cluster');
    expect(paths).toContain('database/static-roles/linkwarden_postgres_linkwarden');
    expect(paths).toContain('sys/policies/acl/db-tenant-static-creds');
    expect(paths).toContain('auth/kubernetes/role/db-tenant-credentials');
    expect(paths.filter((p) => p.endsWith('(password)')).every((p) => p.startsWith('database/config/'))).toBe(true);
  });

  it("resolves the tenant policy's auth accessor placeholder and sends Go's null for the role's unset lists", () => {
    const [policy] = operatorWrites(byName('Policy', 'db-tenant-static-creds'), { authAccessors: { 'kubernetes/': 'auth_kubernetes_1234' } });
    expect(policy!.body!.policy).toContain('{{identity.entity.aliases.auth_kubernetes_1234.metadata.service_account_namespace}}');
    expect(policy!.body!.policy).not.toContain('${');
    const [role] = operatorWrites(byName('KubernetesAuthEngineRole', 'db-tenant-credentials'));
    expect(role!.body).toMatchObject({ token_bound_cidrs: null, token_ttl: 600, token_max_ttl: 900, bound_service_account_names: ['vault-db-credentials'] });
    expect(role!.body).not.toHaveProperty('audience');
  });
});

describe('External Secrets 2.9.0 contract', () => {
  it("writes tenant Secrets without an ownerReference, so pruning an ExternalSecret never deletes a running app's Secret (externalsecret_controller.go:815-828)", () => {
    const secrets = objects.filter((o) => o.kind === 'ExternalSecret');
    expect(secrets.length).toBeGreaterThan(0);
    for (const es of secrets) {
      expect(esoSetsOwnerReference(es.spec.target.creationPolicy), es.metadata.name).toBe(false);
      expect(esoRestoresDeletedSecretAtOnce(es.spec.target.creationPolicy)).toBe(true);
    }
    expect(esoSetsOwnerReference('Owner')).toBe(true);
  });
});
