/**
 * The operators the platform's objects need, each installed from its upstream Helm chart at
 * a pinned version (the version of the CRDs vendored under schemas/crds, see SOURCES.md).
 * Engines name the operators they need (`Engine.operators`, pinned in each engine's
 * `operator.ts`, bumped together with the vendored CRDs); @db/delivery turns the needs of a
 * cluster into Argo CD Applications or Flux HelmReleases.
 */
import type { PinnedImage } from './images.ts';

/** A Kubernetes kind by API group (`''` for the core group), as Argo CD projects list them. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface HelmOperator {
  /** Release name and id, e.g. `example-operator`. */
  readonly id: string;
  readonly description: string;
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /** Upstream chart: a classic Helm repository URL, the chart name and its pinned version. */
  readonly chart: { readonly repository: string; readonly name: string; readonly version: string };
  /** Operator version the chart installs (the vendored CRDs' version). */
  readonly appVersion: string;
  /** Chart values the platform sets (besides image mirroring). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Chart values that pull every operator image from `mirror` (air-gapped clusters). */
  readonly mirrorValues: (mirror: string) => Record<string, unknown>;
  /**
   * Every kind the chart renders with our values, read from the chart's templates at the
   * pinned version (each operator cites them), for the Argo CD project's allow lists: a
   * cluster-scoped kind missing there fails the operator's whole sync.
   */
  readonly kinds: { readonly cluster: readonly GroupKind[]; readonly namespaced: readonly GroupKind[] };
  /**
   * What the chart needs that no platform object provides: installed on the cluster first
   * (the generated docs and the README list them).
   */
  readonly prerequisites?: readonly { readonly name: string; readonly crds: readonly string[]; readonly reason: string }[];
}

export const gk = (group: string, kind: string): GroupKind => ({ group, kind });
/** Kinds operator charts commonly render, for `HelmOperator.kinds`. */
export const CHART_KINDS = {
  CRD: gk('apiextensions.k8s.io', 'CustomResourceDefinition'),
  CLUSTER_ROLE: gk('rbac.authorization.k8s.io', 'ClusterRole'),
  CLUSTER_ROLE_BINDING: gk('rbac.authorization.k8s.io', 'ClusterRoleBinding'),
  MUTATING_WEBHOOK: gk('admissionregistration.k8s.io', 'MutatingWebhookConfiguration'),
  VALIDATING_WEBHOOK: gk('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'),
  DEPLOYMENT: gk('apps', 'Deployment'),
  SERVICE: gk('', 'Service'),
  SERVICE_ACCOUNT: gk('', 'ServiceAccount'),
  CONFIG_MAP: gk('', 'ConfigMap'),
  SECRET: gk('', 'Secret'),
  ROLE: gk('rbac.authorization.k8s.io', 'Role'),
  ROLE_BINDING: gk('rbac.authorization.k8s.io', 'RoleBinding'),
} as const;

/** `registry/path` of a pinned image's repository with the registry replaced by the mirror. */
export const mirrored = (mirror: string, image: Pick<PinnedImage, 'repository'>) => `${mirror}/${image.repository}`;
