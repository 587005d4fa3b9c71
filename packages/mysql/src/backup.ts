/**
 * Daily `mysqldump --single-transaction | gzip` to NFS, keeping the last N dumps, through
 * core's backup script (the same text the tests run against a real server).
 *
 * What is dumped: every non-system database, with routines, events and triggers. Users and
 * grants are not: the provisioning Job recreates them and Vault sets the passwords again, so
 * a restore is "provisioning Job, then replay the dump".
 */
import { Construct } from 'constructs';
import { backupScript, BackupCronJob, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { mysqlLabels } from './labels.ts';
import { MYSQL_PORT, MYSQL_UID } from './standalone.ts';

/**
 * The dump command. Inputs: MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD. Only
 * options both MySQL 8.4's and MariaDB 10.11's mysqldump accept; InnoDB Cluster adds
 * `--set-gtid-purged=OFF` (MySQL-only; GTIDs are on there), see `innodbCluster`.
 */
export function mysqlDumpCommand(options: { innodbCluster?: boolean } = {}): string {
  const extra = options.innodbCluster ? ' --set-gtid-purged=OFF' : '';
  return `local cnf databases
  cnf=$(mktemp "\${TMPDIR:-/tmp}/dump.XXXXXX")
  printf '[client]\\nhost=%s\\nport=%s\\nuser=%s\\npassword="%s"\\nprotocol=TCP\\n' "$MYSQL_HOST" "\${MYSQL_PORT:-3306}" "$MYSQL_USER" "$MYSQL_PASSWORD" > "$cnf"
  databases=$(mysql --defaults-extra-file="$cnf" --batch --skip-column-names -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY schema_name")
  if [ -z "$databases" ]; then
    echo "-- db-platform: no databases to dump"
  else
    # shellcheck disable=SC2086 # names are identifiers, one per line
    mysqldump --defaults-extra-file="$cnf" --single-transaction --quick --routines --events --triggers --hex-blob --no-tablespaces --default-character-set=utf8mb4${extra} --databases $databases
  fi
  rm -f -- "$cnf"`;
}

export function mysqlBackupScript(my: MysqlModel): string {
  return backupScript({
    engine: 'mysql',
    dumpCommand: mysqlDumpCommand({ innodbCluster: my.topology === 'innodb-cluster' }),
    extension: 'sql.gz',
    retention: { keep: my.backup.keep },
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
