/**
 * Credential rotation across the real clusters: every rotated tenant of prod (the seeds'
 * lists) has its static role, its ExternalSecret and is covered by the tenant policy; the
 * exclusions are explicit in the output; hostile names never reach a statement.
 */
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '@db/core';
import { platformFileOf } from '../src/paths.ts';
import { renderFile, renderText } from '../src/render.ts';

function rendered(cluster: string): K8sObject[] {
  const r = renderFile(platformFileOf(cluster), cluster);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.objects.map((o) => o.object);
}

describe('prod rotation matches the seeds (databases.md: Vault Database Engine)', () => {
  const objects = rendered('prod');
  const roles = objects.filter((o) => o.kind === 'DatabaseSecretEngineStaticRole');
  const usernames = (db: string) =>
    roles
      .filter((r) => r.spec.dBName === db)
      .map((r) => r.spec.username)
      .sort();

  it("rotates the seeds' PostgreSQL and MySQL lists weekly", () => {
    expect(usernames('pg-cluster')).toEqual(['affine', 'claude_memory', 'health', 'linkwarden', 'tripit', 'woodpecker']);
    expect(usernames('mysql')).toEqual(['codimd', 'grafana', 'nextcloud', 'shlink', 'speedtest', 'technitium', 'wrongmove']);
    for (const r of roles) expect(r.spec.rotationPeriod).toBe(604800);
  });

  it("syncs each rotated password into its app's namespace every 15 minutes", () => {
    const secrets = objects.filter((o) => o.kind === 'ExternalSecret' && o.spec.secretStoreRef.name === 'vault-database');
    expect(secrets).toHaveLength(roles.length);
    for (const r of roles) {
      const es = secrets.find((s) => s.spec.data[0].remoteRef.key === `database/static-creds/${r.spec.name}`);
      expect(es, r.metadata.name).toBeDefined();
      expect(es!.spec.refreshInterval).toBe('15m');
      expect(r.spec.name.startsWith(`${es!.metadata.namespace}_`)).toBe(true);
    }
    expect(secrets.find((s) => s.metadata.name === 'grafana-mysql')!.metadata.namespace).toBe('monitoring');
  });

  it('says in the output who is not rotated and why: authentik, crowdsec, root users', () => {
    const notRotated = (name: string) =>
      objects.find((o) => o.kind === 'DatabaseSecretEngineConfig' && o.metadata.name === name)!.metadata.annotations!['rotation.db-platform.io/not-rotated'] as string;
    expect(notRotated('pg-cluster')).toMatch(/^authentik \(tenant authentik\): Excluded in the seeds, its connection through PgBouncer/m);
    expect(notRotated('pg-cluster')).toMatch(/^crowdsec \(tenant crowdsec\): Excluded in the seeds, its Helm chart bakes/m);
    expect(notRotated('mysql')).toMatch(/^root: root's password is generated once in the cluster/m);
    expect(roles.map((r) => r.spec.username)).not.toEqual(expect.arrayContaining(['authentik']));
    expect(roles.map((r) => r.spec.username)).not.toEqual(expect.arrayContaining(['crowdsec']));
  });

  it("pushes Technitium's password every 6 hours", () => {
    expect(objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'technitium-mysql-push-password')!.spec.schedule).toMatch(/\*\/6/);
  });

  it("never lets CNPG own a rotated role's password", () => {
    const cluster = objects.find((o) => o.kind === 'Cluster')!;
    for (const role of cluster.spec.managed.roles as { name: string; passwordSecret?: unknown }[]) {
      if (usernames('pg-cluster').includes(role.name) || role.name === 'vault') expect(role.passwordSecret, role.name).toBeUndefined();
    }
  });
});

describe('the lab cluster rotates too', () => {
  it('has a static role and an ExternalSecret for each tenant', () => {
    const objects = rendered('lab');
    expect(
      objects
        .filter((o) => o.kind === 'DatabaseSecretEngineStaticRole')
        .map((r) => r.spec.username)
        .sort(),
    ).toEqual(['gatus', 'gitea_app', 'lumen', 'vaultwarden', 'bookstack'].sort());
    expect(objects.find((o) => o.kind === 'ExternalSecret' && o.metadata.name === 'lumen-api-postgres')!.spec.target.template.data.host).toBe('postgresql.postgres.svc.cluster.local');
  });
});

describe('hostile tenant names are refused by input validation', () => {
  const base = `cluster: test
storage: { block: lvm }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
monitoring: { pushgateway: "http://pgw.monitoring:9091", runbookBaseUrl: "https://example.org/runbooks" }
postgres: {}
mysql: {}
vault: {}
tenants:
`;
  const cases: [string, string, string][] = [
    ['SQL quote in a PostgreSQL role', '  - { name: a, postgres: { database: a, role: "a\\"; ALTER ROLE vault PASSWORD \'x" } }', 'tenants[0].postgres.role'],
    ['SQL quote in a MySQL user', "  - { name: a, mysql: { database: a, user: \"a'@'%' IDENTIFIED BY 'x\" } }", 'tenants[0].mysql.user'],
    ['template braces in a database', '  - { name: a, postgres: { database: "{{password}}" } }', 'tenants[0].postgres.database'],
    ['Vault path traversal in a tenant name', '  - { name: "../../sys/policies", postgres: { database: a } }', 'tenants[0].name'],
    ['underscore (the role-name separator) in a namespace', '  - { name: a, namespace: "a_b", postgres: { database: a } }', 'tenants[0].namespace'],
    ['shell in a push URL', '  - { name: a, mysql: { database: a, pushPassword: { every: 6h, url: "http://x/$(id)", tokenSecret: t, fields: { a: b } } } }', 'tenants[0].mysql.pushPassword.url'],
    [
      'odd form field name',
      '  - { name: a, mysql: { database: a, pushPassword: { every: 6h, url: "http://x.y/api", tokenSecret: t, fields: { "a b": c } } } }',
      'tenants[0].mysql.pushPassword.fields.a b',
    ],
  ];
  it.each(cases)('%s', (_, tenant, field) => {
    const r = renderText(`${base}${tenant}\n`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.field)).toContain(field);
    for (const p of r.problems) expect(p.line).toBeGreaterThan(0);
  });
});
