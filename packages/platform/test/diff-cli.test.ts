/**
 * `npm run diff` as a user runs it, in a scratch git repository holding a copy of the prod
 * cluster: a fresh render of apps/ against clusters/ as committed at a ref.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIFF_MARKER } from '@db/delivery';
import { REPO_ROOT } from '../src/index.ts';

const BIN = join(REPO_ROOT, 'packages/platform/bin/db-platform.mjs');
const workspace = mkdtempSync(join(tmpdir(), 'db-platform-diff-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd: workspace, encoding: 'utf8' });
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: workspace, env: { ...process.env, DB_PLATFORM_WORKSPACE: workspace }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('db-platform diff', () => {
  mkdirSync(join(workspace, 'apps/prod'), { recursive: true });
  cpSync(join(REPO_ROOT, 'apps/prod/platform.yaml'), join(workspace, 'apps/prod/platform.yaml'));
  cpSync(join(REPO_ROOT, 'clusters/prod'), join(workspace, 'clusters/prod'), { recursive: true });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'prod as rendered');
  const platform = join(workspace, 'apps/prod/platform.yaml');
  const good = readFileSync(platform, 'utf8');

  it('finds nothing when the desired state renders to what is committed', () => {
    const r = cli(['diff']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Rendered diff against main: 0 added, 0 changed, 0 removed\n');
  });

  it('shows the objects a new tenant adds and changes, per component, with their YAML', () => {
    writeFileSync(platform, good.replace('  - name: linkwarden\n', '  - name: newapp\n    postgres: { database: newapp }\n  - name: linkwarden\n'));
    const r = cli(['diff', 'HEAD']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Rendered diff against HEAD: [1-9]\d* added, [1-9]\d* changed, 0 removed/);
    expect(r.stdout).toContain('\nprod/postgres\n');
    expect(r.stdout).toContain('\n  + Database/dbaas/pg-cluster-newapp (+');
    expect(r.stdout).toContain('      +  name: newapp');
    const md = cli(['diff', 'HEAD', '--markdown']);
    expect(md.stdout.startsWith(DIFF_MARKER)).toBe(true);
    expect(md.stdout).toMatch(/\| prod \| postgres \| 1 \| \d+ \| 0 \|/);
    expect(md.stdout).toContain('<details><summary>added <code>Database/dbaas/pg-cluster-newapp</code>');
    writeFileSync(platform, good);
  });

  it('shows deleted objects as removed', () => {
    writeFileSync(platform, good.replace(/sqlite:\n(  - .*\n)+/, 'sqlite:\n  - { app: headscale, size: 1Gi }\n'));
    const r = cli(['diff']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  - PersistentVolumeClaim/vaultwarden/vaultwarden-sqlite');
    writeFileSync(platform, good);
  });

  it('refuses an unknown ref and a desired state that does not render', () => {
    const ref = cli(['diff', 'no-such-branch']);
    expect(ref.code).toBe(1);
    expect(ref.stderr).toContain('git ref "no-such-branch" not found');
    writeFileSync(platform, good.replace('instances: 2 #', 'instances: zwei #'));
    const bad = cli(['diff']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/apps\/prod\/platform\.yaml:\d+:\d+: postgres\.instances: must be integer/);
    writeFileSync(platform, good);
  });
});
