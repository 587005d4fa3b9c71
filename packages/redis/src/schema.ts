/** The `redis:` section of platform.yaml and the `redis:` field of a tenant. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, CRON, DnsLabel, DURATION, DrillSettings, ImageOverride, NFS_PATH, Quantity, Resources, withDefaults, type Defaults } from '@db/core';

/** A Redis key prefix: single braces (hash tags) are fine, `{{`/`}}` are not (Helm templates). */
export const REDIS_PREFIX = '^(?!.*\\{\\{)(?!.*\\}\\})[A-Za-z0-9_.:{}-]+$';

const Milliseconds = (description: string, minimum = 100) => Type.Integer({ minimum, maximum: 3600000, description });

const RedisFields = Closed(
  {
    namespace: Type.Optional(DnsLabel('Namespace of Redis.')),
    name: Type.Optional(DnsLabel('Name of the StatefulSet; pods are `<name>-0`...')),
    topology: Type.Optional(
      Type.Union([Type.Literal('standalone'), Type.Literal('sentinel')], {
        description: '`standalone`: one pod, restarts are a few-seconds blip (prod since 2026-05-30). `sentinel`: 3 pods each with redis, sentinel and exporter, behind HAProxy.',
      }),
    ),
    image: Type.Optional(ImageOverride),
    auth: Type.Optional(
      Type.Union([Type.Literal('off'), Type.Literal('migrating'), Type.Literal('on')], {
        description:
          'Who must log in. `on`: the `default` user is off, every client logs in as its own ACL user. `migrating`: tenant ACL users exist and get their credentials, but the `default` user stays on without a password (full access), so clients that connect without one keep working; the exporter counts those connections and alerts RedisUnauthenticatedClients / RedisAuthStillMigrating say when the migration can finish. `off`: the `default` user is open and nothing counts it (what the seed cluster ran). @default on',
      }),
    ),
    resources: Type.Optional(Resources),
    maxmemory: Type.Optional(
      Type.Integer({
        minimum: 16,
        maximum: 1048576,
        description: '`maxmemory` in MiB (`mb` in redis.conf). Must leave fork headroom below the memory limit (the `redis-fork-headroom` guardrail). @default 5/6 of resources.memory (640 of 768Mi)',
      }),
    ),
    maxmemoryPolicy: Type.Optional(
      Type.Union(
        ['volatile-lru', 'volatile-lfu', 'volatile-ttl', 'volatile-random', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'].map((p) => Type.Literal(p)),
        {
          description: 'Eviction policy. `allkeys-*` can evict TTL-less queue keys and is refused when a tenant has `use: queue`.',
        },
      ),
    ),
    storage: Type.Optional(
      Closed({
        size: Type.Optional(Quantity('Data volume size per pod.')),
        maxSize: Type.Optional(Quantity('Upper bound for pvc-autoresizer to grow the volume to.')),
        storageClass: Type.Optional(DnsLabel('Storage class. @default storage.encrypted')),
      }),
    ),
    antiAffinity: Type.Optional(
      Type.Union([Type.Literal('required'), Type.Literal('preferred')], {
        description: 'Pod anti-affinity of the sentinel topology; `preferred` is refused by a guardrail (2026-04-22).',
      }),
    ),
    livenessProbe: Type.Optional(
      Closed({
        timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
        failureThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
      }),
    ),
    sentinel: Type.Optional(
      Closed(
        {
          replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'Pods (each redis + sentinel + exporter); odd and at least 3.' })),
          quorum: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'Sentinels that must agree the master is down; a majority. @default replicas/2+1' })),
          masterName: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$' })),
          downAfterMilliseconds: Type.Optional(Milliseconds('`down-after-milliseconds`; below 15000 is refused (2026-04-22).')),
          failoverTimeout: Type.Optional(Milliseconds('`failover-timeout`.')),
          minReplicasToWrite: Type.Optional(Type.Integer({ minimum: 0, maximum: 8, description: '`min-replicas-to-write`: an isolated master refuses writes.' })),
          minReplicasMaxLag: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, description: '`min-replicas-max-lag` in seconds.' })),
          publishNotReadyAddresses: Type.Optional(Type.Boolean({ description: 'Headless data service publishes not-ready pods; `true` is refused (2026-04-22).' })),
        },
        { description: 'Sentinel HA settings (topology: sentinel).' },
      ),
    ),
    haproxy: Type.Optional(
      Closed(
        {
          replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 9 })),
          checkInterval: Type.Optional(Milliseconds('`check inter`; below 2000 is refused (2026-04-22).')),
          fall: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
          rise: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
          timeoutCheck: Type.Optional(Milliseconds('`timeout check`.')),
        },
        { description: 'HAProxy in front of the sentinel topology; `redis-master` selects it.' },
      ),
    ),
    backup: Type.Optional(
      Closed({
        schedule: Type.Optional(Type.String({ pattern: CRON, description: 'Cron schedule, in UTC (the default is Sunday 03:00).' })),
        days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Days an RDB snapshot is kept on NFS.' })),
        path: Type.Optional(Type.String({ pattern: NFS_PATH, description: 'Folder below the NFS export. @default <backups.nfs.path>/redis-backup' })),
        drill: DrillSettings,
      }),
    ),
  },
  { description: 'Shared Redis: standalone or Sentinel HA, with ACL users per tenant.' },
);

export type RedisInput = Static<typeof RedisFields>;

/** The literal defaults of the `redis:` section, written once (see Defaults). */
export const REDIS_DEFAULTS = {
  namespace: 'redis',
  name: 'redis-v2',
  topology: 'standalone',
  auth: 'on',
  resources: { cpu: '100m', memory: '768Mi' },
  maxmemoryPolicy: 'volatile-lru',
  storage: { size: '5Gi', maxSize: '20Gi' },
  antiAffinity: 'required',
  livenessProbe: { timeoutSeconds: 10, failureThreshold: 5 },
  sentinel: { replicas: 3, masterName: 'mymaster', downAfterMilliseconds: 15000, failoverTimeout: 60000, minReplicasToWrite: 1, minReplicasMaxLag: 10, publishNotReadyAddresses: false },
  haproxy: { replicas: 3, checkInterval: 2000, fall: 3, rise: 2, timeoutCheck: 5000 },
  backup: { schedule: '0 3 * * 0', days: 28 },
} as const satisfies Defaults<RedisInput>;

export const RedisSpec = withDefaults(RedisFields, REDIS_DEFAULTS);

export const TenantRedis = Closed({
  use: Type.Union([Type.Literal('cache'), Type.Literal('queue')], {
    description: '`cache`: keys carry a TTL and may be evicted. `queue`: job keys without TTL (BullMQ, Celery) that must never be evicted.',
  }),
  prefixes: Type.Optional(
    Type.Array(Type.String({ pattern: REDIS_PREFIX, maxLength: 64 }), { uniqueItems: true, description: 'Extra key prefixes the app uses besides `<tenant>:` (e.g. `bull:` for BullMQ).' }),
  ),
  rotationPeriod: Type.Optional(
    Type.String({
      pattern: DURATION,
      description: "How often this tenant's Redis password is rotated (generated credentials only), 1d to 90d; the old one keeps working until the next rotation. @default vault.rotationPeriod",
    }),
  ),
});

export type TenantRedisInput = Static<typeof TenantRedis>;

/** The `redis:` section of a validated desired state, typed (the platform validated it against this schema). */
export const redisSection = (input: { readonly [section: string]: unknown }): RedisInput | undefined => input.redis as RedisInput | undefined;
/** A tenant's `redis:` field, typed. */
export const tenantRedis = (tenant: { readonly [field: string]: unknown }): TenantRedisInput | undefined => tenant.redis as TenantRedisInput | undefined;

export const REDIS_PATTERN_HINTS: Readonly<Record<string, string>> = {
  [REDIS_PREFIX]: 'letters, digits and _ . : - { } (a key prefix such as bull: or {queue}), without "{{" or "}}" (Helm would evaluate them as a template)',
};
