/**
 * The rendered diff of a change: objects added, changed and removed per cluster and
 * component between the output committed at a git ref and a fresh render, with the YAML
 * diff of each. Printed by `npm run diff` and, as Markdown, by CI as the job summary and
 * a pull-request comment.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import type { K8sObject } from '@db/core';
import { immutableChanges, type ImmutableChange } from './immutable.ts';

/** Cluster → (path below clusters/<cluster>/ → content). */
export type ClusterTrees = ReadonlyMap<string, ReadonlyMap<string, string>>;

export interface ObjectChange {
  readonly cluster: string;
  readonly component: string;
  /** File below clusters/<cluster>/. */
  readonly path: string;
  /** `Kind/namespace/name` or `Kind/name`. */
  readonly object: string;
  readonly change: 'added' | 'changed' | 'removed';
  /** Unified diff of the file (3 lines of context). */
  readonly diff: string;
  readonly linesAdded: number;
  readonly linesRemoved: number;
  /** Immutable fields the change touches: the object must be replaced, it cannot be synced in place. */
  readonly replace: readonly ImmutableChange[];
}

export const DIFF_MARKER = '<!-- db-platform-rendered-diff -->';

const git = (repo: string, args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });

/** The ref to compare with when none is given: origin/main, else main, else HEAD. */
export function defaultRef(repo: string): string {
  for (const ref of ['origin/main', 'main']) {
    if (spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repo, stdio: 'ignore' }).status === 0) return ref;
  }
  return 'HEAD';
}

/** The rendered trees committed at `ref` under `clustersDir` (a path from the repository root). */
export function committedTrees(repo: string, ref: string, clustersDir = 'clusters'): Map<string, Map<string, string>> {
  const verify = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repo, encoding: 'utf8' });
  if (verify.status !== 0) throw new Error(`git ref "${ref}" not found in ${repo} (fetch it first, e.g. git fetch origin main)`);
  const paths = git(repo, ['ls-tree', '-r', '-z', '--name-only', ref, '--', `${clustersDir}/`])
    .split('\0')
    .filter((p) => p.endsWith('.yaml'));
  const trees = new Map<string, Map<string, string>>();
  if (paths.length === 0) return trees;
  // One `git cat-file --batch` for every file.
  const out = execFileSync('git', ['cat-file', '--batch'], { cwd: repo, input: `${paths.map((p) => `${ref}:${p}`).join('\n')}\n`, maxBuffer: 256 * 1024 * 1024 });
  let offset = 0;
  for (const path of paths) {
    const eol = out.indexOf(0x0a, offset);
    const header = out.subarray(offset, eol).toString('utf8');
    const size = Number(header.split(' ')[2]);
    if (!Number.isFinite(size)) throw new Error(`git cat-file: unexpected header "${header}" for ${path}`);
    const content = out.subarray(eol + 1, eol + 1 + size).toString('utf8');
    offset = eol + 1 + size + 1;
    const rel = path.slice(clustersDir.length + 1);
    const slash = rel.indexOf('/');
    if (slash < 0) continue;
    const cluster = rel.slice(0, slash);
    if (cluster.startsWith('.')) continue;
    if (!trees.has(cluster)) trees.set(cluster, new Map());
    trees.get(cluster)!.set(rel.slice(slash + 1), content);
  }
  return trees;
}

const isObjectFile = (path: string) => path.includes('/') && path.endsWith('.yaml') && !path.endsWith('kustomization.yaml');

function parseObject(content: string | undefined): K8sObject | undefined {
  if (content === undefined) return undefined;
  try {
    const o = parse(content) as K8sObject | null;
    return o?.kind && o.metadata?.name ? o : undefined;
  } catch {
    return undefined; // not YAML: named by its file, never replaced
  }
}

function objectName(o: K8sObject | undefined, fallback: string): string {
  if (!o) return fallback;
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

/** Objects added, changed and removed from `before` to `after`, sorted by cluster, component, object. */
export function diffTrees(before: ClusterTrees, after: ClusterTrees): ObjectChange[] {
  const changes: ObjectChange[] = [];
  const clusters = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const cluster of clusters) {
    const a = before.get(cluster) ?? new Map<string, string>();
    const b = after.get(cluster) ?? new Map<string, string>();
    const paths = [...new Set([...a.keys(), ...b.keys()])].filter(isObjectFile).sort();
    for (const path of paths) {
      const old = a.get(path);
      const now = b.get(path);
      if (old === now) continue;
      const change = old === undefined ? 'added' : now === undefined ? 'removed' : 'changed';
      const d = unifiedDiff(old ?? '', now ?? '', `a/clusters/${cluster}/${path}`, `b/clusters/${cluster}/${path}`);
      const before = parseObject(old);
      const after = parseObject(now);
      const replace = before && after ? immutableChanges(before, after) : [];
      changes.push({ cluster, component: path.slice(0, path.lastIndexOf('/')), path, object: objectName(after ?? before, path), change, ...d, replace });
    }
  }
  return changes;
}

/** A unified diff of two texts, line by line (LCS), with `context` lines around each change. */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, context = 3): { diff: string; linesAdded: number; linesRemoved: number } {
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b === '' ? [] : b.replace(/\n$/, '').split('\n');
  // LCS table from the end; rendered files are a few hundred lines at most.
  const n = x.length;
  const m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: { op: ' ' | '-' | '+'; line: string; i: number; j: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push({ op: ' ', line: x[i]!, i: i++, j: j++ });
    else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: '-', line: x[i]!, i: i++, j });
    else ops.push({ op: '+', line: y[j]!, i, j: j++ });
  }
  const out: string[] = [`--- ${a === '' ? '/dev/null' : nameA}`, `+++ ${b === '' ? '/dev/null' : nameB}`];
  let added = 0;
  let removed = 0;
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.op === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while the next change is within 2 * context unchanged lines.
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === ' ') next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    const oldLines = hunk.filter((o) => o.op !== '+').length;
    const newLines = hunk.filter((o) => o.op !== '-').length;
    const oldStart = oldLines === 0 ? hunk[0]!.i : hunk[0]!.i + 1;
    const newStart = newLines === 0 ? hunk[0]!.j : hunk[0]!.j + 1;
    out.push(`@@ -${oldStart},${oldLines} +${newStart},${newLines} @@`);
    for (const o of hunk) {
      out.push(`${o.op}${o.line}`);
      if (o.op === '+') added++;
      if (o.op === '-') removed++;
    }
    k = stop;
  }
  return { diff: `${out.join('\n')}\n`, linesAdded: added, linesRemoved: removed };
}

interface Tally {
  added: number;
  changed: number;
  removed: number;
}

function tally(changes: readonly ObjectChange[]): Map<string, Tally> {
  const byComponent = new Map<string, Tally>();
  for (const c of changes) {
    const key = `${c.cluster}\0${c.component}`;
    const t = byComponent.get(key) ?? { added: 0, changed: 0, removed: 0 };
    t[c.change]++;
    byComponent.set(key, t);
  }
  return byComponent;
}

const total = (changes: readonly ObjectChange[]) => ({
  added: changes.filter((c) => c.change === 'added').length,
  changed: changes.filter((c) => c.change === 'changed').length,
  removed: changes.filter((c) => c.change === 'removed').length,
});

const SIGN = { added: '+', changed: '~', removed: '-' } as const;

/** `spec.serviceName, spec.volumeClaimTemplates are immutable: <how>` */
function replaceSummary(c: ObjectChange): string {
  const fields = c.replace.map((r) => (r.mutableSince ? `${r.field} (before Kubernetes ${r.mutableSince})` : r.field));
  const hows = [...new Set(c.replace.map((r) => r.how))];
  return `${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} immutable: ${hows.join('; ')}`;
}

/** For a terminal: one line per object, then its diff. */
export function formatDiffText(ref: string, changes: readonly ObjectChange[], withDiffs = true): string {
  const t = total(changes);
  const lines = [`Rendered diff against ${ref}: ${t.added} added, ${t.changed} changed, ${t.removed} removed`];
  const replaced = changes.filter((c) => c.replace.length > 0);
  if (replaced.length > 0) {
    lines.push('', `${replaced.length} object(s) need a replace: the API server refuses these changes in place, so a sync fails until each is replaced:`);
    for (const c of replaced) lines.push(`  ! ${c.cluster}: ${c.object}: ${replaceSummary(c)}`);
  }
  let current = '';
  for (const c of changes) {
    if (`${c.cluster}/${c.component}` !== current) {
      current = `${c.cluster}/${c.component}`;
      lines.push('', `${current}`);
    }
    lines.push(`  ${SIGN[c.change]} ${c.object} (+${c.linesAdded} -${c.linesRemoved})${c.replace.length > 0 ? ' NEEDS REPLACE' : ''}`);
    if (withDiffs)
      lines.push(
        ...c.diff
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `      ${l}`),
      );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * For GitHub (job summary, pull-request comment): a table per cluster and component, then
 * each object with its diff folded in <details>. Past `maxLength` characters the diffs are
 * left out (a comment holds 65536), the table and the object list stay.
 */
export function formatDiffMarkdown(ref: string, changes: readonly ObjectChange[], maxLength = 60_000): string {
  const t = total(changes);
  const head = [DIFF_MARKER, `### Rendered diff against \`${ref}\``, ''];
  if (changes.length === 0) return `${[...head, 'No rendered object is added, changed or removed.'].join('\n')}\n`;
  head.push(`**${t.added} added, ${t.changed} changed, ${t.removed} removed** objects.`, '', '| cluster | component | added | changed | removed |', '|---|---|---:|---:|---:|');
  for (const [key, c] of tally(changes)) {
    const [cluster, component] = key.split('\0');
    head.push(`| ${cluster} | ${component} | ${c.added} | ${c.changed} | ${c.removed} |`);
  }
  const replaced = changes.filter((c) => c.replace.length > 0);
  if (replaced.length > 0) {
    head.push('', `> [!WARNING]`, `> **${replaced.length} object(s) need a replace.** The API server refuses these changes in place, so a sync fails until each is replaced:`, '>');
    for (const c of replaced) head.push(`> - ${c.cluster}: <code>${c.object}</code>: ${replaceSummary(c).replace(/`/g, '')}`);
  }
  const body = (withDiffs: boolean) => {
    const out: string[] = [];
    let current = '';
    for (const c of changes) {
      if (`${c.cluster}/${c.component}` !== current) {
        current = `${c.cluster}/${c.component}`;
        out.push('', `#### ${current}`, '');
      }
      const summary = `${c.change} <code>${c.object}</code> (+${c.linesAdded} −${c.linesRemoved})${c.replace.length > 0 ? ' <strong>needs replace</strong>' : ''}`;
      if (withDiffs) out.push(`<details><summary>${summary}</summary>`, '', '```diff', c.diff.replace(/\n$/, '').replace(/```/g, '`\u200b``'), '```', '', '</details>');
      else out.push(`- ${summary}`);
    }
    return out;
  };
  const full = [...head, ...body(true)].join('\n');
  if (full.length <= maxLength) return `${full}\n`;
  return `${[...head, ...body(false), '', `_The YAML diffs are left out: they exceed ${maxLength} characters. Run \`npm run diff -- ${ref}\` to see them._`].join('\n')}\n`;
}
