/**
 * kube-score (built by scripts/install-go-tools.sh) over every rendered file of every
 * cluster: zero findings, except the waivers of policy/workload-waivers.yaml, each with a
 * reason, and no waiver that matches nothing. kube-score reads the committed files, so it
 * scores exactly what Argo CD or Flux applies; the golden test proves they are current.
 */
import { existsSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readTree } from '@db/core';
import { findProgram, requirePrograms } from '@db/core/testing';
import { APPS_DIR, platformFileOf, outputDirOf } from '../src/index.ts';
import { loadWaivers } from './policy.ts';

const clusters = readdirSync(APPS_DIR)
  .filter((c) => existsSync(platformFileOf(c)))
  .sort();
const waivers = loadWaivers()['kube-score'];
const tool = requirePrograms('kube-score over the rendered workloads', ['kube-score'], 'bash scripts/install-go-tools.sh');

interface Finding {
  readonly object: string;
  readonly test: string;
  readonly grade: number;
  readonly detail: string;
}

interface ScoreResult {
  readonly objects: number;
  readonly checks: number;
  readonly findings: Finding[];
}

/** Runs kube-score on files and returns every check below OK (grade 10) that was not skipped. */
function score(files: readonly string[], extraArgs: readonly string[] = []): ScoreResult {
  const args = ['score', '-o', 'json', '--color', 'never', ...waivers.flags.map((f) => f.flag), ...waivers.ignoreTests.flatMap((t) => ['--ignore-test', t.test]), ...extraArgs, ...files];
  const r = spawnSync(findProgram('kube-score')!, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  // Exit 1 means "findings"; anything else, or no JSON, is kube-score failing.
  if (r.status !== 0 && r.status !== 1) throw new Error(`kube-score failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(r.stdout) as {
    type_meta: { kind: string };
    object_meta: { name: string; namespace?: string };
    checks: { check: { id: string }; grade: number; skipped: boolean; comments: { path: string; summary: string; description: string }[] | null }[];
  }[];
  const findings: Finding[] = [];
  let checks = 0;
  for (const o of report) {
    const ref = o.object_meta.namespace ? `${o.type_meta.kind}/${o.object_meta.namespace}/${o.object_meta.name}` : `${o.type_meta.kind}/${o.object_meta.name}`;
    for (const c of o.checks) {
      if (c.skipped) continue;
      checks++;
      if (c.grade >= 10) continue;
      findings.push({ object: ref, test: c.check.id, grade: c.grade, detail: (c.comments ?? []).map((m) => `${m.path ? `(${m.path}) ` : ''}${m.summary}`).join('; ') });
    }
  }
  return { objects: report.length, checks, findings };
}

function objectFiles(cluster: string): string[] {
  const dir = outputDirOf(cluster);
  return [...readTree(dir).keys()].filter((f) => f.endsWith('.yaml') && !f.endsWith('kustomization.yaml')).map((f) => join(dir, f));
}

describe.skipIf(!tool.available)('kube-score over every rendered workload', () => {
  const used = new Set<string>();
  const totals = { objects: 0, checks: 0, waived: 0, before: 0 };

  it.each(clusters)('clusters/%s: zero findings outside policy/workload-waivers.yaml', (cluster) => {
    const result = score(objectFiles(cluster));
    expect(result.objects).toBeGreaterThan(0);
    totals.objects += result.objects;
    totals.checks += result.checks;
    const open = result.findings.filter((f) => {
      const i = waivers.objects.findIndex((w) => w.test === f.test && w.objects.includes(`${cluster}:${f.object}`));
      if (i < 0) return true;
      used.add(`${i} ${cluster}:${f.object}`);
      totals.waived++;
      return false;
    });
    expect(open.map((f) => `${f.object} [${f.test}] ${f.detail}`)).toEqual([]);
  });

  it('has no object waiver that matches nothing', () => {
    const stale = waivers.objects.flatMap((w, i) => w.objects.filter((o) => !used.has(`${i} ${o}`)).map((o) => `${w.test} ${o}`));
    expect(stale).toEqual([]);
    console.log(
      `kube-score: ${totals.objects} objects, ${totals.checks} checks run, ${totals.waived} object findings waived; ` +
        `${waivers.flags.length} flags and ${waivers.ignoreTests.length} tests off for every object (policy/workload-waivers.yaml)`,
    );
  });

  it('finds what it should on a workload that breaks the rules (positive control)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-score-control-'));
    try {
      const file = join(dir, 'deployment.yaml');
      writeFileSync(
        file,
        [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata: { name: bad, namespace: x }',
          'spec:',
          '  replicas: 2',
          '  selector: { matchLabels: { app: bad } }',
          '  template:',
          '    metadata: { labels: { app: bad } }',
          '    spec:',
          '      containers:',
          '        - { name: c, image: "nginx:1.27.3", securityContext: { privileged: true } }',
          '',
        ].join('\n'),
      );
      const tests = new Set(score([file]).findings.map((f) => f.test));
      for (const t of ['container-resources', 'container-security-context-privileged', 'deployment-has-poddisruptionbudget', 'deployment-has-host-podantiaffinity', 'pod-networkpolicy'])
        expect(tests, t).toContain(t);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
