/**
 * Retiring and purging a Redis tenant. Retired: its ACL user is `off` (users-acl.ts; the
 * pods restart on the changed ACL template and load it), its keys stay, its network path and
 * its Secret in its namespace are gone (network.ts, @db/vault). Redis has no per-tenant dump
 * (its RDB is the instance's), so retiring takes no final dump: the weekly RDB holds the
 * tenant's keys. Purged: a one-shot Job, logged in as `admin`, deletes every key under the
 * tenant's prefixes (SCAN + UNLINK, until none is left) and the user (`ACL DELUSER`, on every pod). Each
 * tenant has a record ConfigMap carrying its label and state (core TenantRecords): its user
 * lives only inside the shared ACL template.
 */
import { Construct } from 'constructs';
import { imageRef, OffboardingJobs, PURGE_COMPONENT, purgeScript, TenantRecords, type PlatformModel } from '@db/core';
import type { RedisModel } from './model.ts';
import { redisLabels } from './labels.ts';
import { REDIS_BACKUP_IMAGE, REDIS_UID } from './images.ts';
import { rotationNodes } from './rotation.ts';

export const purgePods = (redis: RedisModel) => ({ 'app.kubernetes.io/instance': redis.name, 'app.kubernetes.io/component': PURGE_COMPONENT });

/**
 * The purge: PURGE_DATABASE holds the tenant's key prefixes, comma-separated (the ones no
 * other tenant declares); REDIS_HOST, REDIS_PORT, REDIS_USER and REDISCLI_AUTH the login;
 * NODES every data pod (`host:port ...`), where the user is dropped.
 */
export function redisPurgeScript(): string {
  return purgeScript({
    engine: 'redis',
    purgeCommand: `local prefix removed total=0 left
  rcli() { redis-cli --no-auth-warning -h "$REDIS_HOST" -p "\${REDIS_PORT:-6379}" --user "$REDIS_USER" "$@"; }
  IFS=, read -r -a prefixes <<< "$PURGE_DATABASE"
  for prefix in "\${prefixes[@]}"; do
    [[ $prefix =~ ^[A-Za-z0-9_.:{}-]+$ ]] || { echo "purge: refusing the prefix $prefix" >&2; return 2; }
    # SCAN returns every key that exists throughout; the tenant's user is off, so nothing adds keys: repeat until none is left.
    while :; do
      removed=$(rcli --scan --pattern "$prefix*" | xargs -r -d '\\n' -n 500 redis-cli --no-auth-warning -h "$REDIS_HOST" -p "\${REDIS_PORT:-6379}" --user "$REDIS_USER" UNLINK | awk '{ n += $1 } END { print n + 0 }')
      total=$((total + removed))
      # (awk, not head: head would close the pipe on redis-cli, a failure under pipefail)
      left=$(rcli --scan --pattern "$prefix*" | awk 'NR == 1')
      [ -n "$left" ] || break
    done
    echo "purge: no key left under $prefix"
  done
  # The ACL lives in each server, it is not replicated: drop the user on every pod, or a
  # replica promoted later would still let it in.
  local node reply
  for node in $NODES; do
    reply=$(redis-cli --no-auth-warning -h "\${node%:*}" -p "\${node##*:}" --user "$REDIS_USER" ACL DELUSER "$PURGE_LOGIN" 2>&1) || true
    [[ $reply =~ ^[01]$ ]] || { echo "purge: $node did not drop ACL user $PURGE_LOGIN: $reply" >&2; return 1; }
  done
  echo "purge: unlinked $total keys, deleted ACL user $PURGE_LOGIN on $(wc -w <<< "$NODES") server(s)"`,
  });
}

export class RedisOffboarding extends Construct {
  constructor(scope: Construct, id: string, props: { redis: RedisModel; model: PlatformModel }) {
    super(scope, id);
    const { redis, model } = props;
    new TenantRecords(this, 'Records', {
      namespace: redis.namespace,
      name: redis.name,
      labels: redisLabels(redis, 'tenant'),
      tenants: redis.tenants.map((t) => ({ tenant: t.tenant, facts: { user: t.tenant.name, prefixes: t.prefixes.join(','), use: t.use } })),
    });
    // A prefix another tenant (not purged) also declares is not this tenant's alone: it is kept.
    const shared = (t: (typeof redis.tenants)[number], p: string) => redis.tenants.some((o) => o !== t && o.state !== 'purged' && o.prefixes.includes(p));
    new OffboardingJobs(this, 'Jobs', {
      model,
      engine: 'redis',
      namespace: redis.namespace,
      name: redis.name,
      image: imageRef(REDIS_BACKUP_IMAGE, model.imageRegistry),
      runAsUser: REDIS_UID,
      backupClaim: redis.backup.name,
      backupName: redis.name,
      tenants: redis.tenants.filter((t) => t.state !== 'active').map((t) => ({ tenant: t.tenant, database: t.prefixes.filter((p) => !shared(t, p)).join(','), login: t.tenant.name })),
      purge: {
        script: redisPurgeScript(),
        labels: { ...redisLabels(redis, PURGE_COMPONENT), ...purgePods(redis) },
        env: [
          // Through redis-master: the current master, in either topology.
          { name: 'REDIS_HOST', value: redis.services.master },
          { name: 'REDIS_PORT', value: '6379' },
          { name: 'REDIS_USER', value: 'admin' },
          { name: 'NODES', value: rotationNodes(redis).join(' ') },
          { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: redis.users.find((u) => u.name === 'admin')!.secret, key: 'password' } } },
        ],
      },
    });
  }
}
