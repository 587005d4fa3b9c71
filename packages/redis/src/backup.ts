/** Weekly RDB snapshot (`redis-cli --rdb`) to NFS, kept 28 days, reported to the Pushgateway. */
import { Construct } from 'constructs';
import { backupScript, BackupCronJob, type PlatformModel } from '@db/core';
import type { RedisModel } from './model.ts';
import { backupPods, redisLabels } from './labels.ts';
import { REDIS_BACKUP_IMAGE, REDIS_UID } from './images.ts';
import { imageRef } from '@db/core';

/**
 * The RDB goes to a temporary file on the backup volume (redis-cli --rdb needs a file; the
 * pod's /tmp is too small for a full dataset), is checked with
 * its magic header, then streamed out for the shared script to gzip. Inputs: REDIS_HOST,
 * REDIS_PORT, REDIS_USER, REDISCLI_AUTH.
 */
export function redisBackupScript(redis: RedisModel): string {
  return backupScript({
    engine: 'redis',
    dumpCommand: [
      'local rdb',
      'rdb=$(mktemp "$BACKUP_DIR/.redis-rdb.XXXXXX")',
      'redis-cli --no-auth-warning -h "$REDIS_HOST" -p "${REDIS_PORT:-6379}" --user "$REDIS_USER" --rdb "$rdb" >&2',
      '[ "$(head -c 5 "$rdb")" = REDIS ] || { echo "not an RDB file" >&2; rm -f -- "$rdb"; return 1; }',
      'cat -- "$rdb"',
      'rm -f -- "$rdb"',
    ].join('\n  '),
    extension: 'rdb.gz',
    retention: { days: redis.backup.days },
    manifestCommand: REDIS_MANIFEST,
  });
}

/**
 * The manifest of a gzipped RDB `$1`: every key it holds (`redis-check-rdb`'s "keys read",
 * those already expired included), as `objects` and `rows`. A restore accounts for each of
 * them as loaded or expired (see the drill).
 */
export const REDIS_MANIFEST = `local rdb
  rdb=$(mktemp "$BACKUP_DIR/.redis-manifest.XXXXXX")
  gzip -dc -- "$1" > "$rdb"
  redis-check-rdb "$rdb" | awk '/keys read/ { k = $2 } END { if (k == "") exit 1; print "objects", k; print "rows", k }' || { rm -f -- "$rdb"; return 1; }
  rm -f -- "$rdb"`;

export class RedisBackup extends Construct {
  constructor(scope: Construct, id: string, props: { redis: RedisModel; model: PlatformModel }) {
    super(scope, id);
    const { redis, model } = props;
    new BackupCronJob(this, 'Backup', {
      namespace: redis.namespace,
      name: redis.backup.name,
      labels: { ...redisLabels(redis, 'backup'), ...backupPods(redis) },
      schedule: redis.backup.schedule,
      // The Debian variant of the same release: the shared script needs bash, alpine has none.
      image: imageRef(REDIS_BACKUP_IMAGE, model.imageRegistry),
      script: redisBackupScript(redis),
      nfsPath: redis.backup.path,
      backupName: redis.name,
      runAsUser: REDIS_UID,
      model,
      resources: { cpu: '100m', memory: '128Mi' },
      env: [
        // Through redis-master: the current master, in either topology.
        { name: 'REDIS_HOST', value: redis.services.master },
        { name: 'REDIS_PORT', value: '6379' },
        { name: 'REDIS_USER', value: 'backup' },
        { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: redis.users.find((u) => u.name === 'backup')!.secret, key: 'password' } } },
      ],
    });
  }
}
