/**
 * Offboarding without data loss, as synth enforces it: a tenant that disappears from the
 * file while the committed output still holds it is refused unless it went through
 * `state: retired` and then `purge: true` (after the retention); retirement and purge are
 * recorded on the tenant's objects, so the next render can tell.
 */
import { describe, expect, it } from 'vitest';
import { committedTenants, vanishedTenantProblems } from '@db/core';
import { renderText } from '../src/render.ts';

const HEAD = `cluster: test
storage: { block: proxmox-lvm }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
monitoring:
  pushgateway: http://pushgateway.monitoring.svc:9091
  runbookBaseUrl: https://example.org/runbooks
postgres: { instances: 2 }
vault: {}
tenants:
  - { name: linkwarden, postgres: { database: linkwarden } }
`;
/** What synth does before writing (synth.ts; kube-score aside): render, then hold the render against the committed output, which it replaces when accepted. */
let committed: string[] = [];
const synth = (affine: string | undefined): { ok: true } | { ok: false; problems: readonly { field: string; message: string }[] } => {
  const r = renderText(HEAD + (affine === undefined ? '' : `  - { name: affine, postgres: { database: affine }${affine} }\n`));
  if (!r.ok) return r;
  const vanished = vanishedTenantProblems(
    r.model,
    committedTenants(committed),
    r.objects.map((o) => o.object),
  );
  if (vanished.length > 0) return { ok: false, problems: vanished };
  committed = [...r.files.values()];
  return { ok: true };
};
const problems = (r: ReturnType<typeof synth>) => (r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`));
const files = () => committed;
const affineObjects = () => files().filter((f) => /db-platform\.io\/tenant: affine$/m.test(f));

describe('offboarding a tenant', () => {
  it('refuses a tenant that vanishes from the file while active, and writes nothing', () => {
    expect(synth('').ok).toBe(true);
    expect(affineObjects().length).toBeGreaterThan(0);
    const before = files();
    const r = synth(undefined);
    expect(problems(r)).toEqual(['tenants: tenant "affine" is in clusters/test/ (active) but no longer in tenants: removing it would lose its data']);
    expect(files()).toEqual(before);
  });

  it('retiring needs the day, and is recorded on the tenant objects, which stay', () => {
    expect(problems(synth(', state: retired'))).toEqual(['tenants[1].state: retired tenant "affine" needs the day it was retired']);
    expect(synth(', state: retired, retiredOn: 2026-01-05').ok).toBe(true);
    expect(affineObjects().length).toBeGreaterThan(0);
    for (const f of affineObjects()) expect(f).toMatch(/db-platform\.io\/tenant-state: retired$/m);
    // Retired is not gone: it may not leave the file yet.
    expect(problems(synth(undefined))).toEqual(['tenants: tenant "affine" is in clusters/test/ (retired) but no longer in tenants: removing it would lose its data']);
  });

  it('purges only a retired tenant, only after the retention, and only then lets it leave the file', () => {
    expect(problems(synth(', purge: true'))).toEqual(['tenants[1].purge: only a retired tenant can be purged']);
    const today = new Date().toISOString().slice(0, 10);
    expect(problems(synth(`, state: retired, retiredOn: ${today}, purge: true`))[0]).toMatch(/^tenants\[1\]\.purge: tenant "affine" was retired on .*: its data is kept 30 days$/);
    expect(synth(', state: retired, retiredOn: 2026-01-05, purge: true').ok).toBe(true);
    for (const f of affineObjects()) expect(f).toMatch(/db-platform\.io\/tenant-state: purged$/m);
    expect(synth(undefined).ok).toBe(true);
    expect(affineObjects()).toEqual([]);
  });
});

describe('retiring revokes the credential delivery of every engine', () => {
  const text = (affine: string) => `cluster: test
storage: { block: proxmox-lvm }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
monitoring:
  pushgateway: http://pushgateway.monitoring.svc:9091
  runbookBaseUrl: https://example.org/runbooks
postgres: { instances: 2 }
mysql: { topology: standalone }
redis: { topology: standalone }
vault: {}
secrets: {}
tenants:
  - { name: linkwarden, postgres: { database: linkwarden }, mysql: { database: lw }, redis: { use: cache } }
  - { name: affine, namespace: affine-app, postgres: { database: affine }, mysql: { database: affine, pushPassword: { every: 6h, url: "http://affine.affine-app.svc/api", tokenSecret: affine-token, fields: { pw: "\${password}" } } }, redis: { use: cache }${affine} }
`;
  const rendered = (affine: string) => {
    const r = renderText(text(affine));
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    return r.objects.map((o) => o.object);
  };
  /** What delivers the tenant's credentials: Vault static roles, ExternalSecrets into its namespace, push jobs. */
  const delivery = (objects: ReturnType<typeof rendered>) =>
    objects
      .filter((o) => ['DatabaseSecretEngineStaticRole', 'ExternalSecret', 'CronJob'].includes(o.kind) && JSON.stringify(o).includes('affine'))
      .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)
      .sort();

  it('active: static roles, ExternalSecrets into its namespace and the push job; retired or purged: none of them', () => {
    const active = delivery(rendered(''));
    expect(active).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DatabaseSecretEngineStaticRole\/vault\/postgres-affine$/),
        expect.stringMatching(/^DatabaseSecretEngineStaticRole\/vault\/mysql-affine$/),
        'ExternalSecret/affine-app/affine-postgres',
        'ExternalSecret/affine-app/affine-mysql',
        'ExternalSecret/affine-app/affine-redis',
      ]),
    );
    expect(active.some((n) => n.startsWith('CronJob/affine-app/'))).toBe(true);
    // The server's own copy of the Redis user's password stays (its ACL line is off, not gone); nothing reaches the tenant's namespace.
    expect(delivery(rendered(', state: retired, retiredOn: 2026-01-05'))).toEqual(['ExternalSecret/redis/redis-v2-user-affine']);
    expect(delivery(rendered(', state: retired, retiredOn: 2026-01-05, purge: true'))).toEqual([]);
  });

  it('the generated cluster docs list the retired tenant per engine, with its final dump and the day a purge is allowed', () => {
    const r = renderText(text(', state: retired, retiredOn: 2026-01-05'));
    if (!r.ok) throw new Error('render failed');
    const readme = [...r.files].find(([f]) => f.endsWith('README.md'))![1];
    const section = readme.slice(readme.indexOf('## Retired tenants'), readme.indexOf('\n## ', readme.indexOf('## Retired tenants') + 5));
    const rows = section.split('\n').filter((l) => l.startsWith('| affine |'));
    expect(rows.map((l) => l.split(' | ')[1])).toEqual(['PostgreSQL', 'MySQL', 'Redis']);
    for (const row of rows) expect(row).toContain('| retired | 2026-01-05 |');
    expect(rows[0]).toMatch(/affine-final-\*\.pgdump\.gz.*Job `dbaas\/final-dump-postgres-affine-[0-9a-f]{8}`.*allowed from 2026-02-04/);
    expect(rows[1]).toMatch(/ACCOUNT LOCK.*affine-final-\*\.sql\.gz.*allowed from 2026-02-04/);
    expect(rows[2]).toMatch(/ACL user `affine` off.*none: Redis has no per-tenant dump/);
    expect(readme).toMatch(/^\| affine, \*\*retired\*\* \| affine-app \| PostgreSQL \|/m);
    // Its logins are no longer in the rotation tables.
    const rotation = readme.slice(readme.indexOf('## Credential rotation'), readme.indexOf('\n## ', readme.indexOf('## Credential rotation') + 5));
    expect(rotation).toContain('| linkwarden |');
    expect(rotation).not.toContain('| affine |');
  });

  it('a retired tenant may still be restored (its final dump by name); a purged one is refused', () => {
    const withRestore = (affine: string) => renderText(`${text(affine)}restores:\n  - { engine: postgres, tenant: affine, dump: affine-final-20260105T101500Z.pgdump.gz, into: affine_check }\n`);
    expect(withRestore(', state: retired, retiredOn: 2026-01-05').ok).toBe(true);
    const r = withRestore(', state: retired, retiredOn: 2026-01-05, purge: true');
    expect(r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`)).toEqual(['restores[0].tenant: tenant "affine" is purged: its database and login are deleted']);
  });

  it('leaves the last Secret in the tenant namespace, which opens nothing once the login is disabled (External Secrets 2.9.0)', () => {
    // Deleting an ExternalSecret deletes its target only with deletionPolicy: Delete
    // (pkg/controllers/externalsecret/externalsecret_controller.go:210-216 → cleanupManagedSecrets
    // 846-851) and only a Secret it controls (873-879), which it does only with creationPolicy:
    // Owner (816-820). Ours are CreateOrMerge and Retain: the Secret stays, no longer refreshed.
    for (const es of rendered('').filter((o) => o.kind === 'ExternalSecret' && o.metadata.namespace === 'affine-app'))
      expect(es.spec.target).toMatchObject({ creationPolicy: 'CreateOrMerge', deletionPolicy: 'Retain' });
  });
});

describe('the vanished-tenant guard sees every engine', () => {
  const NO_VAULT = `cluster: test
storage: { block: proxmox-lvm }
backups: { nfs: { server: nfs.lan, path: /srv/nfs } }
monitoring:
  pushgateway: http://pushgateway.monitoring.svc:9091
  runbookBaseUrl: https://example.org/runbooks
mysql: { topology: standalone }
redis: { topology: standalone }
tenants:
  - { name: keep, mysql: { database: keep, rotate: false, rotateReason: no Vault here } }
`;
  for (const [engine, field] of [
    ['mysql (no vault)', 'mysql: { database: gone, rotate: false, rotateReason: no Vault here }'],
    ['redis', 'redis: { use: cache }'],
  ] as const) {
    it(`${engine}: refuses removal while active or retired, accepts it once purged`, () => {
      let files: string[] = [];
      const run = (tenant: string | undefined) => {
        const r = renderText(NO_VAULT + (tenant === undefined ? '' : `  - { name: gone, ${field}${tenant} }\n`));
        if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
        const vanished = vanishedTenantProblems(
          r.model,
          committedTenants(files),
          r.objects.map((o) => o.object),
        );
        if (vanished.length === 0) files = [...r.files.values()];
        return vanished.map((p) => p.message);
      };
      expect(run('')).toEqual([]);
      expect(run(undefined)).toEqual(['tenant "gone" is in clusters/test/ (active) but no longer in tenants: removing it would lose its data']);
      expect(run(', state: retired, retiredOn: 2026-01-05')).toEqual([]);
      expect(run(undefined)).toEqual(['tenant "gone" is in clusters/test/ (retired) but no longer in tenants: removing it would lose its data']);
      expect(run(', state: retired, retiredOn: 2026-01-05, purge: true')).toEqual([]);
      expect(run(undefined)).toEqual([]);
    });
  }
});
