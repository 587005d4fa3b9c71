/**
 * Guardrails specific to Redis: every setting behind an April/May 2026 incident is refused
 * where it appears in the rendered objects (the configs the pods load, the pod specs, the
 * services), whatever produced it.
 */
import { mebibytes, objectRef, podTemplate, type Finding, type K8sObject, type Rule, type RuleContext } from '@db/core';
import { tenantRedis } from './schema.ts';

const isRedisData = (o: K8sObject) => o.kind === 'StatefulSet' && o.metadata.labels?.['app.kubernetes.io/name'] === 'redis';
const configMaps = (ctx: RuleContext) => ctx.objects.map((r) => r.object).filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['app.kubernetes.io/name'] !== undefined && o.data);

/** Values of a directive in a config text, e.g. `directive(text, 'maxmemory')` → ['640mb']. */
export function directive(text: string, name: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${name} `))
    .map((l) => l.slice(name.length + 1).trim());
}

const redisConfs = (ctx: RuleContext) => configMaps(ctx).filter((o) => typeof o.data['redis.conf'] === 'string');
const isSentinel = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'] === 'sentinel';

export const redisEvictsQueueKeys: Rule = {
  id: 'redis-evicts-queue-keys',
  severity: 'error',
  title: 'No eviction policy that can evict TTL-less keys on an instance with queue tenants',
  reason:
    'Queue keys (BullMQ bull:*, Celery _kombu*) carry no TTL and must never be evicted: on 2026-05-30 the shared instance moved from allkeys-lru to volatile-lru so one instance serves caches and queues, and the eviction test shows allkeys-lru drops queue keys.',
  check(ctx): Finding[] {
    const queues = ctx.model.tenants.filter((t) => tenantRedis(t)?.use === 'queue');
    if (queues.length === 0) return [];
    return redisConfs(ctx).flatMap((cm) =>
      directive(cm.data['redis.conf'], 'maxmemory-policy')
        .filter((p) => p.startsWith('allkeys-'))
        .map((p) => ({
          object: objectRef(cm),
          message: `maxmemory-policy ${p} can evict the TTL-less keys of queue tenants ${queues.map((t) => t.name).join(', ')} (use volatile-lru)`,
          path: ['redis', 'maxmemoryPolicy'],
        })),
    );
  },
};

export const redisForkHeadroom: Rule = {
  id: 'redis-fork-headroom',
  severity: 'error',
  title: 'Redis memory: requests = limits, and maxmemory at most 85 % of the limit (fork headroom)',
  reason: 'On 2026-04-19 (AM) the master was OOM-killed during BGSAVE + PSYNC: a fork doubles memory by copy-on-write, and a 256Mi limit left no headroom for a 204 MB working set.',
  check(ctx): Finding[] {
    const findings: Finding[] = [];
    const objects = ctx.objects.map((r) => r.object);
    for (const sts of objects.filter(isRedisData)) {
      const c = podTemplate(sts)?.spec?.containers?.find((x: { name: string }) => x.name === 'redis');
      const limit: string | undefined = c?.resources?.limits?.memory;
      const request: string | undefined = c?.resources?.requests?.memory;
      if (!limit) {
        findings.push({ object: objectRef(sts), message: 'the redis container has no memory limit', path: ['redis', 'resources'] });
        continue;
      }
      if (request !== limit) findings.push({ object: objectRef(sts), message: `memory request ${request} differs from limit ${limit}`, path: ['redis', 'resources'] });
      const cmName = podTemplate(sts)?.spec?.volumes?.find((v: { name: string }) => v.name === 'config')?.configMap?.name;
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cmName && o.metadata.namespace === sts.metadata.namespace);
      const max = cm ? directive(cm.data?.['redis.conf'] ?? '', 'maxmemory')[0] : undefined;
      const mb = max ? /^(\d+)mb$/.exec(max) : null;
      if (!mb) findings.push({ object: objectRef(sts), message: 'redis.conf sets no maxmemory: the instance can grow into the memory limit and be OOM-killed', path: ['redis', 'maxmemory'] });
      else if (Number(mb[1]) > 0.85 * mebibytes(limit))
        findings.push({ object: objectRef(sts), message: `maxmemory ${max} is over 85 % of the ${limit} limit, no headroom for fork copy-on-write`, path: ['redis', 'maxmemory'] });
    }
    return findings;
  },
};

export const redisSoftAntiAffinity: Rule = {
  id: 'redis-soft-anti-affinity',
  severity: 'error',
  title: 'Replicated Redis pods need required (hard) anti-affinity, one per node',
  reason: 'On 2026-04-22 soft anti-affinity let 2 of 3 Redis pods land on k8s-node3; its NotReady→Ready bounce at 11:42Z took the sentinel quorum with it.',
  check(ctx): Finding[] {
    return ctx.objects
      .map((r) => r.object)
      .filter((o) => isRedisData(o) && (o.spec?.replicas ?? 1) > 1)
      .filter((o) => {
        const terms: any[] = podTemplate(o)?.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
        return !terms.some((t) => t.topologyKey === 'kubernetes.io/hostname');
      })
      .map((o) => ({ object: objectRef(o), message: 'pods may share a node (no required podAntiAffinity on kubernetes.io/hostname)', path: ['redis', 'antiAffinity'] }));
  },
};

export const redisSentinelCount: Rule = {
  id: 'redis-sentinel-count',
  severity: 'error',
  title: 'An odd number of sentinels, at least 3, with a majority quorum',
  reason: 'On 2026-04-19 (PM) only 2 sentinels ran: without a majority their state drifted and writes were routed to a replica.',
  check(ctx): Finding[] {
    const findings: Finding[] = [];
    for (const sts of ctx.objects.map((r) => r.object).filter((o) => isRedisData(o) && isSentinel(o))) {
      const n: number = sts.spec?.replicas ?? 1;
      if (n < 3 || n % 2 === 0) findings.push({ object: objectRef(sts), message: `${n} sentinels: need an odd number, at least 3`, path: ['redis', 'sentinel', 'replicas'] });
      const quorum = Number(
        podTemplate(sts)
          ?.spec?.containers?.find((c: { name: string }) => c.name === 'sentinel')
          ?.env?.find((e: { name: string }) => e.name === 'QUORUM')?.value,
      );
      if (!(quorum > n / 2)) findings.push({ object: objectRef(sts), message: `quorum ${quorum} of ${n} sentinels is not a majority`, path: ['redis', 'sentinel', 'quorum'] });
    }
    return findings;
  },
};

export const redisSentinelTiming: Rule = {
  id: 'redis-sentinel-timing',
  severity: 'error',
  title: 'Sentinel down-after ≥ 15 s, failover-timeout ≥ 60 s, liveness timeout ≥ 10 s with ≥ 5 failures',
  reason: 'On 2026-04-22 down-after 5 s, failover-timeout 30 s and 3 s / 3-failure probes turned BGSAVE fork stalls on LUKS-encrypted LVM into +switch-master loops every 1-2 minutes.',
  check(ctx): Finding[] {
    const findings: Finding[] = [];
    for (const cm of configMaps(ctx).filter((o) => typeof o.data['sentinel-master.conf'] === 'string')) {
      const text: string = cm.data['sentinel-master.conf'];
      for (const v of directive(text, 'sentinel down-after-milliseconds'))
        if (Number(v.split(' ')[1]) < 15000)
          findings.push({ object: objectRef(cm), message: `sentinel down-after-milliseconds ${v.split(' ')[1]} is below 15000`, path: ['redis', 'sentinel', 'downAfterMilliseconds'] });
      for (const v of directive(text, 'sentinel failover-timeout'))
        if (Number(v.split(' ')[1]) < 60000)
          findings.push({ object: objectRef(cm), message: `sentinel failover-timeout ${v.split(' ')[1]} is below 60000`, path: ['redis', 'sentinel', 'failoverTimeout'] });
    }
    for (const sts of ctx.objects.map((r) => r.object).filter((o) => isRedisData(o) && isSentinel(o))) {
      for (const c of podTemplate(sts)?.spec?.containers ?? []) {
        if (c.name !== 'redis' && c.name !== 'sentinel') continue;
        const p = c.livenessProbe;
        if (!p || (p.timeoutSeconds ?? 1) < 10 || (p.failureThreshold ?? 3) < 5)
          findings.push({
            object: objectRef(sts),
            message: `${c.name} liveness probe timeout ${p?.timeoutSeconds ?? 1} s / ${p?.failureThreshold ?? 3} failures is tighter than 10 s / 5`,
            path: ['redis', 'livenessProbe'],
          });
      }
    }
    return findings;
  },
};

export const haproxyCheckInterval: Rule = {
  id: 'haproxy-check-interval',
  severity: 'error',
  title: 'HAProxy Redis checks: inter ≥ 2 s, fall ≥ 3, timeout check ≥ 5 s',
  reason: 'On 2026-04-22 HAProxy polled every 1 s (fall 2, timeout check 3 s), raced sentinel failovers, caught the demoted master and routed writes to it (ReadOnlyError).',
  check(ctx): Finding[] {
    const findings: Finding[] = [];
    for (const cm of configMaps(ctx).filter((o) => typeof o.data['haproxy.cfg'] === 'string')) {
      const text: string = cm.data['haproxy.cfg'];
      const ms = (v: string) => (/^(\d+)ms$/.test(v) ? Number(v.slice(0, -2)) : /^(\d+)s?$/.test(v) ? Number(v.replace('s', '')) * 1000 : NaN);
      for (const m of text.matchAll(/ inter (\S+)/g))
        if (!(ms(m[1]!) >= 2000)) findings.push({ object: objectRef(cm), message: `check inter ${m[1]} is faster than 2s`, path: ['redis', 'haproxy', 'checkInterval'] });
      for (const m of text.matchAll(/ fall (\d+)/g)) if (Number(m[1]) < 3) findings.push({ object: objectRef(cm), message: `fall ${m[1]} is below 3`, path: ['redis', 'haproxy', 'fall'] });
      for (const v of directive(text.replace(/^\s+/gm, ''), 'timeout check'))
        if (!(ms(v) >= 5000)) findings.push({ object: objectRef(cm), message: `timeout check ${v} is below 5s`, path: ['redis', 'haproxy', 'timeoutCheck'] });
      if (/expect (r?string) role:master/.test(text) && !/get-master-addr-by-name/.test(text))
        findings.push({ object: objectRef(cm), message: 'backends are chosen by role:master alone, not by the sentinel majority', path: ['redis', 'haproxy'] });
    }
    return [...new Map(findings.map((f) => [f.message, f])).values()];
  },
};

export const redisPublishedNotReady: Rule = {
  id: 'redis-published-not-ready',
  severity: 'error',
  title: 'Services that carry Redis data (port 6379) publish only ready pods',
  reason: "On 2026-04-22 publishNotReadyAddresses=true fed not-yet-ready pods into HAProxy's DNS during rollouts and compounded the check race.",
  check(ctx): Finding[] {
    return (
      ctx.objects
        .map((r) => r.object)
        .filter((o) => o.kind === 'Service' && o.spec?.publishNotReadyAddresses === true && o.metadata.labels?.['app.kubernetes.io/name'] === 'redis')
        // The peers service carries 6379 for replication between pods, never for clients (network policy); see redis-statefulset.ts.
        .filter((o) => !o.metadata.name.endsWith('-peers') && (o.spec.ports ?? []).some((p: { port: number }) => p.port === 6379))
        .map((o) => ({ object: objectRef(o), message: 'publishes not-ready pods on the data port 6379', path: ['redis', 'sentinel', 'publishNotReadyAddresses'] }))
    );
  },
};

export const redisWriteServiceSelectsReplica: Rule = {
  id: 'redis-write-service-selects-replica',
  severity: 'error',
  title: 'The client service of replicated Redis selects HAProxy, never redis pods',
  reason: 'On 2026-04-04 a service selector matched the master and a replica, and writes that landed on the replica failed with READONLY.',
  check(ctx): Finding[] {
    const objects = ctx.objects.map((r) => r.object);
    const replicated = objects.filter((o) => isRedisData(o) && (o.spec?.replicas ?? 1) > 1);
    return objects
      .filter((o) => o.kind === 'Service' && o.spec?.clusterIP !== 'None' && o.spec?.clusterIp !== 'None' && o.metadata.labels?.['app.kubernetes.io/name'] !== undefined)
      .filter((svc) => (svc.spec.ports ?? []).some((p: { port: number }) => p.port === 6379))
      .filter((svc) =>
        replicated.some((sts) => sts.metadata.namespace === svc.metadata.namespace && Object.entries(svc.spec.selector ?? {}).every(([k, v]) => podTemplate(sts)?.metadata?.labels?.[k] === v)),
      )
      .map((svc) => ({ object: objectRef(svc), message: 'selects the redis pods of a replicated StatefulSet (master and replicas alike)', path: ['redis', 'topology'] }));
  },
};

export const redisSharedKeyPrefix: Rule = {
  id: 'redis-shared-key-prefix',
  severity: 'warning',
  title: 'Two tenants should not declare the same key prefix',
  reason: "ACL key patterns span every logical database: two apps granted the same prefix (two Celery apps on the default _kombu/celery keys) can read, consume and delete each other's keys and jobs.",
  check(ctx): Finding[] {
    const owners = new Map<string, string>();
    const findings: Finding[] = [];
    for (const t of ctx.model.tenants) {
      (tenantRedis(t)?.prefixes ?? []).forEach((p, i) => {
        const other = owners.get(p);
        if (other !== undefined)
          findings.push({
            object: `Tenant/${t.name}`,
            message: `prefix "${p}" is also granted to tenant ${other} (set the app's own key prefix, e.g. Celery broker_transport_options.global_keyprefix, and declare it)`,
            path: ['tenants', t.index, 'redis', 'prefixes', i],
          });
        else owners.set(p, t.name);
      });
    }
    return findings;
  },
};

export const REDIS_RULES: readonly Rule[] = [
  redisSharedKeyPrefix,
  redisEvictsQueueKeys,
  redisForkHeadroom,
  redisSoftAntiAffinity,
  redisSentinelCount,
  redisSentinelTiming,
  haproxyCheckInterval,
  redisPublishedNotReady,
  redisWriteServiceSelectsReplica,
];
