/** The Vault engine's output, checks and guardrails, built in memory. */
import { describe, expect, it } from 'vitest';
import { findObject, synthEngine } from '@db/core/testing';
import type { CustomResourceFacts, K8sObject, RenderedObject } from '@db/core';
import { postgresEngine } from '@db/postgres';
import { checkVault } from '../src/checks.ts';
import { resolveVault, engineCredentials } from '../src/model.ts';
import { pushTarget } from '../src/push-password.ts';
import { onePasswordOwner, refreshBelowRotation } from '../src/rules.ts';
import { NOT_ROTATED_ANNOTATION } from '../src/vault-config.ts';
import { BASE, DATABASE_ENGINES, model, render, TENANTS, vault } from './helpers.ts';
import { modelFromYaml as modelFromYamlOf } from '@db/core/testing';

/** A model checked against this package's schema (other engines' sections pass unchecked). */
const modelFromYaml = (text: string) => modelFromYamlOf(text, [...DATABASE_ENGINES, vault], { othersOpaque: true });

const objects = render();
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);

describe('Vault configuration (vault-config-operator)', () => {
  it('has one static role per rotated login, weekly by default, none for exclusions', () => {
    const roles = ofKind('DatabaseSecretEngineStaticRole');
    expect(roles.map((r) => `${r.spec.dBName}/${r.spec.username}/${r.spec.rotationPeriod}`).sort()).toEqual([
      'mysql/speedtest/604800',
      'mysql/technitium/604800',
      'mysql/wrongmove/259200',
      'pg-cluster/health/604800',
      'pg-cluster/linkwarden/604800',
    ]);
    for (const r of roles) {
      expect(r.metadata.namespace).toBe('vault');
      expect(r.spec.credentialType).toBe('password');
      expect(r.spec.passwordCredentialConfig).toEqual({ passwordPolicy: 'db-platform' });
      expect(r.spec.path).toBe('database');
    }
    expect(findObject(objects, 'DatabaseSecretEngineStaticRole', 'postgres-linkwarden').spec.rotationStatements).toEqual([`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`]);
    expect(findObject(objects, 'DatabaseSecretEngineStaticRole', 'mysql-speedtest').spec.rotationStatements).toEqual([
      `ALTER USER '{{name}}'@'%' IDENTIFIED BY '{{password}}' RETAIN CURRENT PASSWORD;`,
    ]);
  });

  it('configures one connection per engine, its root from a Secret, rotated by Vault, and lists every login it leaves alone', () => {
    const pg = findObject(objects, 'DatabaseSecretEngineConfig', 'pg-cluster');
    expect(pg.spec).toMatchObject({
      pluginName: 'postgresql-database-plugin',
      username: 'vault',
      rootCredentials: { secret: { name: 'vault-root-postgres' } },
      rootPasswordRotation: { enable: true, rotationPeriod: '720h' },
      verifyConnection: true,
    });
    expect(pg.spec.allowedRoles).toEqual(['*_postgres_*']);
    expect(pg.spec.passwordAuthentication).toBeUndefined();
    expect(pg.spec.rootRotationStatements).toBeUndefined();
    const notRotated = pg.metadata.annotations![NOT_ROTATED_ANNOTATION] as string;
    expect(notRotated).toContain('authentik (tenant authentik): Excluded in the seeds');
    expect(notRotated).toContain('postgres: superuser access is disabled');
    const my = findObject(objects, 'DatabaseSecretEngineConfig', 'mysql');
    expect(my.spec.pluginName).toBe('mysql-database-plugin');
    expect(my.metadata.annotations![NOT_ROTATED_ANNOTATION]).toContain("root: root's password is generated once in the cluster");
    expect(findObject(objects, 'SecretEngineMount', 'database').spec.type).toBe('database');
    expect(findObject(objects, 'PasswordPolicy', 'db-platform').spec.passwordPolicy).toContain('length = 32');
    // Nothing here carries a secret value.
    expect(ofKind('Secret')).toEqual([]);
  });

  it('lets each tenant namespace read only its own static credentials', () => {
    const policy = findObject(objects, 'Policy', 'db-tenant-static-creds').spec.policy as string;
    const path = /path "([^"]+)"/.exec(policy)![1]!;
    expect(path).toBe('database/static-creds/{{identity.entity.aliases.${auth/kubernetes/@accessor}.metadata.service_account_namespace}}_*');
    expect(policy).toContain('capabilities = ["read"]');
    // Vault's glob: a trailing `*` is a prefix match. Evaluate it for every namespace and role.
    const roles = ofKind('DatabaseSecretEngineStaticRole').map((r) => ({ key: `database/static-creds/${r.spec.name}`, tenant: r.metadata.labels!['db-platform.io/tenant'] as string }));
    const namespaceOf = (tenant: string) => ofKind('ExternalSecret').find((e) => e.metadata.labels!['db-platform.io/tenant'] === tenant)!.metadata.namespace as string;
    const namespaces = [...new Set(roles.map((r) => namespaceOf(r.tenant)))];
    for (const ns of namespaces) {
      const prefix = path.replace(/\{\{identity\.entity.*\}\}/, ns).replace(/\*$/, '');
      const readable = roles.filter((r) => r.key.startsWith(prefix)).map((r) => r.tenant);
      expect(readable, ns).toEqual(roles.filter((r) => namespaceOf(r.tenant) === ns).map((r) => r.tenant));
    }
    const auth = findObject(objects, 'KubernetesAuthEngineRole', 'db-tenant-credentials').spec;
    expect(auth.policies).toEqual(['db-tenant-static-creds']);
    expect(auth.targetServiceAccounts).toEqual(['vault-db-credentials']);
    expect(auth.targetNamespaces.targetNamespaces).toEqual(['apple-health-data', 'linkwarden', 'realestate-crawler', 'speedtest', 'technitium']);
  });
});

describe('External Secrets', () => {
  it("uses one ClusterSecretStore, open only to the rotated tenants' namespaces, logging in as the asking namespace", () => {
    const store = findObject(objects, 'ClusterSecretStore', 'vault-database');
    expect(store.apiVersion).toBe('external-secrets.io/v1');
    expect(store.spec.conditions).toEqual([{ namespaces: ['apple-health-data', 'linkwarden', 'realestate-crawler', 'speedtest', 'technitium'] }]);
    expect(store.spec.provider.vault).toEqual({
      server: 'http://vault.vault.svc.cluster.local:8200',
      version: 'v1',
      auth: { kubernetes: { mountPath: 'kubernetes', role: 'db-tenant-credentials', serviceAccountRef: { name: 'vault-db-credentials' } } },
    });
    for (const ns of store.spec.conditions[0].namespaces) {
      const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === ns)!;
      expect(sa.metadata.name).toBe('vault-db-credentials');
      expect(sa.automountServiceAccountToken).toBe(false);
    }
  });

  it('writes a ready Secret per rotated login: PgBouncer for PostgreSQL, refreshed every 15m, reloader-annotated', () => {
    const es = findObject(objects, 'ExternalSecret', 'linkwarden-postgres');
    expect(es.metadata.namespace).toBe('linkwarden');
    expect(es.spec.refreshInterval).toBe('15m');
    expect(es.spec.data.map((d: { remoteRef: { key: string; property: string } }) => `${d.remoteRef.key}#${d.remoteRef.property}`)).toEqual([
      'database/static-creds/linkwarden_postgres_linkwarden#username',
      'database/static-creds/linkwarden_postgres_linkwarden#password',
    ]);
    expect(es.spec.target.template.data).toEqual({
      host: 'pgbouncer.dbaas.svc.cluster.local',
      port: '5432',
      database: 'linkwarden',
      username: '{{ .username }}',
      password: '{{ .password }}',
      uri: 'postgresql://{{ .username | urlquery }}:{{ .password | urlquery }}@pgbouncer.dbaas.svc.cluster.local:5432/linkwarden?sslmode=require',
    });
    expect(es.spec.target.template.metadata.annotations).toEqual({ 'reloader.stakater.com/match': 'true' });
    expect(es.spec.target.deletionPolicy).toBe('Retain');
    const my = findObject(objects, 'ExternalSecret', 'wrongmove-mysql');
    expect(my.metadata.namespace).toBe('realestate-crawler');
    expect(my.spec.target.template.data.uri).toBe('mysql://{{ .username | urlquery }}:{{ .password | urlquery }}@mysql.dbaas.svc.cluster.local:3306/wrongmove');
    expect(objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'authentik-postgres')).toBeUndefined();
  });

  it("pushes Technitium's password with a hardened CronJob every 6 hours", () => {
    const cron = findObject(objects, 'CronJob', 'technitium-mysql-push-password');
    expect(cron.metadata.namespace).toBe('technitium');
    expect(cron.spec.schedule).toMatch(/^\d{1,2} \*\/6 \* \* \*$/);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.image).toBe('docker.io/curlimages/curl:8.11.1');
    // Passwords come from the synced Secret, never as literals.
    const password = c.env.find((e: { name: string }) => e.name === 'DB_PASSWORD');
    expect(password).toEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'technitium-mysql', key: 'password' } } });
  });

  it("fences the push job: no ingress, egress only to DNS and the app's API", () => {
    const np = findObject(objects, 'NetworkPolicy', 'technitium-mysql-push-password');
    expect(np.metadata.namespace).toBe('technitium');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([]);
    expect(np.spec.egress[1]).toEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'technitium' } } }], ports: [{ port: 5380, protocol: 'TCP' }] });
    const pod = findObject(objects, 'CronJob', 'technitium-mysql-push-password').spec.jobTemplate.spec.template;
    for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) expect(pod.metadata.labels[k]).toBe(v);
    expect(pushTarget('http://api.other.svc.cluster.local:8080/x', 't')).toEqual({ peer: { namespace: 'other' }, port: 8080 });
    expect(pushTarget('http://api:80/x', 't')).toEqual({ peer: { namespace: 't' }, port: 80 });
    expect(pushTarget('https://dns.example.org/api', 't')).toEqual({ peer: undefined, port: 443 });
  });

  it('lets Vault (and only Vault) reach each server on its port', () => {
    const pg = findObject(objects, 'NetworkPolicy', 'vault-to-pg-cluster');
    expect(pg.metadata.namespace).toBe('dbaas');
    expect(pg.spec.podSelector).toEqual({ matchLabels: { 'cnpg.io/cluster': 'pg-cluster', 'cnpg.io/podRole': 'instance' } });
    expect(pg.spec.policyTypes).toEqual(['Ingress']);
    expect(pg.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vault' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vault' } } }],
        ports: [{ port: 5432, protocol: 'TCP' }],
      },
    ]);
    expect(findObject(objects, 'NetworkPolicy', 'vault-to-mysql').spec.ingress[0].ports).toEqual([{ port: 3306, protocol: 'TCP' }]);
  });
});

describe('checks', () => {
  const problems = (yaml: string) => checkVault(DATABASE_ENGINES, modelFromYaml(yaml)).map((p) => `${p.field}: ${p.message}`);

  it('refuses rotated logins without a vault section', () => {
    const found = problems(`${BASE}${TENANTS}`);
    expect(found).toContain('tenants[0].postgres: postgres login "linkwarden" is rotated by Vault, but the platform has no vault section');
    expect(found.some((f) => f.includes('authentik'))).toBe(false);
  });

  it('refuses rotation periods out of bounds, pushes that cannot keep up, and unknown placeholders', () => {
    const found = problems(`${BASE}
vault: { rotationPeriod: 12h, namespace: dbaas, refreshInterval: 30s }
tenants:
  - name: a
    mysql: { database: a, rotationPeriod: 120d }
  - name: b
    mysql: { database: b, rotate: false, rotateReason: "managed by hand for now", rotationPeriod: 7d }
  - name: c
    mysql:
      database: c
      rotationPeriod: 1d
      pushPassword: { every: 1d, url: "http://c.c:80/api", tokenSecret: c-token, fields: { config: "pw=\${pasword}" } }
  - name: d
    mysql:
      database: d
      pushPassword: { every: 7m, url: "http://d.d:80/api", tokenSecret: d-token, fields: { config: "x" } }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        'vault.rotationPeriod: rotation period 12h is outside 1d..90d',
        'vault.refreshInterval: refresh interval 30s is below 1m',
        'vault.namespace: Vault\'s namespace "dbaas" is also a database namespace',
        'tenants[0].mysql.rotationPeriod: rotation period 120d is outside 1d..90d',
        'tenants[1].mysql.rotationPeriod: rotationPeriod is only meaningful for a rotated login',
        'tenants[2].mysql.pushPassword.every: pushing every 1d is not more often than the password rotates (1d)',
        'tenants[2].mysql.pushPassword.fields: unknown placeholder ${pasword}',
        'tenants[3].mysql.pushPassword.every: cannot run every 7m on a cron schedule',
      ]),
    );
  });

  it('accepts the fixture', () => {
    expect(problems(`${BASE}vault: {}\n${TENANTS}`)).toEqual([]);
  });
});

describe('guardrails', () => {
  const m = model();
  const ctx = (objs: readonly K8sObject[]): { model: typeof m; objects: RenderedObject[]; facts: CustomResourceFacts } => ({
    model: m,
    objects: objs.map((object) => ({ component: 'test', object })),
    facts: {},
  });
  const cluster = findObject(synthEngine(postgresEngine, m), 'Cluster', 'pg-cluster');

  it('passes the rendered output', () => {
    const all = [...objects, cluster];
    expect(onePasswordOwner.check(ctx(all))).toEqual([]);
    expect(refreshBelowRotation.check(ctx(all))).toEqual([]);
  });

  it('refuses a role that CNPG sets from a Secret while Vault rotates it', () => {
    const twoOwners = structuredClone(cluster);
    const role = twoOwners.spec.managed.roles.find((r: { name: string }) => r.name === 'linkwarden');
    role.passwordSecret = { name: 'linkwarden-password' };
    const findings = onePasswordOwner.check(ctx([...objects, twoOwners]));
    expect(findings.map((f) => f.message)).toEqual(['role linkwarden takes its password from Secret linkwarden-password and is rotated by Vault']);
  });

  it('refuses two static roles for one login', () => {
    const dup = structuredClone(findObject(objects, 'DatabaseSecretEngineStaticRole', 'postgres-linkwarden'));
    dup.metadata.name = 'postgres-linkwarden-again';
    dup.spec.name = 'other_postgres_linkwarden';
    expect(onePasswordOwner.check(ctx([...objects, dup])).map((f) => f.message)).toEqual(['rotates pg-cluster/linkwarden, which DatabaseSecretEngineStaticRole/vault/postgres-linkwarden rotates too']);
  });

  it('refuses a refresh interval that is not well below the rotation period', () => {
    const slow = objects.map((o) => (o.kind === 'ExternalSecret' && o.metadata.name === 'linkwarden-postgres' ? { ...o, spec: { ...o.spec, refreshInterval: '2h' } } : o));
    const findings = refreshBelowRotation.check(ctx(slow));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.object).toBe('ExternalSecret/linkwarden/linkwarden-postgres');
    expect(findings[0]!.message).toContain('at most 3600s');
    // A 1-day rotation lowers the bound to 1h: 45m passes, 61m does not.
    const daily = resolveVault(modelFromYaml(`${BASE}vault: { rotationPeriod: 1d, refreshInterval: 61m }\n${TENANTS}`), engineCredentials(DATABASE_ENGINES, m));
    expect(daily.rotationPeriod).toBe('1d');
  });
});
