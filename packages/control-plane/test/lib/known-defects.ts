/**
 * Defects the suite found that the lead must fix (not test-harness issues). The test that shows
 * one runs as `it.fails` where the defect applies, under a name that says so, so the suite stays
 * green while it is open and turns red the day it is fixed (then delete the entry).
 */
import { it } from 'vitest';

export interface KnownDefect {
  readonly id: string;
  readonly summary: string;
  /** The Kubernetes versions it shows on. */
  readonly on: (kubeVersion: string) => boolean;
}

const minor = (v: string) => Number(v.split('.')[1]);

export const KNOWN_DEFECTS = {
  /**
   * External Secrets 2.9.0 (pinned in packages/delivery) publishes CRDs that Kubernetes 1.28
   * refuses: externalsecrets.external-secrets.io sets `spec.versions[].selectableFields` (CRD
   * field selectors: beta in 1.31, GA in 1.32), and two CEL rules of pushsecrets exceed 1.28's
   * cost budget. Its support table (docs/introduction/stability-support.md @v2.9.0) lists only
   * 1.34+ for every 2.x release, while our Helm charts declare kubeVersion >=1.28.0-0 and
   * `npm run validate` targets 1.28: with Vault on, a 1.28 cluster cannot install the CRDs
   * our ExternalSecrets and ClusterSecretStore need.
   */
  esoCrdsOn128: { id: 'eso-2.9-crds-need-kubernetes-1.32', summary: 'KNOWN DEFECT (lead): External Secrets 2.9.0 CRDs are refused by Kubernetes < 1.32', on: (v: string) => minor(v) < 32 },
} satisfies Record<string, KnownDefect>;

/** `it`, or `it.fails` with the defect in the name where it applies. */
export function itUnless(defect: KnownDefect, kubeVersion: string): typeof it {
  if (!defect.on(kubeVersion)) return it;
  return ((name: string, fn: () => unknown, timeout?: number) => it.fails(`${defect.summary} [${defect.id}]: ${name}`, fn, timeout)) as unknown as typeof it;
}

/** A rule of IMMUTABLE_RULES (@db/delivery) the real API server disagrees with. */
export interface RuleDisagreement extends KnownDefect {
  readonly rule: string;
  readonly field: string;
}

export const KNOWN_RULE_DISAGREEMENTS: readonly RuleDisagreement[] = [
  {
    // ValidatePersistentVolumeUpdate: ValidateImmutableField(newPv.Spec.VolumeMode, oldPv.Spec.VolumeMode)
    // (pkg/apis/core/validation/validation.go:1999 at v1.28.15, :2313 at v1.37.2).
    id: 'immutable-rules-pv-volumemode',
    summary: "IMMUTABLE_RULES treats a PersistentVolume's spec.volumeMode as mutable; the API server refuses the change",
    rule: '/PersistentVolume',
    field: 'spec.volumeMode',
    on: () => true,
  },
  {
    // ValidateStatefulSetUpdate at v1.28.15 (pkg/apis/apps/validation/validation.go:171-192; the
    // same at v1.29.15 and v1.30.14) allows only replicas, ordinals, template, updateStrategy,
    // persistentVolumeClaimRetentionPolicy and minReadySeconds; later releases added
    // revisionHistoryLimit, and v1.37.2 (:245-267) names the four immutable fields instead.
    id: 'immutable-rules-sts-revisionhistorylimit-1.28',
    summary: "IMMUTABLE_RULES treats a StatefulSet's spec.revisionHistoryLimit as mutable; Kubernetes 1.28-1.30 refuse the change",
    rule: 'apps/StatefulSet',
    field: 'spec.revisionHistoryLimit',
    on: (v: string) => minor(v) <= 30,
  },
];
