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

const _minor = (v: string) => Number(v.split('.')[1]);

export const KNOWN_DEFECTS = {
  // None open. Closed: External Secrets 2.9.0's CRDs refused below Kubernetes 1.32 (the
  // platform's floor is now 1.32); InnoDBCluster podLabels refused by apps/v1 validation.
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
  // None open. Closed: PersistentVolume spec.volumeMode (immutable, now in IMMUTABLE_RULES);
  // StatefulSet spec.revisionHistoryLimit (immutable only before 1.31, below the floor of 1.32).
];
