/** In-memory tests: the engine on a Testing.chart(), its guardrails and model checks. */
import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import { execFileSync, spawnSync } from 'node:child_process';
import { runGuardrails, type K8sObject } from '@db/core';
import { requirePrograms } from '@db/core/testing';
import { redisEngine } from '../src/engine.ts';
import { kubernetesHaproxyCfg } from '../src/haproxy.ts';
import { combinations, sentinelReplyHex } from '../src/haproxy-cfg.ts';
import { DEFAULT_TENANTS, loadModel, platformText, removeDir, tempDir, testRedis, writeFile } from './helpers.ts';

function build(redis: string, tenants = DEFAULT_TENANTS) {
  const model = loadModel(platformText(redis, tenants));
  const chart = Testing.chart();
  redisEngine.build(chart, model);
  const objects = Testing.synth(chart) as K8sObject[];
  const report = runGuardrails(redisEngine.rules, { model, objects: objects.map((object) => ({ component: 'redis', object })), facts: redisEngine.resources ?? {} });
  return { model, objects, report, find: (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) };
}
const ids = (r: ReturnType<typeof build>['report']) => r.errors.map((e) => /^\[([a-z-]+)\]/.exec(e.message)?.[1]);

describe('standalone (prod)', () => {
  const { find, objects, report } = build('{ topology: standalone }');
  const sts = find('StatefulSet', 'redis-v2')!;
  const pod = sts.spec.template.spec;
  it('renders redis-v2 with one replica, pinned images, requests = limits, probes, no PDB', () => {
    expect(sts.spec.replicas).toBe(1);
    expect(pod.containers.map((c: { image: string }) => c.image)).toEqual(['docker.io/library/redis:8.6.2-alpine', 'docker.io/oliver006/redis_exporter:v1.62.0']);
    const redis = pod.containers[0];
    expect(redis.resources.requests.memory).toBe(redis.resources.limits.memory);
    expect(redis.livenessProbe).not.toEqual(redis.readinessProbe);
    expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    expect(find('Service', 'redis-master')!.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(sts.spec.template.metadata.annotations['db-platform.io/config-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('lvm-encrypted');
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(['gpu-node']);
  });
  it('puts no password anywhere and refers to Secrets by name', () => {
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/requirepass|masterauth [^$]/);
    expect(find('ConfigMap', 'redis-v2-config')!.data['users.acl.template']).toMatch(/^user immich on @PASSWORD@ resetkeys ~immich:\* ~bull\* /m);
    expect(text).toContain('redis-v2-user-immich');
  });
  it('a config change rolls the pod (checksum follows redis.conf)', () => {
    const other = build('{ topology: standalone, maxmemory: 600 }').find('StatefulSet', 'redis-v2')!;
    expect(other.spec.template.metadata.annotations['db-platform.io/config-sha256']).not.toBe(sts.spec.template.metadata.annotations['db-platform.io/config-sha256']);
  });
  it('lets tenants in on 6379 from their own namespaces only, Prometheus on 9121', () => {
    const np = find('NetworkPolicy', 'redis-v2')!;
    const from = np.spec.ingress[0].from.map((p: any) => p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']).filter(Boolean);
    expect(from).toEqual(['immich', 'nextcloud']);
    expect(np.spec.ingress[1].ports[0].port).toBe(9121);
  });
  it('backs up weekly on Sunday 03:00, keeping 28 days', () => {
    const cj = find('CronJob', 'redis-v2-backup')!;
    expect(cj.spec.schedule).toBe('0 3 * * 0');
    expect(find('ConfigMap', 'redis-v2-backup-script')!.data['backup.sh']).toMatch(/-mtime \+27/);
  });
  it('passes its guardrails', () => expect(report.errors).toEqual([]));
});

describe('sentinel (lab)', () => {
  const { find, report } = build('{ topology: sentinel }');
  it('renders 3 pods with redis, sentinel, exporter, required anti-affinity, PDBs with AlwaysAllow', () => {
    const sts = find('StatefulSet', 'redis-v2')!;
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['redis', 'sentinel', 'exporter']);
    expect(sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(find('PodDisruptionBudget', 'redis-v2-haproxy')!.spec).toMatchObject({ minAvailable: 2, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(find('PodDisruptionBudget', 'redis-v2')!.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    for (const i of [0, 1, 2]) expect(find('Service', `redis-v2-node-${i}`)!.spec.publishNotReadyAddresses).toBe(false);
    expect(find('Deployment', 'redis-v2-haproxy')!.spec.replicas).toBe(3);
    expect(find('Service', 'redis-master')!.spec.selector['app.kubernetes.io/component']).toBe('proxy');
  });
  it('names pods only under their governing service (the EndpointSlice controller publishes pod hostnames for that service alone)', () => {
    const sts = find('StatefulSet', 'redis-v2')!;
    expect(sts.spec.serviceName).toBe('redis-v2-peers');
    expect(find('Service', 'redis-v2-peers')!.spec.clusterIP).toBe('None');
    const text = JSON.stringify(sts) + JSON.stringify(find('ConfigMap', 'redis-v2-haproxy'));
    const podNames = [...text.matchAll(/(?:redis-v2-\d+|\$\(POD_NAME\))\.([a-z0-9-]+)\.redis\.svc\.cluster\.local/g)].map((m) => m[1]);
    expect(podNames.length).toBeGreaterThan(0);
    expect(new Set(podNames)).toEqual(new Set(['redis-v2-peers']));
    // HAProxy reaches each node through a ready-only per-pod service, never the peers names.
    expect(find('ConfigMap', 'redis-v2-haproxy')!.data['haproxy.cfg']).toMatch(/server node-0 redis-v2-node-0\.redis\.svc\.cluster\.local:6379/);
  });
  it('configures sentinels with hostnames and the tuned timings', () => {
    const cm = find('ConfigMap', 'redis-v2-config')!.data;
    expect(cm['sentinel-global.conf']).toMatch(/sentinel resolve-hostnames yes\nsentinel announce-hostnames yes/);
    expect(cm['sentinel-master.conf']).toMatch(/down-after-milliseconds mymaster 15000[\s\S]*failover-timeout mymaster 60000/);
    expect(cm['redis.conf']).toMatch(/min-replicas-to-write 1\nmin-replicas-max-lag 10/);
    expect(cm['start.sh']).not.toMatch(/pod-0|redis-v2-0/);
  });
  it('HAProxy asks a majority of sentinels for every node: 3 nodes x 3 pairs of sentinels', () => {
    const cfg = kubernetesHaproxyCfg(testRedis('{ topology: sentinel }').redis);
    expect(cfg.match(/^backend master-/gm)).toHaveLength(9);
    expect(cfg).toMatch(/check inter 2000ms fall 3 rise 2/);
    expect(cfg).toMatch(/timeout check 5000ms/);
    expect(combinations([1, 2, 3, 4, 5], 3)).toHaveLength(10);
    expect(Buffer.from(sentinelReplyHex('h', 6379), 'hex').toString()).toBe('*2\r\n$1\r\nh\r\n$4\r\n6379\r\n');
  });
  it('passes its guardrails', () => expect(report.errors).toEqual([]));
});

describe('guardrails refuse the settings behind each incident', () => {
  it.each([
    ['{ topology: standalone, maxmemoryPolicy: allkeys-lru }', 'redis-evicts-queue-keys'],
    ['{ topology: standalone, maxmemory: 700 }', 'redis-fork-headroom'],
    ['{ topology: sentinel, antiAffinity: preferred }', 'redis-soft-anti-affinity'],
    ['{ topology: sentinel, sentinel: { replicas: 2 } }', 'redis-sentinel-count'],
    ['{ topology: sentinel, sentinel: { downAfterMilliseconds: 5000 } }', 'redis-sentinel-timing'],
    ['{ topology: sentinel, livenessProbe: { timeoutSeconds: 3, failureThreshold: 3 } }', 'redis-sentinel-timing'],
    ['{ topology: sentinel, haproxy: { checkInterval: 1000, fall: 2, timeoutCheck: 3000 } }', 'haproxy-check-interval'],
    ['{ topology: sentinel, sentinel: { publishNotReadyAddresses: true } }', 'redis-published-not-ready'],
  ])('%s → %s', (redis, rule) => {
    const { report } = build(redis);
    expect(ids(report)).toContain(rule);
    expect(report.errors.find((e) => e.message.includes(rule))!.hint).toMatch(/20\d\d-\d\d-\d\d/);
  });
  it('allkeys-* is accepted without queue tenants', () => {
    expect(ids(build('{ topology: standalone, maxmemoryPolicy: allkeys-lru }', '  - { name: nextcloud, redis: { use: cache } }').report)).not.toContain('redis-evicts-queue-keys');
  });
  it('model checks point at the field', () => {
    const model = loadModel(platformText('{ topology: sentinel, maxmemoryPolicy: allkeys-lfu, sentinel: { replicas: 4, quorum: 2 } }', DEFAULT_TENANTS));
    const problems = redisEngine.check(model);
    expect(problems.map((p) => p.field)).toEqual(expect.arrayContaining(['redis.maxmemoryPolicy', 'redis.sentinel.replicas', 'redis.sentinel.quorum']));
    expect(problems.every((p) => p.line > 0)).toBe(true);
  });
});

const haproxy = requirePrograms('haproxy -c on the rendered haproxy.cfg', ['haproxy'], 'apt-get install haproxy');
describe.skipIf(!haproxy.available)('rendered haproxy.cfg', () => {
  it('passes haproxy -c (the Kubernetes config, names resolvable at run time)', () => {
    const dir = tempDir('haproxy');
    try {
      // Kubernetes names do not resolve here: check the same text with them mapped to loopback.
      const cfg = kubernetesHaproxyCfg(testRedis('{ topology: sentinel }').redis).replace(/redis-v2-sentinel-\d\.redis\.svc\.cluster\.local/g, '127.0.0.1');
      const file = writeFile(dir, 'haproxy.cfg', cfg);
      const r = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8', env: { ...process.env, REDIS_PROBE_PASSWORD: 'x' } });
      expect(`${r.stdout}${r.stderr}`).toMatch(/Configuration file is valid/);
    } finally {
      removeDir(dir);
    }
  });
});
void execFileSync;
