/**
 * The rendered GitOps wiring, checked with the real kustomize (kubectl kustomize): the
 * patches that keep claims and namespaces from being pruned apply to every such object of
 * the component they name, as Argo CD and Flux will apply them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { readTree, type K8sObject } from '@db/core';
import { requirePrograms, run } from '@db/core/testing';
import { ARGOCD_KEEP_ANNOTATION, FLUX_KEEP_ANNOTATION, KEEP_KINDS } from '@db/delivery';
import { REPO_ROOT, outputDirOf } from '../src/paths.ts';
import { appClusters } from './helpers.ts';

const clusters = appClusters();
const scratch = mkdtempSync(join(tmpdir(), 'gitops-patches-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every Argo CD Application and Flux Kustomization of a cluster that points at a component folder. */
function wiring(cluster: string): { tool: string; name: string; path: string; patches: { patch: string; target: { kind: string } }[] }[] {
  const out: ReturnType<typeof wiring> = [];
  for (const [file, text] of readTree(outputDirOf(cluster))) {
    if (!file.endsWith('.yaml') || file.endsWith('kustomization.yaml')) continue;
    const o = parse(text) as K8sObject;
    if (o.kind === 'Application' && o.spec.source.path?.startsWith(`clusters/${cluster}/`) && !o.spec.source.path.endsWith('/argocd'))
      out.push({ tool: 'argocd', name: o.metadata.name, path: o.spec.source.path, patches: o.spec.source.kustomize?.patches ?? [] });
    if (o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/') && !/\/flux(\/operators)?$/.test(o.spec.path))
      out.push({ tool: 'flux', name: o.metadata.name, path: o.spec.path.replace(/^\.\//, ''), patches: o.spec.patches ?? [] });
  }
  return out;
}

const kubectl = requirePrograms('kustomize patches of the GitOps wiring', ['kubectl'], 'install kubectl');
describe.skipIf(!kubectl.available)('keep patches, applied by kustomize', () => {
  it.each(clusters)('mark every claim and namespace of clusters/%s as never pruned, for each tool', (cluster) => {
    const apps = wiring(cluster);
    expect(apps.length).toBeGreaterThan(4);
    let kept = 0;
    for (const app of apps) {
      const dir = mkdtempSync(join(scratch, `${app.tool}-`));
      writeFileSync(join(dir, 'kustomization.yaml'), stringify({ resources: [relative(dir, join(REPO_ROOT, app.path))], patches: app.patches }));
      const objects = parseAllDocuments(run('kubectl', ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', dir])).map((d) => d.toJS() as K8sObject);
      const expected = app.tool === 'argocd' ? ARGOCD_KEEP_ANNOTATION : FLUX_KEEP_ANNOTATION;
      for (const o of objects) {
        const keep = KEEP_KINDS.some((k) => k.kind === o.kind && (o.apiVersion === 'v1') === (k.group === ''));
        if (keep) {
          expect(o.metadata.annotations, `${app.name}: ${o.kind}/${o.metadata.name}`).toMatchObject(expected);
          kept++;
        } else for (const key of Object.keys(expected)) expect(o.metadata.annotations?.[key], `${app.name}: ${o.kind}/${o.metadata.name} must not be patched`).toBeUndefined();
      }
    }
    expect(kept).toBeGreaterThan(2);
  });
});
