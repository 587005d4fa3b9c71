/** Semantic checks of the Redis section and of the tenants that use it, with positions. */
import { durationSeconds, ROTATION_BOUNDS_SECONDS, type PlatformModel, type Problem } from '@db/core';
import { resolveRedis, SYSTEM_USERS } from './model.ts';
import { redisSection, tenantRedis } from './schema.ts';

export function checkRedis(model: PlatformModel): Problem[] {
  const { source, input } = model;
  const problems: Problem[] = [];
  const users = model.tenants.filter((t) => t.redis);
  const spec = redisSection(input);
  if (users.length > 0 && !spec) {
    for (const t of users)
      problems.push(source.problem(['tenants', t.index, 'redis'], 'uses Redis, but the desired state has no redis section', 'add `redis: { topology: standalone }` at the top level'));
  }
  if (!spec) return problems;
  // Defaults come from the resolved model: one place (model.ts).
  const { topology, replicas } = resolveRedis(model);
  const days = (seconds: number) => `${seconds / 86_400}d`;
  for (const t of users) {
    const period = tenantRedis(t)!.rotationPeriod;
    if (period !== undefined) {
      const at = ['tenants', t.index, 'redis', 'rotationPeriod'];
      if (!model.services.secretGeneration) problems.push(source.problem(at, 'only generated Redis passwords rotate', 'add the `secrets:` section (with `vault:`), or remove rotationPeriod'));
      else if (durationSeconds(period) < ROTATION_BOUNDS_SECONDS.min || durationSeconds(period) > ROTATION_BOUNDS_SECONDS.max)
        problems.push(source.problem(at, `rotation period ${period} is outside ${days(ROTATION_BOUNDS_SECONDS.min)}..${days(ROTATION_BOUNDS_SECONDS.max)}`));
    }
    if (SYSTEM_USERS.has(t.name)) problems.push(source.problem(['tenants', t.index, 'name'], `"${t.name}" is a Redis system user (${[...SYSTEM_USERS].join(', ')})`, 'rename the tenant'));
  }
  const queues = users.filter((t) => tenantRedis(t)!.use === 'queue');
  if (queues.length > 0 && spec.maxmemoryPolicy?.startsWith('allkeys-')) {
    problems.push(
      source.problem(
        ['redis', 'maxmemoryPolicy'],
        `${spec.maxmemoryPolicy} can evict the TTL-less job keys of queue tenants ${queues.map((t) => t.name).join(', ')}`,
        'use volatile-lru (the 2026-05-30 change): only keys with a TTL (caches) are evicted',
      ),
    );
  }
  if (topology === 'standalone') {
    for (const key of ['sentinel', 'haproxy', 'antiAffinity'] as const) {
      if (spec[key] !== undefined) problems.push(source.problem(['redis', key], `only meaningful with topology: sentinel`, 'remove it, or set topology: sentinel'));
    }
  } else {
    const n = replicas;
    if (n < 3 || n % 2 === 0)
      problems.push(
        source.problem(
          ['redis', 'sentinel', 'replicas'],
          `${n} sentinels cannot form a safe majority`,
          'use an odd number, at least 3 (2026-04-19: 2 sentinels drifted and routed writes to a replica)',
        ),
      );
    const quorum = spec.sentinel?.quorum;
    if (quorum !== undefined && (quorum <= n / 2 || quorum > n))
      problems.push(source.problem(['redis', 'sentinel', 'quorum'], `quorum ${quorum} is not a majority of ${n} sentinels`, `use ${Math.floor(n / 2) + 1}`));
    const toWrite = spec.sentinel?.minReplicasToWrite;
    if (toWrite !== undefined && toWrite > n - 1)
      problems.push(source.problem(['redis', 'sentinel', 'minReplicasToWrite'], `${toWrite} replicas required for writes, but there are only ${n - 1}`, 'the master would refuse every write'));
  }
  return problems;
}
