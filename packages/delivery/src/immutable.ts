/**
 * Which changes the API server refuses to apply in place: fields of Kubernetes kinds that
 * are immutable once the object exists. A rendered change that touches one cannot be synced
 * by Argo CD, Flux or `kubectl apply`: the object must be replaced (deleted and created), and
 * for a StatefulSet that is done keeping its pods and claims (`--cascade=orphan`).
 *
 * These are the rules of the API server's own validation (pkg/apis/<group>/validation at the
 * Kubernetes versions we support, 1.32 to 1.37). The control-plane suite proves each rule against the real
 * API server of every version it builds, and proves that applying the previous render, then
 * the new one, fails exactly on the objects named here.
 */
import type { K8sObject } from '@db/core';

type Json = Record<string, unknown>;

/** One field path (dotted) whose value differs and cannot be changed in place. */
export interface ImmutableChange {
  readonly field: string;
  /** How to roll the change out. */
  readonly how: string;
  /** When only older API servers refuse it: the first Kubernetes minor that accepts it (e.g. `1.37`). */
  readonly mutableSince?: string;
}

const ORPHAN = 'delete it with `kubectl delete --cascade=orphan` (pods and claims stay and are adopted), then sync';
const RECREATE = 'delete it, then sync (it is created anew)';

interface KindRule {
  /** Fields compared; `spec.*` with `except` compares every spec field but those. */
  readonly fields?: readonly string[];
  readonly specExcept?: readonly string[];
  readonly how: string;
  /** Applies only when this is true of the old object. */
  readonly when?: (old: K8sObject) => boolean;
  /**
   * The first Kubernetes minor whose API server accepts these changes: the rule holds for the
   * older releases the platform supports (from 1.32), so a change is still named.
   */
  readonly mutableSince?: string;
}

/** By `group/kind` (`/kind` for the core group). */
const RULES: Readonly<Record<string, readonly KindRule[]>> = {
  // ValidateStatefulSetUpdate. At 1.37 (pkg/apis/apps/validation/validation.go:245-267) four
  // fields are immutable; at 1.32 (:171-192 of that release) every spec field but 'replicas',
  // 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and
  // 'minReadySeconds' is refused.
  'apps/StatefulSet': [
    { fields: ['spec.selector', 'spec.volumeClaimTemplates', 'spec.serviceName', 'spec.podManagementPolicy'], how: ORPHAN },
    {
      specExcept: [
        'replicas',
        'ordinals',
        'template',
        'updateStrategy',
        'persistentVolumeClaimRetentionPolicy',
        'minReadySeconds',
        'selector',
        'volumeClaimTemplates',
        'serviceName',
        'podManagementPolicy',
      ],
      how: ORPHAN,
      mutableSince: '1.37',
    },
  ],
  // ValidateDeploymentUpdate / ValidateDaemonSetUpdate (apps/v1): the selector is immutable.
  'apps/Deployment': [{ fields: ['spec.selector'], how: ORPHAN }],
  'apps/DaemonSet': [{ fields: ['spec.selector'], how: ORPHAN }],
  'apps/ReplicaSet': [{ fields: ['spec.selector'], how: ORPHAN }],
  // ValidateJobUpdate: the pod template, selector, completions, completion mode and the
  // failure, success and managed-by policies are fixed.
  'batch/Job': [
    {
      fields: ['spec.template', 'spec.selector', 'spec.completions', 'spec.completionMode', 'spec.podFailurePolicy', 'spec.backoffLimitPerIndex', 'spec.successPolicy', 'spec.managedBy'],
      how: RECREATE,
    },
  ],
  // ValidateService(Update): a ClusterIP, once allocated (or None), never changes.
  '/Service': [{ fields: ['spec.clusterIP', 'spec.clusterIPs'], how: RECREATE }],
  // ValidatePersistentVolumeUpdate: the volume source and node affinity are immutable.
  '/PersistentVolume': [{ specExcept: ['capacity', 'accessModes', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'mountOptions', 'volumeAttributesClassName'], how: RECREATE }],
  // ValidatePersistentVolumeClaimUpdate: only the requested size (up) and the attributes class change.
  '/PersistentVolumeClaim': [{ specExcept: ['resources', 'volumeAttributesClassName'], how: 'a claim cannot be replaced without losing its data: restore into a new claim' }],
  // ValidateConfigMapUpdate / ValidateSecretUpdate: immutable ones keep their data.
  '/ConfigMap': [{ fields: ['data', 'binaryData'], how: RECREATE, when: (o) => (o as Json).immutable === true }],
  '/Secret': [
    { fields: ['data', 'stringData'], how: RECREATE, when: (o) => (o as Json).immutable === true },
    { fields: ['type'], how: RECREATE },
  ],
  // ValidateRoleBindingUpdate / ValidateClusterRoleBindingUpdate: the role reference is fixed.
  'rbac.authorization.k8s.io/RoleBinding': [{ fields: ['roleRef'], how: RECREATE }],
  'rbac.authorization.k8s.io/ClusterRoleBinding': [{ fields: ['roleRef'], how: RECREATE }],
  // ValidateStorageClassUpdate.
  'storage.k8s.io/StorageClass': [{ fields: ['parameters', 'provisioner', 'reclaimPolicy', 'volumeBindingMode'], how: RECREATE }],
};

const groupKind = (o: K8sObject) => {
  const slash = o.apiVersion.indexOf('/');
  return `${slash < 0 ? '' : o.apiVersion.slice(0, slash)}/${o.kind}`;
};

function at(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Json)[k] : undefined;
  return v;
}

/** Deep equality of JSON values, key order ignored. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => same(x, (b as unknown[])[i]));
  const ka = Object.keys(a as Json).filter((k) => (a as Json)[k] !== undefined);
  const kb = Object.keys(b as Json).filter((k) => (b as Json)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => same((a as Json)[k], (b as Json)[k]));
}

/** The immutable fields `after` changes relative to `before` (the same object, as rendered then and now). */
export function immutableChanges(before: K8sObject, after: K8sObject): ImmutableChange[] {
  if (before.kind !== after.kind) return [];
  const rules = RULES[groupKind(before)] ?? [];
  const changes: ImmutableChange[] = [];
  for (const rule of rules) {
    if (rule.when && !rule.when(before)) continue;
    if (rule.fields) {
      for (const f of rule.fields) if (!same(at(before, f), at(after, f))) changes.push({ field: f, how: rule.how, ...(rule.mutableSince ? { mutableSince: rule.mutableSince } : {}) });
    }
    if (rule.specExcept) {
      const a = (before.spec ?? {}) as Json;
      const b = (after.spec ?? {}) as Json;
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !rule.specExcept!.includes(k)).sort();
      for (const k of keys) if (!same(a[k], b[k])) changes.push({ field: `spec.${k}`, how: rule.how, ...(rule.mutableSince ? { mutableSince: rule.mutableSince } : {}) });
    }
  }
  return changes;
}

/** The kinds and fields this module knows, for documentation and for the control-plane proofs. */
export const IMMUTABLE_RULES = RULES;
