/**
 * The rendered diff, on real git repositories made in a scratch folder: what is committed at
 * a ref against new trees; the unified diffs apply with `git apply` and give the new file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { committedTrees, defaultRef, diffTrees, DIFF_MARKER, formatDiffMarkdown, formatDiffText, unifiedDiff } from '../src/diff.ts';

const scratch = mkdtempSync(join(tmpdir(), 'rendered-diff-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const git = (repo: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, encoding: 'utf8' });

function repoWith(files: Record<string, string>): string {
  const repo = mkdtempSync(join(scratch, 'repo-'));
  git(repo, 'init', '-q');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'rendered');
  return repo;
}

const obj = (kind: string, name: string, extra = '') => `# header\napiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: dbaas\n${extra}`;

describe('the rendered diff against a git ref', () => {
  const repo = repoWith({
    'clusters/prod/kustomization.yaml': 'resources: [postgres]\n',
    'clusters/prod/postgres/kustomization.yaml': 'resources: []\n',
    'clusters/prod/postgres/configmap-a.yaml': obj('ConfigMap', 'a', 'data:\n  x: "1"\n  y: "2"\n'),
    'clusters/prod/postgres/configmap-gone.yaml': obj('ConfigMap', 'gone'),
    'clusters/prod/postgres/configmap-same.yaml': obj('ConfigMap', 'same'),
    'clusters/lab/redis/service-r.yaml': obj('Service', 'r'),
    'README.md': 'not rendered\n',
  });

  it('reads every rendered file committed at the ref, by cluster', () => {
    const trees = committedTrees(repo, 'HEAD');
    expect([...trees.keys()].sort()).toEqual(['lab', 'prod']);
    expect([...trees.get('prod')!.keys()].sort()).toEqual([
      'kustomization.yaml',
      'postgres/configmap-a.yaml',
      'postgres/configmap-gone.yaml',
      'postgres/configmap-same.yaml',
      'postgres/kustomization.yaml',
    ]);
    expect(trees.get('prod')!.get('postgres/configmap-a.yaml')).toBe(obj('ConfigMap', 'a', 'data:\n  x: "1"\n  y: "2"\n'));
  });

  it('lists objects added, changed and removed per cluster and component; kustomizations and unchanged objects are left out', () => {
    const before = committedTrees(repo, 'HEAD');
    const after = new Map([
      [
        'prod',
        new Map([
          ['kustomization.yaml', 'resources: [postgres, flux/operators]\n'],
          ['postgres/configmap-a.yaml', obj('ConfigMap', 'a', 'data:\n  x: "1"\n  y: "3"\n')],
          ['postgres/configmap-same.yaml', obj('ConfigMap', 'same')],
          ['flux/operators/helmrelease-cnpg.yaml', obj('HelmRelease', 'cnpg')],
        ]),
      ],
    ]);
    const changes = diffTrees(before, after);
    expect(changes.map((c) => `${c.cluster} ${c.component} ${c.change} ${c.object} +${c.linesAdded}-${c.linesRemoved}`)).toEqual([
      'lab redis removed Service/dbaas/r +0-6',
      'prod flux/operators added HelmRelease/dbaas/cnpg +6-0',
      'prod postgres changed ConfigMap/dbaas/a +1-1',
      'prod postgres removed ConfigMap/dbaas/gone +0-6',
    ]);
    const text = formatDiffText('HEAD', changes);
    expect(text).toContain('Rendered diff against HEAD: 1 added, 1 changed, 2 removed');
    expect(text).toContain('  ~ ConfigMap/dbaas/a (+1 -1)');
    expect(text).toMatch(/- {2}y: "2"\n\s+\+ {2}y: "3"/);

    const md = formatDiffMarkdown('origin/main', changes);
    expect(md.startsWith(DIFF_MARKER)).toBe(true);
    expect(md).toContain('| prod | postgres | 0 | 1 | 1 |');
    expect(md).toContain('| prod | flux/operators | 1 | 0 | 0 |');
    expect(md).toContain('<details><summary>changed <code>ConfigMap/dbaas/a</code> (+1 −1)</summary>');
    expect(md).toContain('```diff\n--- a/clusters/prod/postgres/configmap-a.yaml\n+++ b/clusters/prod/postgres/configmap-a.yaml\n');
  });

  it('names the objects that need a replace (immutable fields), and only those', () => {
    const sts = (serviceName: string, replicas: number, image: string) =>
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: redis-v2\n  namespace: redis\nspec:\n  replicas: ${replicas}\n  serviceName: ${serviceName}\n  template:\n    spec:\n      containers:\n        - name: redis\n          image: ${image}\n`;
    const job = (image: string) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: provision\n  namespace: dbaas\nspec:\n  template:\n    spec:\n      containers:\n        - name: p\n          image: ${image}\n`;
    const before = new Map([
      [
        'lab',
        new Map([
          ['redis/statefulset-redis-v2.yaml', sts('redis-v2-headless', 3, 'redis:8.6.2')],
          ['redis/statefulset-other.yaml', sts('x', 1, 'redis:8.6.2').replace('redis-v2', 'other')],
          ['mysql/job-provision.yaml', job('mysql:8.4.4')],
        ]),
      ],
    ]);
    const after = new Map([
      [
        'lab',
        new Map([
          ['redis/statefulset-redis-v2.yaml', sts('redis-v2-peers', 3, 'redis:8.6.2')],
          ['redis/statefulset-other.yaml', sts('x', 2, 'redis:8.6.3').replace('redis-v2', 'other')],
          ['mysql/job-provision.yaml', job('mysql:8.4.5')],
        ]),
      ],
    ]);
    const changes = diffTrees(before, after);
    expect(changes.map((c) => [c.object, c.replace.map((r) => r.field)])).toEqual([
      ['Job/dbaas/provision', ['spec.template']],
      ['StatefulSet/redis/other', []],
      ['StatefulSet/redis/redis-v2', ['spec.serviceName']],
    ]);
    const text = formatDiffText('HEAD', changes, false);
    expect(text).toContain('2 object(s) need a replace');
    expect(text).toContain('  ! lab: StatefulSet/redis/redis-v2: spec.serviceName is immutable: delete it with `kubectl delete --cascade=orphan`');
    expect(text).toContain('  ~ StatefulSet/redis/redis-v2 (+1 -1) NEEDS REPLACE');
    expect(text).toContain('  ~ StatefulSet/redis/other (+2 -2)\n');
    const md = formatDiffMarkdown('main', changes);
    expect(md).toContain('**2 object(s) need a replace.**');
    expect(md).toContain('> - lab: <code>StatefulSet/redis/redis-v2</code>: spec.serviceName is immutable');
  });

  it('says so when nothing changed, and folds away diffs too long for a comment', () => {
    expect(formatDiffMarkdown('main', [])).toContain('No rendered object is added, changed or removed.');
    const big = diffTrees(
      new Map(),
      new Map([
        ['prod', new Map(Array.from({ length: 50 }, (_, i) => [`c/configmap-${i}.yaml`, obj('ConfigMap', `n${i}`, `data:\n${Array.from({ length: 50 }, (_, k) => `  k${k}: v\n`).join('')}`)]))],
      ]),
    );
    const md = formatDiffMarkdown('main', big, 10_000);
    expect(md.length).toBeLessThan(10_000);
    expect(md).not.toContain('<details>');
    expect(md).toContain('- added <code>ConfigMap/dbaas/n49</code>');
    expect(md).toContain('npm run diff -- main');
  });

  it('refuses an unknown ref with a hint', () => {
    expect(() => committedTrees(repo, 'origin/nope')).toThrow(/git ref "origin\/nope" not found.*git fetch/);
  });

  it('compares with origin/main, else main, else HEAD', () => {
    expect(defaultRef(repo)).toBe('main');
    git(repo, 'branch', '-m', 'main', 'trunk');
    expect(defaultRef(repo)).toBe('HEAD');
    git(repo, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    expect(defaultRef(repo)).toBe('origin/main');
  });
});

describe('unified diffs', () => {
  const cases: [string, string, string][] = [
    ['one line changed', 'a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nD\ne\nf\ng\nh\n'],
    [
      'changes far apart make two hunks',
      `${Array.from({ length: 30 }, (_, i) => `l${i}`).join('\n')}\n`,
      `${Array.from({ length: 30 }, (_, i) => (i === 2 || i === 25 ? `L${i}` : `l${i}`)).join('\n')}\n`,
    ],
    ['lines inserted at the start and removed at the end', 'x\ny\nz\n', 'new\nx\ny\n'],
    ['a new file', '', 'only\nnew\n'],
    ['a deleted file', 'old\nlines\n', ''],
    ['a rendered object edited in several places', obj('ConfigMap', 'a', 'data:\n  a: "1"\n  b: "2"\n  c: "3"\n'), obj('Secret', 'a', 'data:\n  a: "1"\n  c: "4"\n  d: "5"\n')],
  ];
  it.each(cases)('%s: applies with git apply and gives the new file', (_name, before, after) => {
    const repo = repoWith({ 'f.yaml': before || 'placeholder\n' });
    if (!before) rmSync(join(repo, 'f.yaml'));
    const { diff } = unifiedDiff(before, after, 'a/f.yaml', 'b/f.yaml');
    writeFileSync(join(scratch, 'change.patch'), diff);
    git(repo, 'apply', '--unidiff-zero', join(scratch, 'change.patch'));
    if (after) expect(readFileSync(join(repo, 'f.yaml'), 'utf8')).toBe(after);
    else expect(() => readFileSync(join(repo, 'f.yaml'))).toThrow();
  });
});
