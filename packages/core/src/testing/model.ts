/** Test helpers: a platform model from YAML text, and an engine's objects built in memory. */
import { Testing } from 'cdk8s';
import { loadPlatformText } from '../load.ts';
import { resolvePlatform, type PlatformModel } from '../model.ts';
import { formatProblems } from '../problems.ts';
import type { Engine } from '../engine.ts';
import type { K8sObject } from '../objects.ts';

export function modelFromYaml(text: string): PlatformModel {
  const loaded = loadPlatformText(text, 'test.yaml');
  if (!loaded.ok) throw new Error(`test input refused:\n${formatProblems(loaded.problems)}`);
  return resolvePlatform(loaded.value.input, loaded.value.source);
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
