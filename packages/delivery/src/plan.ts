/**
 * What the GitOps wiring of one cluster delivers, in which order: every rendered component
 * with its phase, and the operators the enabled engines need. Built from the engines and the
 * rendered objects, so a new engine (its component, its phase, its operators) is wired
 * without a change here.
 */
import {
  DELIVERY_PHASES,
  customResourceFactsOf,
  recommendedLabels,
  type CustomResourceFacts,
  type DeliveryPhase,
  type Engine,
  type GroupKind,
  type HelmOperator,
  type K8sObject,
  type PlatformModel,
  type RenderedObject,
} from '@db/core';
import type { DeliveryModel } from './model.ts';

export interface ComponentPlan {
  /** Output folder below clusters/<cluster>/, e.g. `platform` or an engine's id. */
  readonly id: string;
  readonly phase: DeliveryPhase;
  /** Folder from the repository root, e.g. `clusters/prod/platform`. */
  readonly path: string;
  readonly objects: readonly K8sObject[];
}

export interface DeliveryPlan {
  readonly delivery: DeliveryModel;
  /** Components in delivery order (phase, then name). */
  readonly components: readonly ComponentPlan[];
  /** Operators to install, by id; empty when `operators.install` is false. */
  readonly operators: readonly HelmOperator[];
  /** What the engines say about their custom resources (kinds to wait for, fields operators own). */
  readonly resources: CustomResourceFacts;
}

/** The folders that hold the GitOps wiring itself; bootstrapped, never listed by the cluster's kustomization. */
export const ARGOCD_COMPONENT = 'argocd';
/** The argocd-cm key, applied once by hand at bootstrap (argocd-health.ts). */
export const ARGOCD_BOOTSTRAP_COMPONENT = 'argocd/bootstrap';
export const FLUX_COMPONENT = 'flux';
export const FLUX_OPERATORS_COMPONENT = 'flux/operators';
export const GITOPS_COMPONENTS: ReadonlySet<string> = new Set([ARGOCD_COMPONENT, ARGOCD_BOOTSTRAP_COMPONENT, FLUX_COMPONENT, FLUX_OPERATORS_COMPONENT]);

/** The operators every enabled engine needs, once each, sorted by id. */
export function operatorsOf(model: PlatformModel, engines: readonly Engine[]): HelmOperator[] {
  const byId = new Map<string, HelmOperator>();
  for (const e of engines) if (e.enabled(model)) for (const o of e.operators?.(model) ?? []) if (!byId.has(o.id)) byId.set(o.id, o);
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export function planDelivery(delivery: DeliveryModel, model: PlatformModel, engines: readonly Engine[], objects: readonly RenderedObject[], platformComponent: string): DeliveryPlan {
  const phaseOf = new Map<string, DeliveryPhase>([[platformComponent, 'platform']]);
  for (const e of engines) phaseOf.set(e.id, e.phase ?? 'databases');
  const byComponent = new Map<string, K8sObject[]>();
  for (const r of objects) {
    const list = byComponent.get(r.component);
    if (list) list.push(r.object);
    else byComponent.set(r.component, [r.object]);
  }
  const components = [...byComponent].map(([id, list]) => {
    const phase = phaseOf.get(id);
    if (!phase) throw new Error(`component ${id} belongs to no engine: it has no place in the GitOps order`);
    return { id, phase, path: `clusters/${delivery.cluster}/${id}`, objects: list };
  });
  components.sort((a, b) => DELIVERY_PHASES.indexOf(a.phase) - DELIVERY_PHASES.indexOf(b.phase) || a.id.localeCompare(b.id));
  return { delivery, components, operators: delivery.operators.install ? operatorsOf(model, engines) : [], resources: customResourceFactsOf(engines) };
}

/** Argo CD sync wave of a phase: operators 0, platform 1, databases 2, tenants 3. */
export const waveOf = (phase: DeliveryPhase): number => DELIVERY_PHASES.indexOf(phase);

export function gitopsLabels(cluster: string): Record<string, string> {
  return recommendedLabels({ name: 'db-platform', instance: cluster, component: 'gitops' });
}

export function groupKindOf(o: K8sObject): GroupKind {
  const slash = o.apiVersion.indexOf('/');
  return { group: slash < 0 ? '' : o.apiVersion.slice(0, slash), kind: o.kind };
}

/** Unique group/kinds, sorted, for allow lists. */
export function uniqueKinds(kinds: Iterable<GroupKind>): GroupKind[] {
  const map = new Map<string, GroupKind>();
  for (const k of kinds) map.set(`${k.group}/${k.kind}`, { group: k.group, kind: k.kind });
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, k]) => k);
}

/** Chart values of an operator: the platform's, plus the image mirror of an air-gapped cluster. */
export function operatorValues(o: HelmOperator, imageRegistry: string | undefined): Record<string, unknown> {
  return deepMerge(structuredClone(o.values) as Record<string, unknown>, imageRegistry ? o.mirrorValues(imageRegistry) : {});
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(b)) {
    const old = a[k];
    a[k] = old && typeof old === 'object' && !Array.isArray(old) && v && typeof v === 'object' && !Array.isArray(v) ? deepMerge(old as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return a;
}

/** Where an operator's chart comes from: its upstream repository, or the cluster's mirror. */
export function chartSource(o: HelmOperator, mirror: string | undefined): { url: string; oci: boolean } {
  if (!mirror) return { url: o.chart.repository, oci: false };
  return { url: mirror, oci: mirror.startsWith('oci://') };
}
