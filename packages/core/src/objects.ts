/** Rendered objects: plain JSON, as cdk8s synthesised them, tagged with their component. */
import { readerOf, type CustomResourceFacts } from './engine.ts';

// Rendered objects are arbitrary Kubernetes JSON; rules and checks read them defensively.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

export interface RenderedObject {
  /** Output folder below clusters/<cluster>/: `platform` or an engine's id. */
  readonly component: string;
  readonly object: K8sObject;
}

/** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects: how waivers and messages name an object. */
export function objectRef(o: K8sObject): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/** The pod template of a core workload, if the object is one. */
export function podTemplate(o: K8sObject): { metadata?: K8sObject['metadata']; spec: Record<string, any> } | undefined {
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return o.spec?.template;
    case 'CronJob':
      return o.spec?.jobTemplate?.spec?.template;
    default:
      return undefined;
  }
}

/** Every container image an object runs, including those of operator custom resources. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function isPodSpec(v: unknown): v is Json {
  return isObj(v) && Array.isArray(v.containers) && v.containers.length > 0 && v.containers.every((c: unknown) => isObj(c) && typeof c.name === 'string');
}

/**
 * Every pod spec inside an object, wherever it is nested, with its path: found by shape
 * (a `containers` list of named containers), not by kind, so workloads, CronJobs and the
 * pod overlays of operator custom resources are all
 * found, and so is any kind added later.
 */
export function findPodSpecs(value: unknown, path: string[] = []): { path: string[]; spec: Json; parent: Json | undefined }[] {
  if (!isObj(value)) return [];
  const found: { path: string[]; spec: Json; parent: Json | undefined }[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (isPodSpec(v)) found.push({ path: [...path, k], spec: v, parent: value });
    else if (isObj(v)) found.push(...findPodSpecs(v, [...path, k]));
  }
  return found;
}

/** Every image an object names: its containers' wherever a pod spec sits, and what the engine's reader of the kind adds (an operand image). */
export function imagesOf(o: K8sObject, facts: CustomResourceFacts = {}): string[] {
  const images: string[] = [];
  for (const { spec } of findPodSpecs(o)) for (const c of [...(spec.initContainers ?? []), ...spec.containers]) if (typeof c.image === 'string') images.push(c.image);
  images.push(...(readerOf(facts, o)?.images?.(o) ?? []));
  return images;
}

/** Freezes a value and everything in it (the pipeline does so under tests: a stage that changes its input throws). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
