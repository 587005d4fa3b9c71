/**
 * Daily per-tenant `mysqldump --single-transaction | gzip` to NFS: one dump per tenant
 * database in `<backup path>/<tenant>/`, with a manifest, keeping the last N of each, through
 * core's per-tenant backup script (the same text the tests run against a real server).
 *
 * What is dumped: each tenant's database, with routines, events and triggers. Users and
 * grants are not: the provisioning Job recreates them and Vault sets the passwords again, so
 * a restore is "provisioning Job, then replay the dump".
 */
import { Construct } from 'constructs';
import { tenantBackupScript, BackupCronJob, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { mysqlLabels } from './labels.ts';
import { MYSQL_PORT, MYSQL_UID } from './standalone.ts';

/**
 * The dump of database `$1`. Inputs: MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD.
 * Without `--databases`: the dump has no CREATE DATABASE or USE, so it restores into any
 * database name. One INSERT per row (`--skip-extended-insert`), so the manifest counts rows
 * from the dump itself. Only options both MySQL 8.4's and MariaDB 10.11's mysqldump accept;
 * InnoDB Cluster adds `--set-gtid-purged=OFF` (MySQL-only; GTIDs are on there), see
 * `innodbCluster`.
 */
export function mysqlDumpCommand(options: { innodbCluster?: boolean } = {}): string {
  const extra = options.innodbCluster ? ' --set-gtid-purged=OFF' : '';
  return `local cnf
  cnf=$(mktemp "\${TMPDIR:-/tmp}/dump.XXXXXX")
  printf '[client]\\nhost=%s\\nport=%s\\nuser=%s\\npassword="%s"\\nprotocol=TCP\\n' "$MYSQL_HOST" "\${MYSQL_PORT:-3306}" "$MYSQL_USER" "$MYSQL_PASSWORD" > "$cnf"
  # The database must exist: mysqldump of a missing one fails, as it should.
  mysqldump --defaults-extra-file="$cnf" --single-transaction --quick --routines --events --triggers --hex-blob --no-tablespaces --default-character-set=utf8mb4 --skip-extended-insert${extra} "$1" || { rm -f -- "$cnf"; return 1; }
  rm -f -- "$cnf"`;
}

/**
 * The manifest of a gzipped dump `$1`: `objects` (tables and views), `rows` and one
 * `table <name> <rows>` per table, counted from the dump's CREATE TABLE, view and
 * single-row INSERT lines. The same function describes a dump of a restored database.
 */
export const MYSQL_MANIFEST = `gzip -dc -- "$1" | awk '
    /^CREATE TABLE \`/ { name = $3; gsub(/\`/, "", name); if (!(name in rows)) { rows[name] = 0; order[++n] = name } ; objects++ ; next }
    /^\\/\\*!50001 VIEW \`/ { objects++; next }
    /^INSERT INTO \`/ { name = $3; gsub(/\`/, "", name); rows[name]++; total++; next }
    END { for (i = 1; i <= n; i++) print "table", order[i], rows[order[i]]; print "objects", objects + 0; print "rows", total + 0 }'`;

export function mysqlBackupScript(my: MysqlModel): string {
  return tenantBackupScript({
    engine: 'mysql',
    dumpCommand: mysqlDumpCommand({ innodbCluster: my.topology === 'innodb-cluster' }),
    manifestCommand: MYSQL_MANIFEST,
    extension: 'sql.gz',
    // A retired tenant's data is kept, so it is still dumped; a purged one has none.
    tenants: my.tenants.filter((t) => t.state !== 'purged').map((t) => ({ tenant: t.tenant.name, database: t.database, keep: t.backupKeep })),
  });
}

export class MysqlBackup extends Construct {
  constructor(scope: Construct, id: string, props: { my: MysqlModel; model: PlatformModel }) {
    super(scope, id);
    const { my, model } = props;
    new BackupCronJob(this, 'Backup', {
      namespace: my.namespace,
      name: my.backup.name,
      labels: mysqlLabels(my, 'backup'),
      schedule: my.backup.schedule,
      // The standalone server image: its mysqldump matches the server.
      image: my.image,
      script: mysqlBackupScript(my),
      nfsPath: my.backup.path,
      backupName: my.name,
      runAsUser: MYSQL_UID,
      model,
      env: [
        { name: 'MYSQL_HOST', value: my.name },
        { name: 'MYSQL_PORT', value: String(MYSQL_PORT) },
        { name: 'MYSQL_USER', value: my.users.backup },
        { name: 'MYSQL_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.backup, key: 'password' } } },
      ],
    });
  }
}
