/**
 * The in-cluster Job that applies the provisioning SQL (provisioning.ts). Its name carries
 * the hash of everything it runs, so a change is a new Job (a Job's template is immutable)
 * and the old one is pruned; an unchanged Job is never run again by Argo CD or Flux.
 * Re-running it would change nothing anyway.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { avoidNodesPodSpec, restrictedContainerSecurityContext, runHash, restrictedPodSecurityContext, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { mysqlLabels } from './labels.ts';
import { provisioningScript, provisioningSql } from './provisioning.ts';
import { MYSQL_PORT, MYSQL_UID } from './standalone.ts';

export class MysqlProvisioning extends Construct {
  constructor(scope: Construct, id: string, props: { my: MysqlModel; model: PlatformModel }) {
    super(scope, id);
    const { my, model } = props;
    const labels = mysqlLabels(my, 'provisioning');
    const sql = provisioningSql(my, model.cluster);
    const script = provisioningScript();
    const configName = `${my.name}-provisioning`;
    const q = (s: string) => k8s.Quantity.fromString(s);

    new k8s.KubeConfigMap(this, 'Sql', {
      metadata: { name: configName, namespace: my.namespace, labels },
      data: { 'provision.sh': script, 'provision.sql': sql },
    });

    const spec: k8s.JobSpec = {
      backoffLimit: 6,
      activeDeadlineSeconds: 1800,
      // No ttlSecondsAfterFinished: Flux would re-create a Job the TTL deleted at its next
      // reconcile and run it again. The finished Job stays until its hash changes, when the
      // new Job replaces it (Argo CD: BeforeHookCreation; Flux: pruned with the old name).
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(MYSQL_UID),
          ...avoidNodesPodSpec(model),
          containers: [
            {
              name: 'provision',
              // The server image: its mysql client always speaks the server's protocol.
              image: my.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/bash', '/provisioning/provision.sh'],
              env: [
                { name: 'MYSQL_HOST', value: my.name },
                { name: 'MYSQL_PORT', value: String(MYSQL_PORT) },
                { name: 'MYSQL_ADMIN_USER', value: 'root' },
                { name: 'MYSQL_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.root, key: my.rootPasswordKey } } },
                { name: 'EXPORTER_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.exporter, key: 'password' } } },
                { name: 'BACKUP_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.backup, key: 'password' } } },
                { name: 'PROVISION_SQL', value: '/provisioning/provision.sql' },
                { name: 'WAIT_SECONDS', value: '900' },
                { name: 'HOME', value: '/tmp' },
              ],
              securityContext: restrictedContainerSecurityContext(),
              resources: { requests: { cpu: q('50m'), memory: q('64Mi') }, limits: { memory: q('128Mi') } },
              volumeMounts: [
                { name: 'provisioning', mountPath: '/provisioning', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'provisioning', configMap: { name: configName, defaultMode: 0o555 } },
            { name: 'tmp', emptyDir: { sizeLimit: q('16Mi') } },
          ],
        },
      },
    };
    // A Job's pod template is immutable: the name carries a hash of everything the Job runs
    // (its spec, the script and the SQL), so any change is a new Job, never a refused update
    // (a mirror serving the same image is no change: Helm's global.imageRegistry keeps the name).
    const hash = runHash(spec, script, sql);
    new k8s.KubeJob(this, 'Job', {
      metadata: {
        name: `${my.name}-provision-${hash}`,
        namespace: my.namespace,
        labels,
        // A plain resource, not a Sync hook (hooks run again on every sync): created once per
        // hash, after the server (wave 0); Argo CD's Job health makes the wave wait for it.
        annotations: { 'argocd.argoproj.io/sync-wave': '1' },
      },
      spec,
    });
  }
}
