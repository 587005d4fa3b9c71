/**
 * The Helm way: charts/db-platform-<cluster>/ is rendered from the same files as
 * clusters/<cluster>/, lints with `helm lint --strict`, and `helm template` with default
 * values gives back every object of `kubectl kustomize clusters/<cluster>` byte for byte.
 * Values adapt it: an image mirror, common labels and annotations, components switched off.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readTree, type K8sObject } from '@db/core';
import { requirePrograms, run, findProgram } from '@db/core/testing';
import { GITOPS_COMPONENTS, escapeTemplateDelimiters } from '@db/delivery';
import { chartDirOf, outputDirOf, platformFileOf } from '../src/paths.ts';
import { chartFilesOf } from '../src/synth.ts';
import { renderFile, renderText } from '../src/render.ts';
import { appClusters } from './helpers.ts';

const clusters = appClusters();
const KUBE_VERSIONS = ['1.32.0', '1.37.0'];

/** The rendered object files a chart must reproduce: what the cluster's kustomization lists. */
function chartedFiles(cluster: string): Map<string, string> {
  const files = readTree(outputDirOf(cluster));
  return new Map([...files].filter(([path]) => path.includes('/') && !path.endsWith('kustomization.yaml') && ![...GITOPS_COMPONENTS].some((c) => path.startsWith(`${c}/`))));
}

describe.each(clusters)('charts/db-platform-%s', (cluster) => {
  it('is the committed output of npm run synth (golden)', () => {
    const rendered = renderFile(platformFileOf(cluster), cluster);
    if (!rendered.ok) throw new Error('refused');
    const expected = chartFilesOf(rendered);
    const committed = readTree(chartDirOf(cluster));
    expect([...committed.keys()].sort(), 'run `npm run synth` and commit charts/').toEqual([...expected.keys()].sort());
    for (const [path, content] of expected) expect(committed.get(path), `charts/db-platform-${cluster}/${path} differs: run npm run synth`).toBe(content);
  });

  it('has a SemVer version that carries a hash of its content, and one subchart per component', () => {
    const chart = parse(readFileSync(join(chartDirOf(cluster), 'Chart.yaml'), 'utf8'));
    expect(chart.version).toMatch(/^0\.1\.0\+[0-9a-f]{12}$/);
    const components = [...new Set([...chartedFiles(cluster).keys()].map((p) => p.split('/')[0]))].sort();
    expect(chart.dependencies.map((d: { name: string }) => d.name)).toEqual(components);
    for (const d of chart.dependencies) expect(parse(readFileSync(join(chartDirOf(cluster), 'charts', d.name, 'Chart.yaml'), 'utf8')).version).toBe(d.version);
  });
});

describe('escaping template delimiters', () => {
  it('prints every literal {{ and }} back, however they are nested', () => {
    expect(escapeTemplateDelimiters('{{ $labels.pod }}')).toBe('{{ "{{" }} $labels.pod {{ "}}" }}');
    expect(escapeTemplateDelimiters('a}}}b{{{c')).toBe('a{{ "}}" }}}b{{ "{{" }}{c');
  });
});

const helm = requirePrograms('helm lint and helm template of charts/', ['helm'], 'scripts/install-go-tools.sh builds helm v3.22.0');

describe.skipIf(!helm.available)('real Helm', () => {
  const HELM = findProgram('helm')!;
  const template = (cluster: string, args: string[] = [], kubeVersion = KUBE_VERSIONS[0]!) => run(HELM, ['template', 'db', chartDirOf(cluster), '--kube-version', kubeVersion, ...args]);
  /** `helm template` output → source path (below templates/ of a subchart, as component/file) → document text. */
  const documents = (out: string): Map<string, string> => {
    const docs = new Map<string, string>();
    for (const chunk of out.split(/^---\n/m).filter((c) => c.trim())) {
      const m = /^# Source: [^/]+\/charts\/([^/]+)\/templates\/([^\n]+)\n/.exec(chunk);
      if (!m) throw new Error(`unexpected helm output:\n${chunk.slice(0, 200)}`);
      docs.set(`${m[1]}/${m[2]}`, chunk.slice(m[0].length));
    }
    return docs;
  };
  const objectsOf = (docs: Map<string, string>) => [...docs.values()].map((d) => parse(d) as K8sObject);

  it.each(clusters)('helm lint --strict passes on the %s chart and on each of its subcharts', (cluster) => {
    const subcharts = readdirSync(join(chartDirOf(cluster), 'charts'));
    for (const dir of [chartDirOf(cluster), ...subcharts.map((s) => join(chartDirOf(cluster), 'charts', s))]) {
      for (const v of KUBE_VERSIONS) expect(run(HELM, ['lint', '--strict', '--kube-version', v, dir])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it.each(clusters)('helm template of the %s chart with default values gives back clusters/ byte for byte (Kubernetes 1.32 and 1.37)', (cluster) => {
    const expected = chartedFiles(cluster);
    for (const v of KUBE_VERSIONS) {
      const docs = documents(template(cluster, [], v));
      expect([...docs.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [path, content] of expected) expect(`${docs.get(path)}\n`.replace(/\n+$/, '\n'), path).toBe(content);
      // Literal template delimiters of the content survived (alert annotations use them).
      expect([...docs.values()].some((d) => d.includes('{{ $labels'))).toBe(true);
    }
  });

  it.each(clusters)('helm uninstall of the %s chart leaves namespaces, claims and database clusters behind', (cluster) => {
    const objects = objectsOf(documents(template(cluster)));
    const holding = objects.filter((o) => ['Namespace', 'PersistentVolumeClaim', 'Cluster', 'InnoDBCluster'].includes(o.kind));
    expect(holding.length).toBeGreaterThan(2);
    for (const o of holding) expect(o.metadata.annotations?.['helm.sh/resource-policy'], `${o.kind}/${o.metadata.name}`).toBe('keep');
  });

  it.each(clusters)('global.imageRegistry in the %s chart gives the images the platform renders for that registry', (cluster) => {
    const mirror = 'mirror.example.org:5000';
    const text = readFileSync(platformFileOf(cluster), 'utf8');
    const withMirror = /^imageRegistry: .*$/m.test(text) ? text.replace(/^imageRegistry: .*$/m, `imageRegistry: ${mirror}`) : text.replace(/^cluster: (.*)$/m, `cluster: $1\nimageRegistry: ${mirror}`);
    const rendered = renderText(withMirror, 'platform.yaml', cluster);
    if (!rendered.ok) throw new Error(JSON.stringify(rendered.problems));
    const expected = rendered.objects.filter((r) => !GITOPS_COMPONENTS.has(r.component)).map((r) => r.object);
    const actual = objectsOf(documents(template(cluster, ['--set', `global.imageRegistry=${mirror}`])));
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const sort = (l: K8sObject[]) => [...l].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sort(actual)).toEqual(sort(JSON.parse(JSON.stringify(expected))));
    const images = JSON.stringify(actual).match(/"image(Name|Repository)?":"[^"]+"/g) ?? [];
    expect(images.length).toBeGreaterThan(3);
    for (const i of images) expect(i).toContain(`"${mirror}/`);
  });

  it.each(clusters)('a component switched off in the %s chart is gone, the others stay', (cluster) => {
    const all = documents(template(cluster));
    const without = documents(template(cluster, ['--set', 'postgres.enabled=false']));
    const postgres = [...all.keys()].filter((p) => p.startsWith('postgres/'));
    expect(postgres.length).toBeGreaterThan(5);
    expect([...without.keys()].sort()).toEqual([...all.keys()].filter((p) => !p.startsWith('postgres/')).sort());
  });

  it.each(clusters)("common labels and annotations in the %s chart reach every object without replacing the platform's own", (cluster) => {
    const docs = objectsOf(
      documents(
        template(cluster, [
          '--set-json',
          'global.commonLabels={"team":"data","app.kubernetes.io/part-of":"other"}',
          '--set-json',
          'global.commonAnnotations={"owner":"dba@example.org","keel.sh/policy":"force"}',
        ]),
      ),
    );
    const plain = new Map(objectsOf(documents(template(cluster))).map((o) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]));
    for (const o of docs) {
      const before = plain.get(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)!;
      expect(o.metadata.labels).toEqual({ team: 'data', ...before.metadata.labels, ...(before.metadata.labels?.['app.kubernetes.io/part-of'] ? {} : { 'app.kubernetes.io/part-of': 'other' }) });
      expect(o.metadata.annotations).toEqual({ owner: 'dba@example.org', ...before.metadata.annotations, ...(before.metadata.annotations?.['keel.sh/policy'] ? {} : { 'keel.sh/policy': 'force' }) });
      expect({ ...o, metadata: {} }).toEqual({ ...before, metadata: {} });
    }
  });

  it('refuses values its values.schema.json does not allow', () => {
    const cluster = clusters[0]!;
    expect(() => template(cluster, ['--set', 'global.imageRegistry=Not A Registry'])).toThrow(/imageRegistry/);
    expect(() => template(cluster, ['--set', 'postgres.replicas=3'])).toThrow(/additional properties|replicas/i);
  });
});
