import type { Engine } from '@db/core';
import { checkRedis } from './checks.ts';
import { resolveRedis } from './model.ts';
import { RedisStatefulSet } from './redis-statefulset.ts';
import { RedisHaproxy } from './haproxy.ts';
import { RedisMonitoring, redisAlerts } from './monitoring.ts';
import { RedisBackup } from './backup.ts';
import { RedisDrill } from './drill.ts';
import { RedisOffboarding } from './offboarding.ts';
import { RedisNetwork } from './network.ts';
import { REDIS_RULES } from './rules.ts';
import { redisDocs } from './docs.ts';
import { redisDashboard } from './dashboard.ts';
import { redisGeneratedSecrets } from './secrets.ts';
import { redisRotates, redisRotationStep } from './rotation.ts';
import { REDIS_PATTERN_HINTS, RedisSpec, TenantRedis } from './schema.ts';

export const redisEngine: Engine = {
  id: 'redis',
  description: 'Redis, standalone or Sentinel HA',
  schema: { section: RedisSpec, tenant: TenantRedis, patternHints: REDIS_PATTERN_HINTS },
  // redis.conf and sentinel.conf take passwords as directive arguments: `requirepass <password>`.
  credentialDetectors: [{ id: 'redis-password-directive', pattern: /\b(?:requirepass|masterauth|sentinel auth-pass)\s+["']?([^\s"',;)]{4,})/gi, valueGroup: 1 }],
  // Sentinels and HAProxy decide where clients write: they are placed like the data pods.
  resources: { dataComponents: ['sentinel', 'proxy'] },
  enabled: (model) => model.input.redis !== undefined,
  check: checkRedis,
  namespaces: (model) => [{ name: resolveRedis(model).namespace, podSecurity: 'restricted' }],
  build(scope, model) {
    const redis = resolveRedis(model);
    new RedisStatefulSet(scope, 'Redis', { redis, model });
    if (redis.topology === 'sentinel') new RedisHaproxy(scope, 'Haproxy', { redis, model });
    new RedisMonitoring(scope, 'Monitoring', { redis, model });
    new RedisBackup(scope, 'Backup', { redis, model });
    new RedisDrill(scope, 'Drill', { redis, model });
    new RedisOffboarding(scope, 'Offboarding', { redis, model });
    new RedisNetwork(scope, 'Network', { redis, model });
  },
  generatedSecrets: redisGeneratedSecrets,
  rotationStep: redisRotationStep,
  rules: REDIS_RULES,
  alerts: (model) => redisAlerts(resolveRedis(model), { rotation: redisRotates(resolveRedis(model), model) }),
  docs: (model) => redisDocs(resolveRedis(model), model),
  dashboard: (model) => redisDashboard(resolveRedis(model)),
};
