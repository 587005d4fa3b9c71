/**
 * InnoDB Cluster through the MySQL Operator: `instances` Group Replication members on
 * block storage, kept one per node by a required anti-affinity (soft anti-affinity let the
 * scheduler co-locate Redis pods and one node took quorum down, 2026-04-22) and off the GPU
 * node, and MySQL Router in front. The operator names the router service after the
 * cluster, so apps keep connecting to `mysql.<namespace>`.
 *
 * The operator creates the metrics user of its mysqld_exporter sidecar itself (socket
 * authentication), and `spec.secretName` (the root account: keys `rootPassword`, optionally
 * `rootUser` and `rootHost`) is created out of band. The operator owns its pods' selector
 * labels; ours go on them only where they do not collide (operator-contract.ts).
 * Backups use the platform's mysqldump CronJob (backup.ts) rather than the operator's
 * `backupSchedules`: it has retention, reports to the Pushgateway the backup alerts read,
 * and is the same script, tested against a real server, for both topologies.
 */
import { EXPORTER_COLLECTORS } from './dashboard.ts';
import { Construct } from 'constructs';
import { avoidNodesAffinity, PIN_ANNOTATIONS, PIN_LABELS, type PlatformModel } from '@db/core';
import { InnoDbCluster, InnoDbClusterSpecServiceDefaultPort, InnoDbClusterSpecServiceType } from './imports/mysql.oracle.com.ts';
import type { MysqlModel } from './model.ts';
import { mysqlLabels, routerPods, serverPods } from './labels.ts';
import { mysqldTuning } from './my-cnf.ts';
import { EXPORTER_PORT } from './standalone.ts';
import { isOperatorOwnedLabel } from './operator-contract.ts';

/** Our pod labels minus the keys the operator owns (its selectors): see operator-contract.ts. */
const podLabelsFor = (labels: Record<string, string>) => Object.fromEntries(Object.entries({ ...labels, ...PIN_LABELS }).filter(([k]) => !isOperatorOwnedLabel(k)));

export interface MysqlInnoDbClusterProps {
  readonly my: MysqlModel;
  readonly model: PlatformModel;
}

/** Container settings requested for the operator's server and router containers. */
const OPERATOR_CONTAINER_SECURITY = { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };

export class MysqlInnoDbCluster extends Construct {
  constructor(scope: Construct, id: string, props: MysqlInnoDbClusterProps) {
    super(scope, id);
    const { my, model } = props;
    const labels = mysqlLabels(my, 'database');
    const nodeAffinity = avoidNodesAffinity(model);
    const antiAffinity = (pods: Record<string, string>) => ({
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: pods }, topologyKey: 'kubernetes.io/hostname' }],
    });

    new InnoDbCluster(this, 'Resource', {
      metadata: { name: my.name, namespace: my.namespace, labels, annotations: { ...PIN_ANNOTATIONS } },
      spec: {
        secretName: my.secrets.root,
        tlsUseSelfSigned: true,
        version: my.version,
        edition: 'community',
        imageRepository: my.operatorImageRepository,
        imagePullPolicy: 'IfNotPresent',
        instances: my.instances,
        mycnf: ['[mysqld]', ...mysqldTuning(my), ''].join('\n'),
        datadirVolumeClaimTemplate: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: my.storage.storageClass,
          resources: { requests: { storage: my.storage.size } },
        },
        podLabels: podLabelsFor(labels),
        podAnnotations: { ...PIN_ANNOTATIONS },
        // The operator creates the pods and its `fixdatadir` init container chowns the data
        // volume as root (so the namespace enforces `baseline`); what the podSpec merge lets us
        // request for the server and router containers is the restricted profile.
        podSpec: {
          terminationGracePeriodSeconds: 120,
          // No pod-wide runAsNonRoot: it would stop the operator's root init container.
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          affinity: { ...(nodeAffinity ? { nodeAffinity } : {}), podAntiAffinity: antiAffinity(serverPods(my)) },
          containers: [
            {
              name: 'mysql',
              securityContext: OPERATOR_CONTAINER_SECURITY,
              resources: { requests: { cpu: my.resources.cpu, memory: my.resources.memory }, limits: { memory: my.resources.memoryLimit } },
            },
          ],
        },
        router: {
          instances: my.routerInstances,
          version: my.operatorRouterVersion,
          podLabels: podLabelsFor(mysqlLabels(my, 'proxy')),
          podAnnotations: { ...PIN_ANNOTATIONS },
          podSpec: {
            affinity: { ...(nodeAffinity ? { nodeAffinity } : {}), podAntiAffinity: antiAffinity(routerPods(my)) },
            // No pod-wide runAsNonRoot: it would stop the operator's root init container.
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{ name: 'router', securityContext: OPERATOR_CONTAINER_SECURITY, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } }],
          },
        },
        service: { type: InnoDbClusterSpecServiceType.CLUSTER_IP, defaultPort: InnoDbClusterSpecServiceDefaultPort.MYSQL_HYPHEN_RW },
        metrics: {
          enable: true,
          image: my.exporterImage,
          monitor: false,
          options: [`--web.listen-address=:${EXPORTER_PORT}`, ...EXPORTER_COLLECTORS],
        },
      },
    });
  }
}
