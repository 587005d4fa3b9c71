/** Scheduling and sizing helpers every engine uses for its pods. */
import type * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import type { PlatformModel } from './model.ts';

/**
 * Required node affinity keeping pods off `scheduling.avoidNodes` (the GPU node); the
 * `database-on-gpu-node` guardrail checks exactly this shape.
 */
export function avoidNodesAffinity(model: PlatformModel): k8s.NodeAffinity | undefined {
  if (model.avoidNodes.length === 0) return undefined;
  return {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: [...model.avoidNodes] }] }],
    },
  };
}

/**
 * The pod-spec fields that keep any pod the platform runs (servers, backups, provisioning,
 * push jobs) off `scheduling.avoidNodes`: spread into a pod spec without affinity of its own.
 */
export function avoidNodesPodSpec(model: PlatformModel): { affinity?: k8s.Affinity } {
  const nodeAffinity = avoidNodesAffinity(model);
  return nodeAffinity ? { affinity: { nodeAffinity } } : {};
}

/** Memory in MiB of a Kubernetes quantity such as 768Mi, 2Gi or 512M. */
export function mebibytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, T: 1e12 / 1048576, '': 1 / 1048576 };
  return Number(m[1]) * factor[m[2] ?? '']!;
}
