/**
 * `npm run diff`, in a scratch git repository holding a copy of the prod cluster: a fresh
 * render of apps/ against clusters/ as committed at a ref. Most cases run in-process; the
 * CLI runs once for its output and once for its exit code on a bad ref.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DIFF_MARKER, formatDiffText, type ObjectChange } from '@db/delivery';
import { REPO_ROOT } from '../src/paths.ts';
import { renderedDiff } from '../src/rendered-diff.ts';

const BIN = join(REPO_ROOT, 'packages/platform/bin/db-platform.mjs');
const workspace = mkdtempSync(join(tmpdir(), 'db-platform-diff-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd: workspace, encoding: 'utf8' });
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: workspace, env: { ...process.env, DB_PLATFORM_WORKSPACE: workspace }, encoding: 'utf8', timeout: 170_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

mkdirSync(join(workspace, 'apps/prod'), { recursive: true });
cpSync(join(REPO_ROOT, 'apps/prod/platform.yaml'), join(workspace, 'apps/prod/platform.yaml'));
cpSync(join(REPO_ROOT, 'clusters/prod'), join(workspace, 'clusters/prod'), { recursive: true });
git('init', '-q');
git('add', '-A');
git('commit', '-qm', 'prod as rendered');
const platform = join(workspace, 'apps/prod/platform.yaml');
const good = readFileSync(platform, 'utf8');
const withNewTenant = good.replace('  - name: linkwarden\n', '  - name: newapp\n    postgres: { database: newapp }\n  - name: linkwarden\n');

function changesFor(text: string, ref = 'HEAD'): ObjectChange[] {
  writeFileSync(platform, text);
  try {
    const r = renderedDiff(workspace, ref);
    if (!r.ok) throw new Error(JSON.stringify(r.refused));
    return r.changes;
  } finally {
    writeFileSync(platform, good);
  }
}
const list = (changes: ObjectChange[]) => changes.map((c) => `${c.change} ${c.component} ${c.object}`);

describe('the rendered diff of a workspace', () => {
  it('is empty when the desired state renders to what is committed', () => {
    expect(changesFor(good)).toEqual([]);
  });

  it('shows what a new tenant adds and changes, in every component it touches', () => {
    const changes = changesFor(withNewTenant);
    expect(list(changes)).toContain('added postgres Database/dbaas/pg-cluster-newapp');
    expect(list(changes)).toContain('changed postgres Cluster/dbaas/pg-cluster');
    expect(changes.filter((c) => c.change === 'removed')).toEqual([]);
    // The GitOps wiring follows: the new tenant namespace joins the Argo CD project.
    expect(list(changes)).toContain('changed argocd AppProject/argocd/db-platform');
    const added = changes.find((c) => c.object === 'Database/dbaas/pg-cluster-newapp')!;
    expect(added.diff).toContain('+  name: newapp');
    expect(
      parse(
        added.diff
          .split('\n')
          .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
          .map((l) => l.slice(1))
          .join('\n'),
      ).spec.name,
    ).toBe('newapp');
  });

  it('shows deleted objects as removed', () => {
    const changes = changesFor(good.replace(/sqlite:\n( {2}- .*\n)+/, 'sqlite:\n  - { app: headscale, size: 1Gi }\n'));
    expect(list(changes)).toContain('removed sqlite PersistentVolumeClaim/vaultwarden/vaultwarden-sqlite');
    expect(formatDiffText('HEAD', changes)).toMatch(/^Rendered diff against HEAD: 0 added, \d+ changed, 4 removed/);
  });

  it('refuses a desired state that does not render, with positions', () => {
    writeFileSync(platform, good.replace('instances: 2 #', 'instances: zwei #'));
    const r = renderedDiff(workspace, 'HEAD');
    writeFileSync(platform, good);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.refused[0]!.problems[0]).toMatchObject({ field: 'postgres.instances', message: expect.stringContaining('must be integer') });
  });
});

describe('db-platform diff', () => {
  it('prints the Markdown the pull-request workflow posts', { timeout: 180_000 }, () => {
    writeFileSync(platform, withNewTenant);
    const r = cli(['diff', 'main', '--markdown']);
    writeFileSync(platform, good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(`${DIFF_MARKER}\n### Rendered diff against \`main\``)).toBe(true);
    expect(r.stdout).toMatch(/\| prod \| postgres \| 1 \| \d+ \| 0 \|/);
    expect(r.stdout).toContain('<details><summary>added <code>Database/dbaas/pg-cluster-newapp</code>');
  });

  it('exits 1 on an unknown ref', { timeout: 180_000 }, () => {
    const r = cli(['diff', 'no-such-branch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('git ref "no-such-branch" not found');
  });

  it('is what the workflow runs and posts, under the marker it looks for', () => {
    const workflow = parse(readFileSync(join(REPO_ROOT, '.github/workflows/ci.yml'), 'utf8'));
    const steps = workflow.jobs['rendered-diff'].steps as { run?: string; with?: { script?: string } }[];
    expect(steps.some((s) => s.run?.includes('npm run -s diff -- "origin/$BASE_REF" --markdown > rendered-diff.md'))).toBe(true);
    expect(steps.some((s) => s.with?.script?.includes(`const marker = '${DIFF_MARKER}'`))).toBe(true);
    expect(workflow.jobs['render-validate-test'].steps.some((s: { run?: string }) => s.run === 'bash .ci/run')).toBe(true);
  });
});
