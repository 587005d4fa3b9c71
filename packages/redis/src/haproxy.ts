/** HAProxy (sentinel topology): the only path clients use, behind the `redis-master` service. */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { avoidNodesAffinity, PIN_ANNOTATIONS, PIN_LABELS, restrictedContainerSecurityContext, restrictedPodSecurityContext, type PlatformModel } from '@db/core';
import { podHost, type RedisModel } from './model.ts';
import { haproxyCfg } from './haproxy-cfg.ts';
import { proxyPods, redisLabels } from './labels.ts';
import { HAPROXY_UID } from './images.ts';
import { checksum, governingService, q } from './redis-statefulset.ts';

export function kubernetesHaproxyCfg(redis: RedisModel): string {
  return haproxyCfg(redis, {
    // Sentinels report a node by its name under the governing (peers) service; HAProxy
    // connects through the node's ready-only service.
    nodes: Array.from({ length: redis.replicas }, (_, i) => ({
      announced: podHost(redis, i, governingService(redis)),
      port: 6379,
      address: `${redis.services.node(i)}.${redis.namespace}.svc.cluster.local`,
    })),
    sentinels: Array.from({ length: redis.replicas }, (_, i) => `${redis.name}-sentinel-${i}.${redis.namespace}.svc.cluster.local:26379`),
    resolver: 'kubernetes',
  });
}

export class RedisHaproxy extends Construct {
  constructor(scope: Construct, id: string, props: { redis: RedisModel; model: PlatformModel }) {
    super(scope, id);
    const { redis, model } = props;
    const labels = redisLabels(redis, 'proxy');
    const files = { 'haproxy.cfg': kubernetesHaproxyCfg(redis) };
    const name = redis.haproxy.name;
    new k8s.KubeConfigMap(this, 'Config', { metadata: { name, namespace: redis.namespace, labels }, data: files });
    const nodeAffinity = avoidNodesAffinity(model);
    new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name, namespace: redis.namespace, labels },
      spec: {
        replicas: redis.haproxy.replicas,
        selector: { matchLabels: proxyPods(redis) },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: { ...labels, ...PIN_LABELS }, annotations: { ...PIN_ANNOTATIONS, 'db-platform.io/config-sha256': checksum(files) } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(HAPROXY_UID),
            affinity: {
              ...(nodeAffinity ? { nodeAffinity } : {}),
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: proxyPods(redis) } } }],
              },
            },
            containers: [
              {
                name: 'haproxy',
                image: redis.haproxyImage,
                imagePullPolicy: 'IfNotPresent',
                command: ['haproxy', '-W', '-db', '-f', '/usr/local/etc/haproxy/haproxy.cfg'],
                env: [{ name: 'REDIS_PROBE_PASSWORD', valueFrom: { secretKeyRef: { name: redis.users.find((u) => u.name === 'probe')!.secret, key: 'password' } } }],
                ports: [
                  { name: 'redis', containerPort: 6379, protocol: 'TCP' },
                  { name: 'health', containerPort: 8404, protocol: 'TCP' },
                ],
                resources: { requests: { cpu: q('50m'), memory: q('64Mi') }, limits: { memory: q('128Mi') } },
                securityContext: restrictedContainerSecurityContext(),
                livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(8404) }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                readinessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromNumber(8404) }, periodSeconds: 5, timeoutSeconds: 3 },
                volumeMounts: [
                  { name: 'config', mountPath: '/usr/local/etc/haproxy', readOnly: true },
                  { name: 'run', mountPath: '/var/run' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name } },
              { name: 'run', emptyDir: { sizeLimit: q('8Mi') } },
            ],
          },
        },
      },
    });
    new k8s.KubePodDisruptionBudget(this, 'Pdb', {
      metadata: { name, namespace: redis.namespace, labels },
      spec: { minAvailable: k8s.IntOrString.fromNumber(Math.min(2, redis.haproxy.replicas - 1)), selector: { matchLabels: proxyPods(redis) }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    // The client endpoint, under the name it always had. It selects HAProxy, never a redis
    // pod: a selector that can reach a replica sent writes to it on 2026-04-04 (READONLY).
    new k8s.KubeService(this, 'Master', {
      metadata: { name: redis.services.master, namespace: redis.namespace, labels },
      spec: { type: 'ClusterIP', selector: proxyPods(redis), ports: [{ name: 'redis', port: 6379, targetPort: k8s.IntOrString.fromNumber(6379), protocol: 'TCP' }] },
    });
  }
}
