/**
 * Pod Security Standards `restricted`, as used by every pod template db-platform renders:
 * non-root, no privilege escalation, every capability dropped, RuntimeDefault seccomp,
 * read-only root filesystem (writable paths are explicit emptyDir or data volumes).
 */
import type * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';

export function restrictedPodSecurityContext(uid: number, fsGroup?: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    ...(fsGroup !== undefined ? { fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
