/**
 * The weekly restore drill of the Redis RDB snapshots (core's drill script and CronJob, one
 * dump of the instance): the Debian Redis image starts a throw-away redis-server on the
 * pod's emptyDir with the newest snapshot as its data file (no TCP, a socket in the scratch
 * folder), and checks that every key the manifest counts was loaded (or had expired since:
 * redis-server reports both) and that the server holds the keys it loaded.
 */
import { Construct } from 'constructs';
import { drillScript, DrillCronJob, DRILL_COMPONENT, imageRef, type PlatformModel } from '@db/core';
import type { RedisModel } from './model.ts';
import { redisLabels } from './labels.ts';
import { REDIS_BACKUP_IMAGE, REDIS_UID } from './images.ts';

export const drillPods = (redis: RedisModel) => ({ 'app.kubernetes.io/instance': redis.name, 'app.kubernetes.io/component': DRILL_COMPONENT });

export function redisDrillScript(redis: RedisModel): string {
  return drillScript({
    engine: 'redis',
    extension: 'rdb.gz',
    tenants: [redis.name],
    flat: true,
    // The server starts with the snapshot it loads (load_archive).
    startServer: ':',
    // Waits until the server is gone: a server still shutting down unlinks its socket file,
    // which would be the next server's if one started in the same folder meanwhile.
    stopServer: `[ -f "$DRILL_SCRATCH/redis.pid" ] || return 0
  local pid i
  pid=$(cat -- "$DRILL_SCRATCH/redis.pid")
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true`,
    loadArchive: `local pid i
  gzip -dc -- "$1" > "$DRILL_SCRATCH/dump.rdb"
  redis-server --port 0 --unixsocket "$DRILL_SCRATCH/redis.sock" --unixsocketperm 700 --dir "$DRILL_SCRATCH" --dbfilename dump.rdb --save '' --appendonly no --logfile "$DRILL_SCRATCH/redis.log" </dev/null >/dev/null 2>&1 &
  pid=$!
  echo "$pid" > "$DRILL_SCRATCH/redis.pid"
  for i in $(seq 1 600); do
    [ "$(redis-cli -s "$DRILL_SCRATCH/redis.sock" ping 2>/dev/null)" != PONG ] || return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      cat -- "$DRILL_SCRATCH/redis.log"
      return 1
    fi
    sleep 0.5
  done
  return 1`,
    describe: `local loaded expired held
  loaded=$(grep -o 'keys loaded: [0-9]*' "$DRILL_SCRATCH/redis.log" | tail -n 1 | grep -o '[0-9]*$')
  expired=$(grep -o 'keys expired: [0-9]*' "$DRILL_SCRATCH/redis.log" | tail -n 1 | grep -o '[0-9]*$')
  held=$(redis-cli -s "$DRILL_SCRATCH/redis.sock" info keyspace | tr -d '\\r' | awk -F'[=,:]' '/^db[0-9]+:/ { n += $3 } END { print n + 0 }')
  [ "$held" = "\${loaded:-0}" ] || echo "the server holds $held keys, it loaded \${loaded:-0}" >&2
  echo "objects $((held + \${expired:-0}))"
  echo "rows $((held + \${expired:-0}))"`,
  });
}

export class RedisDrill extends Construct {
  constructor(scope: Construct, id: string, props: { redis: RedisModel; model: PlatformModel }) {
    super(scope, id);
    const { redis, model } = props;
    new DrillCronJob(this, 'Drill', {
      model,
      namespace: redis.namespace,
      name: redis.backup.drill.name,
      labels: { ...redisLabels(redis, DRILL_COMPONENT), ...drillPods(redis) },
      schedule: redis.backup.drill.schedule,
      // The Debian variant of the same release, as the backup: the shared script needs bash.
      image: imageRef(REDIS_BACKUP_IMAGE, model.imageRegistry),
      runAsUser: REDIS_UID,
      script: redisDrillScript(redis),
      backupClaim: redis.backup.name,
      backupName: redis.name,
      scratch: redis.backup.drill.scratch,
      resources: { cpu: '250m', memory: '1Gi' },
    });
  }
}
