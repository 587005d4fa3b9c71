/**
 * A SQLite app's data volume: a PVC in the app's namespace on block storage. SQLite relies
 * on fsync() and POSIX locks that NFS does not provide reliably; the seeds' SQLite apps were
 * corrupted on NFS and moved to Proxmox LVM. The app mounts the claim by name.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { recommendedLabels } from '@db/core';
import type { SqliteVolumeProps } from './model.ts';

export const sqliteClaimName = (app: string) => `${app}-sqlite`;

export class SqliteVolume extends Construct {
  constructor(scope: Construct, id: string, props: SqliteVolumeProps) {
    super(scope, id);
    new k8s.KubePersistentVolumeClaim(this, 'Resource', {
      metadata: {
        name: sqliteClaimName(props.app),
        namespace: props.namespace,
        labels: { ...recommendedLabels({ name: 'sqlite', instance: props.app, component: 'sqlite' }), 'db-platform.io/tenant': props.app },
        // Deleting the claim from Git must not delete the database with it.
        annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: props.storageClass,
        resources: { requests: { storage: k8s.Quantity.fromString(props.size) } },
      },
    });
  }
}
