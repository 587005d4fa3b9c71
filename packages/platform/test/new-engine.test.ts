/**
 * A new engine is one new folder plus one line in the engine list: the example engine
 * (test/fixtures/example-engine, shaped like an engine package) joins the platform's engines
 * and, with no other file changed, its section and tenant field are in the input schema (with
 * positions and its own hints for mistakes), its objects render and pass every check the
 * pipeline runs (guardrails, both Kubernetes schema versions, posture), its component gets the
 * GitOps wiring and a Helm chart, and the generated docs describe it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { platformJsonSchema } from '@db/core';
import { describeEngineConformance } from '@db/core/testing';
import { chartFilesOf } from '../src/synth.ts';
import { compose, ENGINES } from '../src/engines.ts';
import { DOCS_FILE, renderText } from '../src/render.ts';
import { platformFileOf } from '../src/paths.ts';
import { exampleEngine } from './fixtures/example-engine/index.ts';

// It passes the conformance suite every engine passes (its runbook is in its own folder).
describeEngineConformance({
  engine: exampleEngine,
  platformYaml: `${readFileSync(platformFileOf('prod'), 'utf8').replace(/\ntenants:\n[\s\S]*$/, '\n')}example: {}\ntenants:\n  - { name: notes, example: { bucket: notes1 } }\n`,
  runbooks: join(import.meta.dirname, 'fixtures', 'example-engine', 'runbooks'),
});

// The one line: the engine list with the new engine in it.
const platform = compose([...ENGINES, exampleEngine]);

const prod = readFileSync(platformFileOf('prod'), 'utf8');
const withExample = (section: string, bucket: string) => prod.replace('\ntenants:\n', `\nexample: ${section}\ntenants:\n  - name: notes\n    example: { bucket: ${bucket} }\n`);

describe('an engine added in one folder', () => {
  it('is part of the input schema: its section and its tenant field', () => {
    const schema = platformJsonSchema(platform.inputSchema.schema) as { properties: Record<string, any> };
    expect(schema.properties.example.description).toBe('An example key-value server.');
    expect(Object.keys(schema.properties.tenants.items.properties)).toContain('example');
  });

  it('renders, and its objects pass every check of the pipeline', () => {
    const r = renderText(withExample('{ memory: 96Mi }', 'notes1'), 'apps/prod/platform.yaml', 'prod', platform);
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 2));
    // Under tests the pipeline freezes what each stage hands on: no stage changed an object in place.
    expect(r.objects.every((o) => Object.isFrozen(o.object) && Object.isFrozen(o.object.metadata))).toBe(true);
    const mine = r.objects.filter((o) => o.component === 'example').map((o) => `${o.object.kind}/${o.object.metadata.name}`);
    expect(mine).toEqual(['StatefulSet/example', 'Service/example']);
    // The platform renders its namespace with the baseline policies, and the GitOps wiring delivers its folder.
    expect(r.files.get('platform/namespace-example.yaml')).toContain('pod-security.kubernetes.io/enforce: restricted');
    expect([...r.files.keys()].filter((f) => f.startsWith('example/'))).toEqual(['example/kustomization.yaml', 'example/service-example.yaml', 'example/statefulset-example.yaml']);
    expect(r.files.get('argocd/application-db-platform-example.yaml')).toContain('path: clusters/prod/example');
    expect(r.files.get('flux/kustomization-db-platform-example.yaml')).toContain('path: ./clusters/prod/example');
    // Its chart, described by the engine.
    expect(chartFilesOf(r, platform).get('charts/example/Chart.yaml')).toContain('An example key-value server');
    // The other engines' output is what it was.
    const before = renderText(prod, 'apps/prod/platform.yaml', 'prod');
    if (!before.ok) throw new Error('prod refused');
    for (const [file, text] of before.files)
      if (!file.startsWith('argocd/') && !file.startsWith('flux/') && file !== DOCS_FILE && file !== 'kustomization.yaml' && !file.startsWith('platform/')) expect(r.files.get(file), file).toBe(text);
  });

  it('documents itself: section, endpoint, users, alerts and diagram', () => {
    const r = renderText(withExample('{}', 'notes1'), 'apps/prod/platform.yaml', 'prod', platform);
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 2));
    const md = r.files.get(DOCS_FILE)!;
    for (const s of [
      '### Example',
      '`example.example.svc.cluster.local` | 7000 | Apps',
      '| notes | notes | Example | bucket notes1 | `example.example.svc.cluster.local:7000` |',
      '| `ExampleDown` |',
      'example_server["example-kv"]',
    ])
      expect(md).toContain(s);
  });

  it('refuses mistakes in its section and tenant field, with positions and its own hints', () => {
    const r = renderText(withExample('{ memroy: 96Mi }', 'No'), 'apps/prod/platform.yaml', 'prod', platform);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const problems = r.problems.map((p) => `${p.field}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
    expect(problems).toEqual([
      expect.stringMatching(/^example\.memroy: unknown field \(did you mean "memory"\?/),
      expect.stringMatching(/^tenants\[0\]\.example\.bucket: "No" is not valid \(a bucket name: 3 to 20 lowercase letters and digits\)$/),
    ]);
    for (const p of r.problems) expect(p.line).toBeGreaterThan(0);
    // Without the engine in the list, the section is unknown.
    const without = renderText(withExample('{}', 'notes1'), 'apps/prod/platform.yaml', 'prod');
    expect(without.ok).toBe(false);
  });
});
