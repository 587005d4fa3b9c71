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
