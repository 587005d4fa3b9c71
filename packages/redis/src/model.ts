/** The Redis section of the desired state, with every default filled in once. */
import { DRILL_DEFAULTS, imageRef, mebibytes, tenantState, withOverride, type PlatformModel, type TenantModel, type TenantState, resolvedOnce } from '@db/core';
import { HAPROXY_IMAGE, REDIS_EXPORTER_IMAGE, REDIS_IMAGE } from './images.ts';
import { REDIS_DEFAULTS as D, redisSection, tenantRedis } from './schema.ts';

export type RedisTopology = 'standalone' | 'sentinel';
/** `on`: the default user is off. `migrating`: default stays open (nopass) beside the ACL users, and its connections are counted. `off`: default open, uncounted. */
export type RedisAuth = 'off' | 'migrating' | 'on';
export type EvictionPolicy = 'volatile-lru' | 'volatile-lfu' | 'volatile-ttl' | 'volatile-random' | 'allkeys-lru' | 'allkeys-lfu' | 'allkeys-random' | 'noeviction';

/** An ACL user. Its password lives only in the Secret `secret` (key `password`), never in the repository. */
export interface RedisUser {
  readonly name: string;
  /** Secret in the Redis namespace holding `password`; the Vault issue fills it, until then created out of band. */
  readonly secret: string;
  /** ACL rules after `on` and the password, e.g. `resetkeys ~immich:* -@all +@all -@dangerous`. */
  readonly rules: string;
  /** The tenant it belongs to, or why it exists. */
  readonly purpose: string;
  readonly tenant?: TenantModel;
  /** `off` in the ACL: a retired tenant's user, which can no longer log in (its keys are kept). @default true */
  readonly enabled?: boolean;
}

export interface RedisTenant {
  readonly tenant: TenantModel;
  /** Active; retired (ACL user off, no Secret in its namespace, no network path; keys kept); purged (keys and user deleted). */
  readonly state: TenantState;
  readonly use: 'cache' | 'queue';
  /** Key prefixes, literal (an ACL pattern `~<prefix>*`): `<tenant>:` first, then the declared ones. */
  readonly prefixes: readonly string[];
}

export interface RedisModel {
  readonly namespace: string;
  readonly name: string;
  readonly topology: RedisTopology;
  readonly auth: RedisAuth;
  /** Pods of the StatefulSet: 1 standalone, `sentinel.replicas` HA. */
  readonly replicas: number;
  readonly image: string;
  readonly imageTag: string;
  readonly exporterImage: string;
  readonly haproxyImage: string;
  readonly resources: { readonly cpu: string; readonly memory: string };
  readonly maxmemoryMb: number;
  readonly maxmemoryPolicy: EvictionPolicy;
  readonly storage: { readonly size: string; readonly maxSize: string; readonly storageClass: string };
  readonly antiAffinity: 'required' | 'preferred';
  readonly liveness: { readonly timeoutSeconds: number; readonly failureThreshold: number };
  readonly sentinel: {
    readonly quorum: number;
    readonly masterName: string;
    readonly downAfterMilliseconds: number;
    readonly failoverTimeout: number;
    readonly minReplicasToWrite: number;
    readonly minReplicasMaxLag: number;
    readonly publishNotReadyAddresses: boolean;
  };
  readonly haproxy: { readonly name: string; readonly replicas: number; readonly checkInterval: number; readonly fall: number; readonly rise: number; readonly timeoutCheck: number };
  readonly backup: {
    readonly name: string;
    readonly schedule: string;
    readonly days: number;
    readonly path: string;
    /** The weekly restore drill: its CronJob, schedule and scratch room. */
    readonly drill: { readonly name: string; readonly schedule: string; readonly scratch: string };
  };
  readonly tenants: readonly RedisTenant[];
  readonly users: readonly RedisUser[];
  /**
   * `master`: what clients use, never renamed. `headless`: the standalone pod's governing
   * service (ready only). `peers` (sentinel): the pods' governing service, so
   * `<pod>.<peers>` names resolve; published before ready. `node(i)` (sentinel): pod i alone,
   * ready only, where HAProxy connects.
   */
  readonly services: { readonly master: string; readonly headless: string; readonly peers: string; readonly node: (i: number) => string };
}

/** Secret of an ACL user. */
export const userSecret = (name: string, user: string) => `${name}-user-${user}`;

/** Names of the non-tenant users; a tenant may not take them. */
export const SYSTEM_USERS: ReadonlySet<string> = new Set(['default', 'admin', 'exporter', 'probe', 'replication', 'sentinel', 'backup']);

export function tenantAclRules(t: RedisTenant): string {
  const keys = t.prefixes.map((p) => `~${p}*`).join(' ');
  const channels = t.prefixes.map((p) => `&${p}*`).join(' ');
  // -@dangerous removes KEYS, FLUSHALL, CONFIG, DEBUG...; INFO is given back because BullMQ
  // and Sidekiq read the server version with it.
  return `resetkeys ${keys} resetchannels ${channels} -@all +@all -@dangerous +info`;
}

export function resolveUsers(name: string, topology: RedisTopology, tenants: readonly RedisTenant[]): RedisUser[] {
  const system: RedisUser[] = [
    { name: 'admin', secret: userSecret(name, 'admin'), rules: 'resetkeys ~* resetchannels &* +@all', purpose: 'operators (runbooks), used by hand only' },
    {
      name: 'exporter',
      secret: userSecret(name, 'exporter'),
      // SCAN, EVAL/EVALSHA and MEMORY USAGE on read-only keys: the per-tenant key groups (dashboard.ts).
      rules:
        'resetkeys %R~* resetchannels -@all +ping +info +client|list +client|setname +config|get +slowlog|get +slowlog|len +latency|latest +memory|stats +select +cluster|info +command|count +scan +eval +evalsha +memory|usage',
      purpose: 'redis_exporter metrics',
    },
    { name: 'probe', secret: userSecret(name, 'probe'), rules: 'resetkeys resetchannels -@all +ping +info +role', purpose: 'probes and HAProxy health checks' },
    { name: 'backup', secret: userSecret(name, 'backup'), rules: 'resetkeys resetchannels -@all +ping +sync +psync +replconf +info', purpose: 'weekly RDB backup (redis-cli --rdb)' },
  ];
  if (topology === 'sentinel') {
    system.push(
      { name: 'replication', secret: userSecret(name, 'replication'), rules: 'resetkeys resetchannels -@all +psync +replconf +ping', purpose: 'replicas (masteruser)' },
      {
        name: 'sentinel',
        secret: userSecret(name, 'sentinel'),
        // The set Redis documents for sentinels: monitor, reconfigure, and publish hellos.
        rules: 'resetkeys resetchannels allchannels -@all +multi +slaveof +replicaof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill',
        purpose: 'sentinels (auth-user)',
      },
    );
  }
  // A purged tenant's user is deleted (its purge Job runs ACL DELUSER); a retired one's is off.
  const tenantUsers = tenants
    .filter((t) => t.state !== 'purged')
    .map((t) => ({
      name: t.tenant.name,
      secret: userSecret(name, t.tenant.name),
      rules: tenantAclRules(t),
      purpose: t.state === 'retired' ? `tenant ${t.tenant.name} (${t.use}), retired on ${t.tenant.retiredOn}: off` : `tenant ${t.tenant.name} (${t.use})`,
      tenant: t.tenant,
      ...(t.state === 'retired' ? { enabled: false } : {}),
    }));
  return [...system, ...tenantUsers];
}

/** The engine's model, resolved once per platform model (see resolvedOnce). */
export const resolveRedis = resolvedOnce((model: PlatformModel): RedisModel => {
  const spec = redisSection(model.input) ?? {};
  const topology = spec.topology ?? D.topology;
  const name = spec.name ?? D.name;
  const pinned = withOverride(REDIS_IMAGE, spec.image);
  const resources = { cpu: spec.resources?.cpu ?? D.resources.cpu, memory: spec.resources?.memory ?? D.resources.memory };
  const replicas = topology === 'sentinel' ? (spec.sentinel?.replicas ?? D.sentinel.replicas) : 1;
  const tenants: RedisTenant[] = model.tenants
    .filter((t) => t.redis)
    .map((t) => ({ tenant: t, state: tenantState(t), use: tenantRedis(t)!.use, prefixes: [`${t.name}:`, ...(tenantRedis(t)!.prefixes ?? [])] }));
  return {
    namespace: spec.namespace ?? D.namespace,
    name,
    topology,
    auth: spec.auth ?? D.auth,
    replicas,
    image: imageRef(pinned, model.imageRegistry),
    imageTag: pinned.tag,
    exporterImage: imageRef(REDIS_EXPORTER_IMAGE, model.imageRegistry),
    haproxyImage: imageRef(HAPROXY_IMAGE, model.imageRegistry),
    resources,
    // 5/6 of the limit (640mb of 768Mi, as the seeds sized it after the 2026-04-19 OOM):
    // the rest is fork copy-on-write headroom for BGSAVE and AOF rewrites.
    maxmemoryMb: spec.maxmemory ?? Math.floor((mebibytes(resources.memory) * 5) / 6),
    maxmemoryPolicy: (spec.maxmemoryPolicy ?? D.maxmemoryPolicy) as EvictionPolicy,
    storage: { size: spec.storage?.size ?? D.storage.size, maxSize: spec.storage?.maxSize ?? D.storage.maxSize, storageClass: spec.storage?.storageClass ?? model.storage.encrypted },
    antiAffinity: spec.antiAffinity ?? D.antiAffinity,
    liveness: { timeoutSeconds: spec.livenessProbe?.timeoutSeconds ?? D.livenessProbe.timeoutSeconds, failureThreshold: spec.livenessProbe?.failureThreshold ?? D.livenessProbe.failureThreshold },
    sentinel: {
      quorum: spec.sentinel?.quorum ?? Math.floor(replicas / 2) + 1,
      masterName: spec.sentinel?.masterName ?? D.sentinel.masterName,
      downAfterMilliseconds: spec.sentinel?.downAfterMilliseconds ?? D.sentinel.downAfterMilliseconds,
      failoverTimeout: spec.sentinel?.failoverTimeout ?? D.sentinel.failoverTimeout,
      minReplicasToWrite: topology === 'sentinel' ? (spec.sentinel?.minReplicasToWrite ?? D.sentinel.minReplicasToWrite) : 0,
      minReplicasMaxLag: spec.sentinel?.minReplicasMaxLag ?? D.sentinel.minReplicasMaxLag,
      publishNotReadyAddresses: spec.sentinel?.publishNotReadyAddresses ?? D.sentinel.publishNotReadyAddresses,
    },
    haproxy: {
      name: `${name}-haproxy`,
      replicas: spec.haproxy?.replicas ?? D.haproxy.replicas,
      checkInterval: spec.haproxy?.checkInterval ?? D.haproxy.checkInterval,
      fall: spec.haproxy?.fall ?? D.haproxy.fall,
      rise: spec.haproxy?.rise ?? D.haproxy.rise,
      timeoutCheck: spec.haproxy?.timeoutCheck ?? D.haproxy.timeoutCheck,
    },
    backup: {
      name: `${name}-backup`,
      schedule: spec.backup?.schedule ?? D.backup.schedule,
      days: spec.backup?.days ?? D.backup.days,
      path: spec.backup?.path ?? `${model.backups.nfs.path.replace(/\/$/, '')}/redis-backup`,
      drill: { name: `${name}-restore-drill`, schedule: spec.backup?.drill?.schedule ?? DRILL_DEFAULTS.schedule, scratch: spec.backup?.drill?.scratch ?? DRILL_DEFAULTS.scratch },
    },
    tenants,
    users: resolveUsers(name, topology, tenants),
    services: { master: 'redis-master', headless: `${name}-headless`, peers: `${name}-peers`, node: (i: number) => `${name}-node-${i}` },
  };
});

/**
 * Fully qualified name of pod `i` under its governing service. Kubernetes publishes a pod's
 * own DNS name only under the service named by the StatefulSet's `serviceName` (the pod's
 * `subdomain`): the EndpointSlice controller sets endpoint hostnames for that service alone.
 */
export function podHost(redis: RedisModel, i: number, service: string): string {
  return `${redis.name}-${i}.${service}.${redis.namespace}.svc.cluster.local`;
}
