/**
 * The sync policies that suit databases, shared by the Argo CD and Flux wiring.
 */
import { RUN_ONCE_LABEL, type CustomResourceFacts, type GroupKind, type K8sObject, type OwnedFields } from '@db/core';
import { groupKindOf, uniqueKinds } from './plan.ts';

/**
 * Kinds whose deletion loses data: a PersistentVolumeClaim, and a Namespace (deleting one
 * deletes every claim in it). A sync never prunes them and deleting an Application or a
 * Kustomization never deletes them: whoever removes a database does it by hand.
 */
export const KEEP_KINDS: readonly GroupKind[] = [
  { group: '', kind: 'Namespace' },
  { group: '', kind: 'PersistentVolumeClaim' },
];

export const ARGOCD_KEEP_ANNOTATION = { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' } as const;
export const FLUX_KEEP_ANNOTATION = { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } as const;

/** The keep-kinds present among a component's objects. */
export function keptKindsIn(objects: readonly K8sObject[]): GroupKind[] {
  const present = uniqueKinds(objects.map(groupKindOf));
  return KEEP_KINDS.filter((k) => present.some((p) => p.group === k.group && p.kind === k.kind));
}

/** A strategic-merge patch adding `annotations` to every object of a kind (kustomize ignores the name when a target is given). */
export function annotationPatch(k: GroupKind, annotations: Readonly<Record<string, string>>): string {
  const lines = [`apiVersion: ${k.group ? `${k.group}/v1` : 'v1'}`, `kind: ${k.kind}`, 'metadata:', '  name: any', '  annotations:'];
  for (const [key, value] of Object.entries(annotations)) lines.push(`    ${key}: ${JSON.stringify(value)}`);
  return `${lines.join('\n')}\n`;
}

export interface IgnoredFields {
  readonly group: string;
  readonly kind: string;
  /** Only these objects (all of the kind when absent). */
  readonly name?: string;
  readonly namespace?: string;
  readonly jqPathExpressions: readonly string[];
}

/**
 * Fields that something else than Git owns once the object exists. Argo CD compares and
 * syncs without them (with `RespectIgnoreDifferences=true`), so a sync never fights the
 * controller that sets them. Fields we set and may change stay out of this list: ignoring
 * them would also stop our own changes.
 */
export const KUBERNETES_OWNED_FIELDS: readonly OwnedFields[] = [
  {
    group: '',
    kind: 'PersistentVolumeClaim',
    jqPathExpressions: ['.spec.resources.requests.storage'],
    only: (o) => Object.keys(o.metadata.annotations ?? {}).some((k) => k.startsWith('resize.topolvm.io/')),
    reason: 'pvc-autoresizer grows these claims; a sync must never try to shrink one',
  },
  {
    group: 'apps',
    kind: 'StatefulSet',
    jqPathExpressions: ['.spec.volumeClaimTemplates[]?.status', '.spec.volumeClaimTemplates[]?.metadata.creationTimestamp'],
    reason: 'the API server fills these in on the (immutable) claim templates',
  },
  {
    group: 'batch',
    kind: 'Job',
    jqPathExpressions: ['.spec'],
    only: (o) => o.metadata.labels?.[RUN_ONCE_LABEL] === 'true',
    reason: 'a one-shot Job (a restore) runs once: its spec is immutable, and a later render (a new image) must neither fail the sync nor run it again',
  },
];

/** Fields owned by Kubernetes and then by the engines' operators (`CustomResourceFacts.ownedFields`), on the objects present. */
export function ignoredFieldsIn(objects: readonly K8sObject[], facts: CustomResourceFacts = {}): IgnoredFields[] {
  const out: IgnoredFields[] = [];
  for (const f of [...KUBERNETES_OWNED_FIELDS, ...(facts.ownedFields ?? [])]) {
    const matching = objects.filter((o) => groupKindOf(o).group === f.group && o.kind === f.kind);
    if (matching.length === 0) continue;
    if (!f.only) out.push({ group: f.group, kind: f.kind, jqPathExpressions: f.jqPathExpressions });
    else
      for (const o of matching.filter(f.only).sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))) {
        out.push({ group: f.group, kind: f.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), jqPathExpressions: f.jqPathExpressions });
      }
  }
  return out;
}

/**
 * Kinds whose deletion by `helm uninstall` would delete data: the keep-kinds, and the kinds
 * the engines name (an operator that deletes a database cluster's claims with it).
 */
export function helmKeepKinds(facts: CustomResourceFacts): GroupKind[] {
  return [...KEEP_KINDS, ...(facts.keepOnUninstall ?? [])];
}
export const HELM_KEEP_ANNOTATION = { 'helm.sh/resource-policy': 'keep' } as const;

/**
 * The objects with the ones `helm uninstall` must leave behind marked. Written on the objects
 * themselves (Argo CD, Flux and kubectl ignore it), so the charts stay byte for byte the
 * rendered files. Returns new objects for the marked ones; the input is not changed.
 */
export function keptOnUninstall<T extends { readonly object: K8sObject }>(objects: readonly T[], facts: CustomResourceFacts): T[] {
  const keep = helmKeepKinds(facts);
  return objects.map((r) => {
    const gk = groupKindOf(r.object);
    if (!keep.some((k) => k.group === gk.group && k.kind === gk.kind)) return r;
    const annotations = { ...r.object.metadata.annotations, ...HELM_KEEP_ANNOTATION };
    const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { ...r, object: { ...r.object, metadata: { ...r.object.metadata, annotations: sorted } } };
  });
}
