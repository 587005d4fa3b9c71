/** What the generated docs say about Redis: endpoints, tenants, backups, diagram. */
import { finalDumpDoc, offboardingDocs, type EngineDocs, type PlatformModel } from '@db/core';
import type { RedisModel } from './model.ts';
import { tenantRotationSeconds } from './rotation.ts';
import { tenantRedis } from './schema.ts';

/** What \`redis.auth\` means for clients, and for \`migrating\` how to finish. */
export function authSentence(redis: RedisModel): string {
  if (redis.auth === 'on') return 'the `default` user is off (`redis.auth: on`), so a client without a password is refused.';
  if (redis.auth === 'off') return 'the `default` user is open without a password (`redis.auth: off`): any client that reaches the port has full access.';
  return (
    'the `default` user stays open without a password while clients move over (`redis.auth: migrating`). ' +
    'The exporter counts the connections still made without a password as `count(redis_connected_clients_details{user="default"})` (per client: `count by (host)`). ' +
    'To finish: point every app at its own ACL user (the Secret `<tenant>-redis` in its namespace), wait until alert RedisUnauthenticatedClients is quiet and RedisAuthStillMigrating fires (7 days without an unauthenticated connection), then set `redis.auth: on` and sync; clients that still send no password are then refused with NOAUTH.'
  );
}

export function redisDocs(redis: RedisModel, model: PlatformModel): EngineDocs {
  const ha = redis.topology === 'sentinel';
  const master = `${redis.services.master}.${redis.namespace}.svc.cluster.local`;
  return {
    title: 'Redis',
    handManagedUsers: model.services.secretGeneration ? [] : ['Redis ACL system users'],
    summary:
      (ha
        ? `Sentinel HA: StatefulSet \`${redis.name}\` of ${redis.replicas} pods (redis, sentinel and exporter each, one per node, quorum ${redis.sentinel.quorum}) behind ${redis.haproxy.replicas} HAProxy replicas that send clients only to the master a majority of sentinels agrees on.`
        : `Standalone: StatefulSet \`${redis.name}\` with one pod (a restart is a few-seconds blip, accepted on 2026-05-30 after the split-brain) and no PodDisruptionBudget.`) +
      ` Redis \`${redis.image}\`, \`maxmemory ${redis.maxmemoryMb}mb\` of ${redis.resources.memory}, \`maxmemory-policy ${redis.maxmemoryPolicy}\`, on \`${redis.storage.storageClass}\` (${redis.storage.size}, growing to ${redis.storage.maxSize}). ` +
      `Each tenant logs in as its own ACL user, limited to its key prefixes; ${authSentence(redis)} ACL passwords live in the Secrets \`${redis.name}-user-<user>\` in \`${redis.namespace}\`${model.services.secretGeneration ? ', generated once into Vault KV; each tenant gets host, port, username, password, url and prefixes in the Secret `<tenant>-redis` in its own namespace' : ''}.`,
    endpoints: [
      { host: master, port: 6379, purpose: ha ? 'Every client: HAProxy, to the elected master only' : 'Every client: the Redis pod (the name never changes)' },
      ...(ha
        ? Array.from({ length: redis.replicas }, (_, i) => ({
            host: `${redis.name}-sentinel-${i}.${redis.namespace}.svc.cluster.local`,
            port: 26379,
            purpose: `Sentinel ${i}: operators and runbooks (clients use ${redis.services.master})`,
          }))
        : []),
    ],
    users: redis.tenants.map((t) => ({
      tenant: t.tenant.name,
      namespace: t.tenant.namespace,
      what: `ACL user \`${t.tenant.name}\` (${t.use}), keys ${t.prefixes.map((p) => `\`${p}*\``).join(', ')}`,
      connectsTo: `${master}:6379`,
      node: ha ? 'redis_haproxy' : 'redis_server',
    })),
    credentials: redis.tenants
      .filter((t) => t.state === 'active')
      .map((t) => {
        const rotates = tenantRotationSeconds(t, model) !== undefined;
        const period = tenantRedis(t.tenant)?.rotationPeriod;
        return {
          tenant: t.tenant.name,
          principal: `ACL user \`${t.tenant.name}\``,
          rotated: rotates,
          ...(rotates
            ? {
                rotatedBy: `by CronJob \`${redis.namespace}/${redis.name}-password-rotation\`; the old password works until the next rotation`,
                ...(period ? { rotationPeriod: period } : {}),
              }
            : { reason: 'generated credentials are off (no `secrets:` section): the password is made by hand' }),
        };
      }),
    backups: [
      {
        what: `Redis \`${redis.name}\`: RDB snapshot (\`redis-cli --rdb\`) as the ACL user \`backup\`, gzip`,
        schedule: redis.backup.schedule,
        target: `${model.backups.nfs.server}:${redis.backup.path}`,
        retention: `${redis.backup.days} days`,
        job: `${redis.namespace}/${redis.backup.name}`,
      },
    ],
    offboarding: offboardingDocs('redis', redis.namespace, redis.tenants, (t) => ({
      retired: `ACL user \`${t.tenant.name}\` off; no network path from \`${t.tenant.namespace}\`; no Secret \`${t.tenant.name}-redis\` sync; keys under ${t.prefixes.map((p) => `\`${p}\``).join(', ')} kept`,
      purged: 'keys under its own prefixes unlinked, ACL user deleted',
      finalDump: `none: Redis has no per-tenant dump; the weekly RDB (\`${redis.backup.path}\`, kept ${redis.backup.days} days) holds its keys`,
      purgeJob: '(SCAN + UNLINK, ACL DELUSER)',
    })),
    graph: {
      nodes: [
        ...(ha ? [{ id: 'redis_haproxy', label: `HAProxy x${redis.haproxy.replicas}<br/>${redis.services.master}.${redis.namespace}` }] : []),
        { id: 'redis_server', label: ha ? `Redis + Sentinel x${redis.replicas}<br/>${redis.name}` : `Redis standalone<br/>${redis.services.master}.${redis.namespace}` },
        { id: 'redis_backup', label: `RDB snapshot<br/>${redis.backup.schedule} UTC` },
      ],
      edges: [...(ha ? [{ from: 'redis_haproxy', to: 'redis_server', label: 'master only' }] : []), { from: 'redis_backup', to: 'redis_server', dotted: true }],
    },
  };
}
