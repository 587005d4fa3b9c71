/**
 * What the Redis dashboard shows, from redis_exporter v1.62.0 (the sidecar we render).
 * Redis keeps no statistics per ACL user, so per-tenant usage comes from the exporter's key
 * groups (`--check-key-groups`, exporter/key_groups.go): on every scrape a Lua script SCANs the
 * keyspace in batches and sums MEMORY USAGE per group, exported as
 * `redis_key_group_count{db,key_group}` and `redis_key_group_memory_usage_bytes{db,key_group}`
 * (exporter/exporter.go). Each tenant's group is its own `<tenant>:` prefix (the first of its
 * ACL patterns, unique by construction); keys under its extra prefixes (`bull:`, Celery's
 * `_kombu`...) fall in the exporter's `unclassified` group. The cost is one SCAN of the whole
 * keyspace per scrape, in batches of CHECK_KEYS_BATCH_SIZE keys (one short script each), which a
 * shared Redis of a few hundred MB carries. The exporter user may run exactly SCAN, EVALSHA (and
 * EVAL, the library's fallback when the script is not cached) and MEMORY USAGE on keys it can
 * only read (`%R~*`: MEMORY USAGE reads a key, and refused under the script's pcall it silently
 * reports 0 bytes), and nothing that returns a value (no GET, no KEYS).
 */
import { byTenant, type EngineDashboard } from '@db/core';
import type { RedisModel } from './model.ts';

const ENGINE = 'redis';

/** Keys per SCAN (and per script run) when the exporter groups keys by tenant. */
export const CHECK_KEYS_BATCH_SIZE = 1000;

/** A Lua pattern matching a literal string (Lua's magic characters escaped with %). */
const luaLiteral = (s: string) => s.replace(/[\^$()%.[\]*+\-?]/g, '%$&');

/**
 * The exporter's key groups: one per tenant, `^(<tenant>):`, whose capture (the group's name)
 * is the tenant's name. Comma-separated, as REDIS_EXPORTER_CHECK_KEY_GROUPS takes them (tenant
 * names cannot hold a comma).
 */
export function tenantKeyGroups(redis: RedisModel): string {
  return redis.tenants.map((t) => `^(${luaLiteral(t.tenant.name)}):`).join(',');
}

export const instanceSelector = (redis: RedisModel) => `namespace="${redis.namespace}", pod=~"${redis.name}-[0-9]+"`;

export function redisDashboard(redis: RedisModel): EngineDashboard {
  const sel = instanceSelector(redis);
  const rate = (m: string) => `rate(${m}{${sel}}[$__rate_interval])`;
  return {
    title: 'Redis',
    tenants: redis.tenants.map((t) => ({ tenant: t.tenant.name, labels: { key_group: t.tenant.name, user: t.tenant.name } })),
    sections: [
      {
        title: 'Tenants',
        panels: [
          {
            title: 'Memory used by keys',
            description:
              "MEMORY USAGE summed over the keys under each tenant's own prefix (redis_key_group_memory_usage_bytes), on the instance that reports the most. Keys under extra prefixes are not counted here.",
            unit: 'bytes',
            perTenant: true,
            queries: [{ expr: byTenant(ENGINE, `max by (key_group) (sum by (pod, key_group) (redis_key_group_memory_usage_bytes{${sel}}))`, 'key_group'), legend: '{{tenant}}' }],
          },
          {
            title: 'Keys',
            description: "Keys under each tenant's own prefix (redis_key_group_count).",
            perTenant: true,
            queries: [{ expr: byTenant(ENGINE, `max by (key_group) (sum by (pod, key_group) (redis_key_group_count{${sel}}))`, 'key_group'), legend: '{{tenant}}' }],
          },
          {
            title: 'Keys outside every tenant prefix',
            description: "The exporter's `unclassified` group: keys under tenants' extra prefixes (queues' shared names), and keys no ACL user should be able to write.",
            queries: [{ expr: `max(sum by (pod) (redis_key_group_count{key_group="unclassified", ${sel}}))`, legend: 'unclassified' }],
          },
        ],
      },
      {
        title: 'Server',
        panels: [
          {
            title: 'Memory used over maxmemory',
            description: 'redis_memory_used_bytes over redis_memory_max_bytes. RedisMemoryPressure fires above 80 %.',
            unit: 'percentunit',
            queries: [{ expr: `max by (pod) (redis_memory_used_bytes{${sel}} / redis_memory_max_bytes{${sel}} > 0)`, legend: '{{pod}}' }],
          },
          {
            title: 'Commands per second',
            description: 'redis_commands_processed_total, per instance: Redis counts commands per server, not per user.',
            unit: 'ops',
            queries: [{ expr: `sum by (pod) (${rate('redis_commands_processed_total')})`, legend: '{{pod}}' }],
          },
          {
            title: 'Cache hit ratio',
            description: 'Keyspace hits over lookups, per instance (Redis counts them per server, not per user).',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (pod) (${rate('redis_keyspace_hits_total')}) / (sum by (pod) (${rate('redis_keyspace_hits_total')}) + sum by (pod) (${rate('redis_keyspace_misses_total')}))`,
                legend: '{{pod}}',
              },
            ],
          },
          {
            title: 'Connected clients',
            description: 'redis_connected_clients, per instance.',
            queries: [{ expr: `max by (pod) (redis_connected_clients{${sel}})`, legend: '{{pod}}' }],
          },
          {
            title: 'Evicted keys per second',
            description: 'redis_evicted_keys_total. With volatile-lru only keys with a TTL are evicted.',
            unit: 'ops',
            queries: [{ expr: `sum by (pod) (${rate('redis_evicted_keys_total')})`, legend: '{{pod}}' }],
          },
        ],
      },
    ],
    overview: [
      {
        title: 'Redis up',
        description: `redis_up of ${redis.namespace}/${redis.name}.`,
        kind: 'stat',
        queries: [{ expr: `count(redis_up{${sel}} == 1)`, legend: 'up' }],
      },
      {
        title: 'Redis memory used',
        description: 'The fullest instance: used over maxmemory.',
        kind: 'stat',
        unit: 'percentunit',
        queries: [{ expr: `max(redis_memory_used_bytes{${sel}} / redis_memory_max_bytes{${sel}} > 0)`, legend: 'used' }],
      },
    ],
    backups: `backup="${redis.name}"`,
  };
}
