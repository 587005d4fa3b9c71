/**
 * The conformance suite every engine passes (each engine's test/conformance.test.ts runs it on
 * a desired state that enables it): what the platform relies on of any engine, checked the
 * same way for all of them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../engine.ts';
import { customResourceFactsOf, inputSchemaOf } from '../engine.ts';
import { runGuardrails } from '../guardrails.ts';
import { runbookFile } from '../monitoring.ts';
import type { K8sObject } from '../objects.ts';
import { checkPosture } from '../posture.ts';
import { CORE_RULES } from '../rules.ts';
import { KUBERNETES_VERSIONS, SchemaValidator } from '../validate.ts';
import { modelFromYaml, synthEngine } from './model.ts';
import { Document, parse, parseDocument, stringify } from 'yaml';
import { parseFieldPath } from '../problems.ts';
import { defaultsOf, withDefaultsSpelledOut } from '../schema.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

export interface ConformanceCase {
  /** The engine under test. */
  readonly engine: Engine;
  /** The engines it needs beside it (a rotator needs the engines whose logins it rotates). */
  readonly with?: readonly Engine[];
  /** A desired state that enables the engine, with tenants that use it. */
  readonly platformYaml: string;
  /** Where the runbooks of its alerts are. @default docs/runbooks of this repository */
  readonly runbooks?: string;
}

export function describeEngineConformance({ engine, with: others = [], platformYaml, runbooks = join(REPO_ROOT, 'docs', 'runbooks') }: ConformanceCase): void {
  const engines = [...others, engine];
  const model = modelFromYaml(platformYaml, engines, { othersOpaque: true });
  const objects = synthEngine(engine, model);
  const facts = customResourceFactsOf(engines);

  describe(`engine ${engine.id}: conformance`, () => {
    it('declares its part of platform.yaml, which composes with the shared sections', () => {
      expect(engine.id).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(engine.schema?.section, 'an engine has a section of its own in platform.yaml').toBeDefined();
      const { schema } = inputSchemaOf(engines);
      expect(Object.keys(schema.properties)).toContain(engine.id);
      if (engine.schema?.tenant) expect(Object.keys((schema.properties.tenants as unknown as { items: { properties: object } }).items.properties)).toContain(engine.id);
      expect(engine.description, 'the Helm chart of its component needs a description').toMatch(/\S/);
    });

    it('is enabled by its section and accepts the desired state', () => {
      expect(engine.enabled(model)).toBe(true);
      expect(engine.check(model)).toEqual([]);
    });

    it('renders labelled objects, deterministically', () => {
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) expect(o.metadata.labels?.['app.kubernetes.io/managed-by'], `${o.kind}/${o.metadata.name}`).toBe('db-platform');
      expect(JSON.stringify(synthEngine(engine, model))).toBe(JSON.stringify(objects));
    });

    it.each(KUBERNETES_VERSIONS)('renders only objects valid against the Kubernetes %s schemas and the pinned CRDs', (version) => {
      const validator = new SchemaValidator(version, join(REPO_ROOT, 'schemas'));
      expect(objects.flatMap((o: K8sObject) => validator.validate(o)).map((e) => `${e.object}: ${e.message}`)).toEqual([]);
    });

    it('meets the workload posture (Pod Security Standards restricted and the workload rules) and every guardrail', () => {
      expect(checkPosture(objects).map((f) => `${f.rule} ${f.object} ${f.container}: ${f.message}`)).toEqual([]);
      const report = runGuardrails([...CORE_RULES, ...engine.rules], { model, objects: objects.map((object) => ({ component: engine.id, object })), facts });
      expect(report.errors.map((p) => p.message)).toEqual([]);
    });

    it('gives every alert a severity, a summary, a description and a runbook that exists', () => {
      for (const a of engine.alerts(model)) {
        expect(a.summary, a.alert).toMatch(/\S/);
        expect(a.description, a.alert).toMatch(/\S/);
        expect(['critical', 'warning', 'info']).toContain(a.severity);
        expect(existsSync(join(runbooks, runbookFile(a.alert))), join(runbooks, runbookFile(a.alert))).toBe(true);
      }
    });

    it('writes each default once: spelling out every default its schema declares renders the same objects', () => {
      // The schema's defaults (withDefaults) and the model's (`?? DEFAULTS.x`) are one value: a
      // model that fell back to another would render this desired state differently.
      const doc = parse(platformYaml) as { tenants?: Record<string, unknown>[] } & Record<string, unknown>;
      const { section, tenant } = engine.schema ?? {};
      if (section && doc[engine.id] !== undefined) doc[engine.id] = withDefaultsSpelledOut(doc[engine.id], section);
      if (tenant) for (const t of doc.tenants ?? []) if (t[engine.id] !== undefined) t[engine.id] = withDefaultsSpelledOut(t[engine.id], tenant);
      const declares = [section, tenant].some((schema) => schema && Object.keys(defaultsOf(schema)).length > 0);
      if (declares) expect(stringify(doc), 'the conformance case leaves at least one default out').not.toBe(stringify(parse(platformYaml)));
      // A default of a field another topology uses (mysql.router under standalone) is refused
      // when spelled out: the check says it does not apply. Such a field is left out again, and
      // only such a field: whatever the case itself wrote must still pass.
      const original = parseDocument(platformYaml);
      const spelledOut = new Document(doc);
      for (const problem of engine.check(modelFromYaml(spelledOut.toString(), engines, { othersOpaque: true }))) {
        expect(original.getIn(parseFieldPath(problem.field)), `${problem.field}: ${problem.message}`).toBeUndefined();
        spelledOut.deleteIn(parseFieldPath(problem.field));
      }
      const explicit = modelFromYaml(spelledOut.toString(), engines, { othersOpaque: true });
      expect(engine.check(explicit)).toEqual([]);
      expect(JSON.stringify(synthEngine(engine, explicit))).toBe(JSON.stringify(objects));
    });

    it('documents itself: every user points at a node of its diagram', () => {
      const docs = engine.docs?.(model);
      if (!docs) return;
      expect(docs.title).toMatch(/\S/);
      const nodes = new Set(docs.graph.nodes.map((n) => n.id));
      for (const u of docs.users) expect(nodes, `${u.tenant} → ${u.node}`).toContain(u.node);
      for (const e of docs.graph.edges) for (const id of [e.from, e.to]) expect(nodes, id).toContain(id);
    });

    it('declares readers and kept kinds only for custom resources (core reads Kubernetes kinds by shape)', () => {
      const kinds = [...(engine.resources?.kinds ?? []), ...(engine.resources?.keepOnUninstall ?? []), ...(engine.resources?.readyCondition ?? [])];
      for (const k of kinds) expect(k.group, `${k.group}/${k.kind}`).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
      for (const k of kinds) expect(k.group, `${k.group}/${k.kind}`).not.toMatch(/(^|\.)k8s\.io$/);
    });
  });
}
