/**
 * kubeconform -strict, offline, against Kubernetes 1.32 and 1.37 and the pinned CRDs: every
 * rendered file of clusters/ (the GitOps folders included) and what `helm template` makes of
 * every chart. It also refuses what it must: an unknown field in a core kind and in a custom
 * kind, and a kind without a schema.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_VERSIONS, readTree } from '@db/core';
import { findProgram, requirePrograms } from '@db/core/testing';
import { kubeconformArgs, parseKubeconformOutput, writeKubeconformSchemas, type KubeconformSchemas } from '@db/delivery';
import { CLUSTERS_DIR, SCHEMA_ROOT, chartDirOf, outputDirOf } from '../src/paths.ts';
import { appClusters } from './helpers.ts';

const clusters = appClusters();
const tools = requirePrograms('kubeconform of clusters/ and charts/', ['kubeconform', 'helm'], 'scripts/install-go-tools.sh builds kubeconform v0.7.0 and helm v3.22.0');

describe.skipIf(!tools.available)('kubeconform -strict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconform-'));
  let schemas: KubeconformSchemas;
  beforeAll(() => {
    schemas = writeKubeconformSchemas(SCHEMA_ROOT, join(dir, 'schemas'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const kubeconform = (version: string, paths: string[]) => {
    const r = spawnSync(findProgram('kubeconform')!, kubeconformArgs(schemas, version, paths), { encoding: 'utf8' });
    return { status: r.status, ...parseKubeconformOutput(version, r.stdout) };
  };
  const objectFileCount = [...readTree(CLUSTERS_DIR)].filter(([p]) => p.endsWith('.yaml') && !p.endsWith('kustomization.yaml') && !p.startsWith('.')).length;

  it('generates a schema for every Kubernetes kind of both versions and every served CRD version', () => {
    expect(schemas.counts['v1.32']).toBeGreaterThan(200);
    expect(schemas.counts['v1.37']).toBeGreaterThan(schemas.counts['v1.32']!);
    expect(schemas.counts.crds).toBeGreaterThanOrEqual(30);
  });

  it.each(KUBERNETES_VERSIONS)('passes every rendered file of clusters/ against Kubernetes %s', (version) => {
    const r = kubeconform(version, clusters.map(outputDirOf));
    expect(r.problems).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.valid).toBe(objectFileCount);
    expect(r.invalid + r.errors + r.skipped).toBe(0);
  });

  it.each(KUBERNETES_VERSIONS)('passes what helm template makes of every chart against Kubernetes %s', (version) => {
    for (const cluster of clusters) {
      const out = join(dir, `helm-${cluster}-${version}.yaml`);
      const h = spawnSync(findProgram('helm')!, ['template', 'db', chartDirOf(cluster), '--kube-version', version.slice(1)], { encoding: 'utf8' });
      expect(h.status, h.stderr).toBe(0);
      writeFileSync(out, h.stdout);
      const r = kubeconform(version, [out]);
      expect(r.problems).toEqual([]);
      expect(r.valid).toBeGreaterThan(40);
    }
  });

  it('fails unknown fields in core and custom kinds, and kinds without a schema', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'service.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: n }\nspec: { tipe: ClusterIP, ports: [{ port: 80 }] }\n');
    writeFileSync(join(bad, 'application.yaml'), 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: a, namespace: argocd }\nspec: { project: p, destination: {}, sourcee: {} }\n');
    writeFileSync(
      join(bad, 'kustomization-flux.yaml'),
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: k, namespace: flux-system }\nspec: { interval: 10m, prune: yes-please, sourceRef: { kind: GitRepository, name: x } }\n',
    );
    writeFileSync(join(bad, 'unknown.yaml'), 'apiVersion: example.org/v1\nkind: Gadget\nmetadata: { name: g }\n');
    const r = kubeconform('v1.32', [bad]);
    expect(r.status).not.toBe(0);
    expect(r.invalid).toBe(3);
    expect(r.errors).toBe(1);
    expect(r.problems.join('\n')).toMatch(/Service s: Invalid: .*tipe/);
    expect(r.problems.join('\n')).toMatch(/Application a: Invalid: .*sourcee/);
    expect(r.problems.join('\n')).toMatch(/Gadget g: Error: .*could not find schema/);
  });
});
