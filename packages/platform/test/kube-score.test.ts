/**
 * kube-score (built by scripts/install-go-tools.sh) over every rendered file of every
 * cluster: zero findings, except the waivers of policy/workload-waivers.yaml, each with a
 * reason, and no waiver that matches nothing. kube-score reads the committed files, so it
 * scores exactly what Argo CD or Flux applies; the golden test proves they are current.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree } from '@db/core';
import { findProgram, requirePrograms } from '@db/core/testing';
import { outputDirOf } from '../src/paths.ts';
import { kubeScore, verifyKubeScore } from '../src/verify.ts';
import { appClusters, problemIn, repositoryWaivers } from './helpers.ts';

const clusters = appClusters();
const waivers = repositoryWaivers();
const tool = requirePrograms('kube-score over the rendered workloads', ['kube-score'], 'bash scripts/install-go-tools.sh');

const score = (files: readonly string[]) => kubeScore(findProgram('kube-score')!, files, waivers.waivers);

describe.skipIf(!tool.available)('kube-score over every rendered workload (verify.ts, as synth runs it)', () => {
  const totals = { objects: 0, checks: 0, waived: 0 };

  it.each(clusters)('clusters/%s: zero findings outside policy/workload-waivers.yaml, and no object waiver that matches nothing', (cluster) => {
    // The committed files, as Argo CD or Flux applies them (the golden test proves they are current).
    const verdict = verifyKubeScore(cluster, readTree(outputDirOf(cluster)), waivers, problemIn(cluster));
    if (!verdict.ran) throw new Error(verdict.why);
    expect(verdict.result.objects).toBeGreaterThan(0);
    totals.objects += verdict.result.objects;
    totals.checks += verdict.result.checks;
    totals.waived += verdict.waived;
    expect(verdict.problems.map((p) => p.message)).toEqual([]);
  });

  it('reports an object waiver that matches nothing', () => {
    const extra = { test: 'service-targets-pod', objects: ['prod:Service/nowhere/nothing'], reason: 'a reason that is long enough to be accepted' };
    const stale = { ...waivers, waivers: { ...waivers.waivers, 'kube-score': { ...waivers.waivers['kube-score'], objects: [...waivers.waivers['kube-score'].objects, extra] } } };
    const verdict = verifyKubeScore('prod', readTree(outputDirOf('prod')), stale, problemIn('prod'));
    expect(verdict.problems.map((p) => p.message)).toEqual(['kube-score waiver for service-targets-pod on prod:Service/nowhere/nothing matches nothing']);
    console.log(
      `kube-score: ${totals.objects} objects, ${totals.checks} checks run, ${totals.waived} object findings waived; ` +
        `${waivers.waivers['kube-score'].flags.length} flags and ${waivers.waivers['kube-score'].ignoreTests.length} tests off for every object (policy/workload-waivers.yaml)`,
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
