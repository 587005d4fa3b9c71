import type { PlatformModel } from '@db/core';

/** Required node affinity keeping pods off `scheduling.avoidNodes` (the GPU node). */
export function avoidNodesAffinity(model: PlatformModel) {
  if (model.avoidNodes.length === 0) return undefined;
  return {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: [...model.avoidNodes] }] }],
    },
  };
}
