/**
 * The Redis StatefulSet (`redis-v2`), its ConfigMap and services.
 *
 * Standalone: 1 pod, redis + exporter; `redis-master` selects it directly; no PDB (a
 * single-replica PDB only blocks node drains).
 * Sentinel: N pods, each redis + sentinel + exporter, required anti-affinity (one per
 * node), `Parallel` start (a pod's role never depends on start order, only on the
 * sentinel majority); `redis-master` selects HAProxy (haproxy.ts), never redis pods.
 */
import { CHECK_KEYS_BATCH_SIZE, tenantKeyGroups } from './dashboard.ts';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { createHash } from 'node:crypto';
import { avoidNodesAffinity, versionlessLabels, PIN_ANNOTATIONS, PIN_LABELS, restrictedContainerSecurityContext, restrictedPodSecurityContext, type PlatformModel } from '@db/core';
import { podHost, type RedisModel } from './model.ts';
import { redisConf, sentinelConf } from './redis-conf.ts';
import { usersAclTemplate } from './users-acl.ts';
import { prepareScript, redisStartScript, sentinelStartScript } from './scripts.ts';
import { dataComponent, dataPods, redisLabels } from './labels.ts';
import { EXPORTER_UID, REDIS_UID } from './images.ts';

export const q = (s: string) => k8s.Quantity.fromString(s);

/** The StatefulSet's `serviceName`: the service under which each pod's own name resolves. */
export const governingService = (redis: RedisModel) => (redis.topology === 'sentinel' ? redis.services.peers : redis.services.headless);

/** Every generated file the pods read, by ConfigMap key. */
export function redisConfigFiles(redis: RedisModel): Record<string, string> {
  const files: Record<string, string> = {
    'redis.conf': redisConf(redis).text,
    'users.acl.template': usersAclTemplate(redis),
    'prepare.sh': prepareScript(),
  };
  if (redis.topology === 'sentinel') {
    const s = sentinelConf(redis);
    files['sentinel-global.conf'] = s.global.text;
    files['sentinel-master.conf'] = s.master.text;
    files['start.sh'] = redisStartScript();
    files['start-sentinel.sh'] = sentinelStartScript();
  }
  return files;
}

export function checksum(files: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(files).sort()) h.update(`${k}\0${files[k]}\0`);
  return h.digest('hex');
}

/**
 * A projected volume with every user's password at /secrets/<user>, and the previous one,
 * while a rotation keeps it, at /secrets/<user>.previous. The sources are optional so a Secret
 * without `previous` mounts; prepare.sh still refuses to start without `password`.
 */
export function secretsVolume(redis: RedisModel, users: readonly string[]): k8s.Volume {
  return {
    name: 'secrets',
    projected: {
      defaultMode: 0o400,
      sources: redis.users
        .filter((u) => users.includes(u.name))
        .map((u) => ({
          secret: {
            name: u.secret,
            items: [
              { key: 'password', path: u.name },
              { key: 'previous', path: `${u.name}.previous` },
            ],
            optional: true,
          },
        })),
    },
  };
}

const cli = (port: number, cmd: string) => ['sh', '-c', `redis-cli --no-auth-warning --user probe -p ${port} ${cmd}`];

export class RedisStatefulSet extends Construct {
  constructor(scope: Construct, id: string, props: { redis: RedisModel; model: PlatformModel }) {
    super(scope, id);
    const { redis, model } = props;
    const ha = redis.topology === 'sentinel';
    const labels = redisLabels(redis, dataComponent(redis));
    const files = redisConfigFiles(redis);
    const configName = `${redis.name}-config`;
    new k8s.KubeConfigMap(this, 'Config', { metadata: { name: configName, namespace: redis.namespace, labels }, data: files });

    const memory = redis.resources.memory;
    const resources = (cpu: string, mem: string): k8s.ResourceRequirements => ({ requests: { cpu: q(cpu), memory: q(mem) }, limits: { memory: q(mem) } });
    const probeEnv: k8s.EnvVar = { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: redis.users.find((u) => u.name === 'probe')!.secret, key: 'password' } } };
    const mounts: k8s.VolumeMount[] = [
      { name: 'config', mountPath: '/etc/redis', readOnly: true },
      { name: 'run', mountPath: '/run/redis' },
      { name: 'data', mountPath: '/data' },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    const liveness = { periodSeconds: 10, timeoutSeconds: redis.liveness.timeoutSeconds, failureThreshold: redis.liveness.failureThreshold };
    const peers = Array.from({ length: redis.replicas }, (_, i) => podHost(redis, i, governingService(redis)));

    const redisContainer: k8s.Container = {
      name: 'redis',
      image: redis.image,
      imagePullPolicy: 'IfNotPresent',
      command: ha ? ['sh', '/etc/redis/start.sh'] : ['redis-server', '/etc/redis/redis.conf'],
      env: ha
        ? [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'SELF_HOST', value: `$(POD_NAME).${governingService(redis)}.${redis.namespace}.svc.cluster.local` },
            { name: 'SELF_PORT', value: '6379' },
            { name: 'SENTINELS', value: peers.map((p) => `${p}:26379`).join(' ') },
            { name: 'MASTER_NAME', value: redis.sentinel.masterName },
            { name: 'RUN_DIR', value: '/run/redis' },
            { name: 'SECRETS_DIR', value: '/secrets' },
            { name: 'REDIS_CONF', value: '/etc/redis/redis.conf' },
            probeEnv,
          ]
        : [probeEnv],
      ports: [{ name: 'redis', containerPort: 6379, protocol: 'TCP' }],
      resources: resources(redis.resources.cpu, memory),
      securityContext: restrictedContainerSecurityContext(),
      // Waiting for a sentinel majority may take long; it is not a reason to restart.
      ...(ha ? { startupProbe: { exec: { command: cli(6379, 'ping') }, periodSeconds: 5, failureThreshold: 720, timeoutSeconds: 5 } } : {}),
      // Alive: the server answers at all (LOADING, MASTERDOWN count). Ready: it serves data.
      livenessProbe: { exec: { command: cli(6379, 'ping') }, ...liveness },
      readinessProbe: {
        exec: { command: ['sh', '-c', `i=$(redis-cli --no-auth-warning --user probe -p 6379 info replication) && case "$i" in *role:master*|*master_link_status:up*) exit 0;; *) exit 1;; esac`] },
        periodSeconds: 5,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      volumeMounts: [...mounts, ...(ha ? [{ name: 'secrets', mountPath: '/secrets', readOnly: true }] : [])],
    };

    const containers: k8s.Container[] = [redisContainer];
    if (ha) {
      containers.push({
        name: 'sentinel',
        image: redis.image,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '/etc/redis/start-sentinel.sh'],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'SELF_HOST', value: `$(POD_NAME).${governingService(redis)}.${redis.namespace}.svc.cluster.local` },
          { name: 'STATE_DIR', value: '/data/sentinel' },
          { name: 'GLOBAL_CONF', value: '/etc/redis/sentinel-global.conf' },
          { name: 'MASTER_CONF', value: '/etc/redis/sentinel-master.conf' },
          { name: 'GENESIS', value: `${peers[0]}:6379` },
          { name: 'QUORUM', value: String(redis.sentinel.quorum) },
          { name: 'MASTER_NAME', value: redis.sentinel.masterName },
          { name: 'SECRETS_DIR', value: '/secrets' },
        ],
        ports: [{ name: 'sentinel', containerPort: 26379, protocol: 'TCP' }],
        resources: resources('50m', '64Mi'),
        securityContext: restrictedContainerSecurityContext(),
        livenessProbe: { exec: { command: ['redis-cli', '-p', '26379', 'ping'] }, ...liveness },
        readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(26379) }, periodSeconds: 5, timeoutSeconds: 5 },
        volumeMounts: [...mounts, { name: 'secrets', mountPath: '/secrets', readOnly: true }],
      });
    }
    containers.push({
      name: 'exporter',
      image: redis.exporterImage,
      imagePullPolicy: 'IfNotPresent',
      env: [
        { name: 'REDIS_ADDR', value: 'redis://localhost:6379' },
        { name: 'REDIS_USER', value: 'exporter' },
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: redis.users.find((u) => u.name === 'exporter')!.secret, key: 'password' } } },
        // Per-tenant keys and memory (dashboard.ts).
        ...(redis.tenants.length > 0
          ? [
              { name: 'REDIS_EXPORTER_CHECK_KEY_GROUPS', value: tenantKeyGroups(redis) },
              { name: 'REDIS_EXPORTER_CHECK_KEYS_BATCH_SIZE', value: String(CHECK_KEYS_BATCH_SIZE) },
            ]
          : []),
        // migrating: one redis_connected_clients_details series per connection (CLIENT LIST,
        // redis_exporter v1.62.0 exporter/clients.go:98-131) with its ACL `user`; the port
        // keeps two connections from one pod apart (without it they collide and one is dropped).
        ...(redis.auth === 'migrating'
          ? [
              { name: 'REDIS_EXPORTER_EXPORT_CLIENT_LIST', value: 'true' },
              { name: 'REDIS_EXPORTER_EXPORT_CLIENT_PORT', value: 'true' },
            ]
          : []),
      ],
      ports: [{ name: 'metrics', containerPort: 9121, protocol: 'TCP' }],
      resources: resources('20m', '64Mi'),
      securityContext: { ...restrictedContainerSecurityContext(), runAsUser: EXPORTER_UID, runAsGroup: EXPORTER_UID },
      livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(9121) }, periodSeconds: 20, timeoutSeconds: 5 },
      readinessProbe: { httpGet: { path: '/health', port: k8s.IntOrString.fromNumber(9121) }, periodSeconds: 10, timeoutSeconds: 5 },
    });

    const nodeAffinity = avoidNodesAffinity(model);
    const antiAffinityTerm = { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: dataPods(redis) } };
    const podAntiAffinity: k8s.PodAntiAffinity | undefined = ha
      ? redis.antiAffinity === 'required'
        ? { requiredDuringSchedulingIgnoredDuringExecution: [antiAffinityTerm] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: antiAffinityTerm }] }
      : undefined;

    new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: redis.name, namespace: redis.namespace, labels, annotations: { ...PIN_ANNOTATIONS } },
      spec: {
        replicas: redis.replicas,
        // The governing service gives each pod its DNS name `<pod>.<service>`; with sentinels
        // the pods find each other by those names before they are ready (see Peers below).
        serviceName: governingService(redis),
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: dataPods(redis) },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: {
            labels: { ...labels, ...PIN_LABELS },
            annotations: { ...PIN_ANNOTATIONS, 'db-platform.io/config-sha256': checksum(files) },
          },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 60,
            securityContext: restrictedPodSecurityContext(REDIS_UID, REDIS_UID),
            ...(nodeAffinity || podAntiAffinity ? { affinity: { ...(nodeAffinity ? { nodeAffinity } : {}), ...(podAntiAffinity ? { podAntiAffinity } : {}) } } : {}),
            initContainers: [
              {
                name: 'prepare',
                image: redis.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '/etc/redis/prepare.sh'],
                env: [
                  { name: 'ACL_TEMPLATE', value: '/etc/redis/users.acl.template' },
                  { name: 'RUN_DIR', value: '/run/redis' },
                  { name: 'SECRETS_DIR', value: '/secrets' },
                ],
                resources: resources('50m', '32Mi'),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/redis', readOnly: true },
                  { name: 'run', mountPath: '/run/redis' },
                  { name: 'secrets', mountPath: '/secrets', readOnly: true },
                ],
              },
            ],
            containers,
            volumes: [
              { name: 'config', configMap: { name: configName } },
              { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: q('1Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: q('64Mi') } },
              secretsVolume(
                redis,
                redis.users.map((u) => u.name),
              ),
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: {
              name: 'data',
              labels: versionlessLabels(labels),
              // pvc-autoresizer grows the volume up to this bound (the seeds' 5Gi → 20Gi).
              annotations: { 'resize.topolvm.io/storage_limit': redis.storage.maxSize, 'resize.topolvm.io/threshold': '20%' },
            },
            spec: { accessModes: ['ReadWriteOnce'], storageClassName: redis.storage.storageClass, resources: { requests: { storage: q(redis.storage.size) } } },
          },
        ],
      },
    });

    const port = (name: string, p: number): k8s.ServicePort => ({ name, port: p, targetPort: k8s.IntOrString.fromNumber(p), protocol: 'TCP' });
    if (!ha) {
      // The standalone pod's governing service; ready pods only.
      new k8s.KubeService(this, 'Headless', {
        metadata: { name: redis.services.headless, namespace: redis.namespace, labels },
        spec: { clusterIp: 'None', publishNotReadyAddresses: redis.sentinel.publishNotReadyAddresses, selector: dataPods(redis), ports: [port('redis', 6379)] },
      });
    }
    if (ha) {
      // The governing service: the names the pods use for each other (sentinel hostnames,
      // replicaof). Published before ready on purpose: a redis waits (not ready) until the
      // sentinels answer, and the sentinels must reach each other and be asked, or start-up
      // deadlocks. Clients never use it (network policy: only the redis pods and HAProxy).
      new k8s.KubeService(this, 'Peers', {
        metadata: { name: redis.services.peers, namespace: redis.namespace, labels },
        spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector: dataPods(redis), ports: [port('sentinel', 26379), port('replication', 6379)] },
      });
      // One stable ClusterIP per sentinel, for HAProxy's checks (it resolves them once at start).
      for (let i = 0; i < redis.replicas; i++) {
        new k8s.KubeService(this, `Sentinel${i}`, {
          metadata: { name: `${redis.name}-sentinel-${i}`, namespace: redis.namespace, labels },
          spec: { type: 'ClusterIP', publishNotReadyAddresses: true, selector: { ...dataPods(redis), 'statefulset.kubernetes.io/pod-name': `${redis.name}-${i}` }, ports: [port('sentinel', 26379)] },
        });
      }
      // One ready-only service per pod, where HAProxy connects: not-ready pods fed into
      // HAProxy's DNS on 2026-04-22, so HAProxy never reaches a pod through the peers names.
      for (let i = 0; i < redis.replicas; i++) {
        new k8s.KubeService(this, `Node${i}`, {
          metadata: { name: redis.services.node(i), namespace: redis.namespace, labels },
          spec: {
            type: 'ClusterIP',
            publishNotReadyAddresses: redis.sentinel.publishNotReadyAddresses,
            selector: { ...dataPods(redis), 'statefulset.kubernetes.io/pod-name': `${redis.name}-${i}` },
            ports: [port('redis', 6379)],
          },
        });
      }
      new k8s.KubePodDisruptionBudget(this, 'Pdb', {
        metadata: { name: redis.name, namespace: redis.namespace, labels },
        spec: { minAvailable: k8s.IntOrString.fromNumber(redis.sentinel.quorum), selector: { matchLabels: dataPods(redis) }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      });
    } else {
      // Standalone: one pod, so selecting it is selecting the master.
      new k8s.KubeService(this, 'Master', {
        metadata: { name: redis.services.master, namespace: redis.namespace, labels },
        spec: { type: 'ClusterIP', selector: dataPods(redis), ports: [port('redis', 6379)] },
      });
    }
  }
}
