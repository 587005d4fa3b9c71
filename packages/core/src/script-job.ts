/**
 * The pod of a script Job (backups, restore drills, restores, a retired tenant's final dump, a purge): the
 * script from a ConfigMap, the engine's backup folder, a small scratch /tmp, the restricted
 * Pod Security Standard, off the avoided nodes, resources bounded. One spec, so every
 * one-shot Job of every engine runs the same way.
 */
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import type { PlatformModel } from './model.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security.ts';
import { avoidNodesPodSpec } from './scheduling.ts';

export interface ScriptJobPodProps {
  readonly model: PlatformModel;
  /** The container's name. */
  readonly name: string;
  readonly image: string;
  readonly runAsUser: number;
  /** The ConfigMap holding the script, and its key. */
  readonly scriptMap: string;
  readonly scriptKey: string;
  /** Arguments after the script. */
  readonly args?: readonly string[];
  readonly env: readonly k8s.EnvVar[];
  /** The claim of the engine's backup folder, mounted at /backup (none: no backup folder). */
  readonly backupClaim?: string;
  readonly backupReadOnly?: boolean;
  /** Size of a scratch emptyDir mounted at /scratch (the restore drill's throw-away server). @default none */
  readonly scratch?: string;
  /** @default { cpu: '100m', memory: '256Mi' } */
  readonly resources?: { cpu: string; memory: string };
}

export function scriptJobPod(props: ScriptJobPodProps): k8s.PodSpec {
  const resources = props.resources ?? { cpu: '100m', memory: '256Mi' };
  return {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    securityContext: restrictedPodSecurityContext(props.runAsUser),
    ...avoidNodesPodSpec(props.model),
    containers: [
      {
        name: props.name,
        image: props.image,
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/bash', `/scripts/${props.scriptKey}`, ...(props.args ?? [])],
        env: [...props.env],
        securityContext: restrictedContainerSecurityContext(),
        resources: {
          requests: { cpu: k8s.Quantity.fromString(resources.cpu), memory: k8s.Quantity.fromString(resources.memory) },
          limits: { memory: k8s.Quantity.fromString(resources.memory) },
        },
        volumeMounts: [
          { name: 'script', mountPath: '/scripts', readOnly: true },
          ...(props.backupClaim ? [{ name: 'backup', mountPath: '/backup', ...(props.backupReadOnly ? { readOnly: true } : {}) }] : []),
          ...(props.scratch ? [{ name: 'scratch', mountPath: '/scratch' }] : []),
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
    ],
    volumes: [
      { name: 'script', configMap: { name: props.scriptMap, defaultMode: 0o555 } },
      ...(props.backupClaim ? [{ name: 'backup', persistentVolumeClaim: { claimName: props.backupClaim, ...(props.backupReadOnly ? { readOnly: true } : {}) } }] : []),
      ...(props.scratch ? [{ name: 'scratch', emptyDir: { sizeLimit: k8s.Quantity.fromString(props.scratch) } }] : []),
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
    ],
  };
}
