/**
 * The Redis passwords, generated in the cluster (see @db/core GeneratedSecret): one per ACL
 * user, delivered to the `redis` namespace (prepare.sh hashes it into the ACL file) and, for
 * a tenant, also to the tenant's namespace as a ready-to-use Secret. Both copies come from
 * the same single value, so the server's ACL and the app always agree.
 */
import type { GeneratedSecret, PlatformModel } from '@db/core';
import { resolveRedis, type RedisModel, type RedisTenant } from './model.ts';
import { userRotation } from './rotation.ts';

/**
 * `previous` of the one owner's entry, or empty before the first rotation. `index` yields the
 * zero value for a missing key, where `.previous` would fail the whole Secret: External
 * Secrets v2.9.0 runs templates with missingkey=error (runtime/template/v2/template.go:238).
 */
export const ROTATION_PREVIOUS_TEMPLATE = '{{ index . "previous" }}';

export const REDIS_PORT = 6379;

/** Secret the app reads in its own namespace. */
export const tenantSecretName = (t: RedisTenant) => `${t.tenant.name}-redis`;

/** Host apps connect to (HAProxy in the sentinel topology, the pod in standalone). */
export const clientHost = (redis: RedisModel) => `${redis.services.master}.${redis.namespace}.svc.cluster.local`;

/** The tenant's Secret: Go templates over `.password`, the rest literal. */
export function tenantSecretTemplate(redis: RedisModel, t: RedisTenant): Record<string, string> {
  const host = clientHost(redis);
  return {
    host,
    port: String(REDIS_PORT),
    username: t.tenant.name,
    password: '{{ .password }}',
    url: `redis://${t.tenant.name}:{{ .password | urlquery }}@${host}:${REDIS_PORT}/0`,
    // Comma-separated; every key the app writes must start with one of them.
    prefixes: t.prefixes.join(','),
  };
}

export function redisGeneratedSecrets(model: PlatformModel): GeneratedSecret[] {
  const redis = resolveRedis(model);
  return redis.users.map((u) => {
    const t = redis.tenants.find((x) => x.tenant.name === u.tenant?.name);
    const rotation = userRotation(redis, u, model);
    return {
      namespace: redis.namespace,
      name: u.secret,
      purpose: `Redis ACL user ${u.name}: ${u.purpose}`,
      ...(t ? { tenantCopy: { tenant: t.tenant, name: tenantSecretName(t), template: tenantSecretTemplate(redis, t) } } : {}),
      // The server's copy then also holds `previous`: prepare.sh hashes both into the ACL file.
      ...(t && rotation ? { rotation, template: { password: '{{ .password }}', previous: ROTATION_PREVIOUS_TEMPLATE } } : {}),
    };
  });
}
