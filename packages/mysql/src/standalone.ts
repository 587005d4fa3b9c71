/**
 * Standalone MySQL (prod since the 2026-04-16 reversion from InnoDB Cluster): one
 * StatefulSet pod on block storage with a mysqld_exporter sidecar, the `mysql` service apps
 * connect to (its DNS name never changes) and my.cnf as a ConfigMap whose checksum rolls
 * the pod when it changes. No PDB: a single-replica PDB would only block node drains.
 */
import { EXPORTER_COLLECTORS } from './dashboard.ts';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { createHash } from 'node:crypto';
import { avoidNodesAffinity, versionlessLabels, PIN_ANNOTATIONS, PIN_LABELS, restrictedContainerSecurityContext, restrictedPodSecurityContext, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { mysqlLabels, serverPods } from './labels.ts';
import { standaloneMycnf } from './my-cnf.ts';

/** uid/gid of `mysql` in the Docker official image. */
export const MYSQL_UID = 999;
export const MYSQL_PORT = 3306;
export const EXPORTER_PORT = 9104;

const q = (s: string) => k8s.Quantity.fromString(s);

export interface MysqlStandaloneProps {
  readonly my: MysqlModel;
  readonly model: PlatformModel;
}

export class MysqlStandalone extends Construct {
  constructor(scope: Construct, id: string, props: MysqlStandaloneProps) {
    super(scope, id);
    const { my, model } = props;
    const labels = mysqlLabels(my, 'database');
    const mycnf = standaloneMycnf(my);
    const configName = `${my.name}-config`;
    const nodeAffinity = avoidNodesAffinity(model);

    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: configName, namespace: my.namespace, labels },
      data: { 'platform.cnf': mycnf },
    });

    // Readiness: a real query over TCP (the first-boot initialisation runs a socket-only
    // server, which must not count as ready). Liveness: mysqladmin ping, which succeeds
    // whenever mysqld answers, even with access denied, so a Secret change or a full
    // connection table never gets a healthy server killed.
    const readiness = ['/bin/bash', '-c', `MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mysql --protocol=TCP -h 127.0.0.1 -P ${MYSQL_PORT} -uroot --batch -e 'SELECT 1'`];
    const liveness = ['/bin/bash', '-c', `exec mysqladmin --protocol=TCP -h 127.0.0.1 -P ${MYSQL_PORT} --connect-timeout=5 ping`];

    new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: my.name, namespace: my.namespace, labels, annotations: { ...PIN_ANNOTATIONS } },
      spec: {
        replicas: 1,
        serviceName: `${my.name}-headless`,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: serverPods(my) },
        template: {
          metadata: {
            labels: { ...labels, ...PIN_LABELS },
            annotations: { ...PIN_ANNOTATIONS, 'db-platform.io/config-sha256': createHash('sha256').update(mycnf).digest('hex').slice(0, 16) },
          },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 120,
            securityContext: restrictedPodSecurityContext(MYSQL_UID, MYSQL_UID),
            ...(nodeAffinity ? { affinity: { nodeAffinity } } : {}),
            containers: [
              {
                name: 'mysql',
                image: my.image,
                imagePullPolicy: 'IfNotPresent',
                env: [
                  { name: 'MYSQL_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.root, key: my.rootPasswordKey } } },
                  { name: 'TZ', value: 'UTC' },
                ],
                ports: [{ name: 'mysql', containerPort: MYSQL_PORT, protocol: 'TCP' }],
                startupProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(MYSQL_PORT) }, periodSeconds: 10, failureThreshold: 90 },
                livenessProbe: { exec: { command: liveness }, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 },
                readinessProbe: { exec: { command: readiness }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                resources: {
                  requests: { cpu: q(my.resources.cpu), memory: q(my.resources.memory) },
                  limits: { memory: q(my.resources.memoryLimit) },
                },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/mysql' },
                  { name: 'config', mountPath: '/etc/mysql/conf.d', readOnly: true },
                  { name: 'run', mountPath: '/var/run/mysqld' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
              {
                name: 'exporter',
                image: my.exporterImage,
                imagePullPolicy: 'IfNotPresent',
                args: [`--mysqld.address=127.0.0.1:${MYSQL_PORT}`, `--mysqld.username=${my.users.exporter}`, `--web.listen-address=:${EXPORTER_PORT}`, ...EXPORTER_COLLECTORS],
                env: [{ name: 'MYSQLD_EXPORTER_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.exporter, key: 'password' } } }],
                ports: [{ name: 'metrics', containerPort: EXPORTER_PORT, protocol: 'TCP' }],
                livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(EXPORTER_PORT) }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
                readinessProbe: { httpGet: { path: '/', port: k8s.IntOrString.fromNumber(EXPORTER_PORT) }, periodSeconds: 15, timeoutSeconds: 5 },
                resources: { requests: { cpu: q('20m'), memory: q('32Mi') }, limits: { memory: q('64Mi') } },
                securityContext: restrictedContainerSecurityContext(),
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: configName } },
              { name: 'run', emptyDir: { sizeLimit: q('16Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: q('1Gi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: versionlessLabels(labels) },
            spec: { accessModes: ['ReadWriteOnce'], storageClassName: my.storage.storageClass, resources: { requests: { storage: q(my.storage.size) } } },
          },
        ],
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: { name: my.name, namespace: my.namespace, labels },
      spec: { type: 'ClusterIP', selector: serverPods(my), ports: [{ name: 'mysql', port: MYSQL_PORT, targetPort: k8s.IntOrString.fromString('mysql'), protocol: 'TCP' }] },
    });
    new k8s.KubeService(this, 'Headless', {
      metadata: { name: `${my.name}-headless`, namespace: my.namespace, labels },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: false,
        selector: serverPods(my),
        ports: [{ name: 'mysql', port: MYSQL_PORT, targetPort: k8s.IntOrString.fromString('mysql'), protocol: 'TCP' }],
      },
    });
  }
}
