/** Test helpers: a platform model from YAML text, and an engine's objects built in memory. */
import { Testing } from 'cdk8s';
import { Type } from '@sinclair/typebox';
import { parse } from 'yaml';
import { loadPlatformText } from '../load.ts';
import { resolvePlatform, type PlatformModel, type Services } from '../model.ts';
import { formatProblems } from '../problems.ts';
import { composePlatformSchema } from '../schema.ts';
import { inputSchemaOf, operatorNamespaceDefaultsOf, servicesOf, type Engine } from '../engine.ts';
import type { K8sObject } from '../objects.ts';

/**
 * A model from YAML, checked against the shared sections and the schema of `engines`. With
 * `othersOpaque`, sections and tenant fields of engines not given pass unchecked (an engine's
 * tests can load a whole cluster's platform.yaml without depending on every other engine).
 */
export function modelFromYaml(text: string, engines: readonly Engine[] = [], options: { othersOpaque?: boolean; services?: Services } = {}): PlatformModel {
  let input = inputSchemaOf(engines);
  if (options.othersOpaque) {
    const doc = (parse(text) ?? {}) as { tenants?: Record<string, unknown>[] } & Record<string, unknown>;
    const known = new Set([...Object.keys(input.schema.properties), ...engines.map((e) => e.id)]);
    const tenantKnown = new Set(['name', 'namespace', 'description', ...engines.map((e) => e.id)]);
    const sections = Object.keys(doc).filter((k) => !known.has(k));
    const tenantFields = [...new Set((doc.tenants ?? []).flatMap((t) => Object.keys(t)))].filter((k) => !tenantKnown.has(k));
    const parts = engines.flatMap((e) => (e.schema ? [{ id: e.id, ...e.schema }] : []));
    const opaque = [...new Set([...sections, ...tenantFields])].map((id) => ({ id, section: Type.Unknown(), ...(tenantFields.includes(id) ? { tenant: Type.Unknown() } : {}) }));
    input = { schema: composePlatformSchema([...parts, ...opaque]), patternHints: input.patternHints };
  }
  const loaded = loadPlatformText(text, 'test.yaml', input);
  if (!loaded.ok) throw new Error(`test input refused:\n${formatProblems(loaded.problems)}`);
  return resolvePlatform(loaded.value.input, loaded.value.source, operatorNamespaceDefaultsOf(engines), { ...servicesOf(engines, loaded.value.input), ...options.services });
}

/** The objects one engine renders for a model, synthesised in memory (no files). */
export function synthEngine(engine: Engine, model: PlatformModel): K8sObject[] {
  const chart = Testing.chart();
  engine.build(chart, model);
  return Testing.synth(chart) as K8sObject[];
}

export const findObject = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
