/**
 * Restores of one tenant's dump (`restores:` entries naming mysql), through core's restore
 * script and Jobs, logged in as root (as the provisioning Job is). The dump has no CREATE
 * DATABASE or USE, so it goes into whichever database the entry names. A replace replays the
 * dump over the database: each table the dump holds is dropped and recreated (mysqldump's
 * DROP TABLE IF EXISTS); tables the dump does not know stay. Users and grants belong to the
 * provisioning Job: a new database is reachable by root only until a tenant is given it.
 */
import { Construct } from 'constructs';
import { restoreScript, RestoreJobs, RESTORE_COMPONENT, RESTORING_POD_LABELS, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { mysqlLabels, mysqlSelector } from './labels.ts';
import { MYSQL_PORT, MYSQL_UID } from './standalone.ts';

/** Pods of the restore Jobs, not of the listings (network policy). */
export const restorePods = (my: MysqlModel) => ({ ...mysqlSelector(my, RESTORE_COMPONENT), ...RESTORING_POD_LABELS });

export function mysqlRestoreScript(): string {
  return restoreScript({
    engine: 'mysql',
    extension: 'sql.gz',
    // Reads MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD when first called (a listing has none).
    prelude: `sql() {
  local cnf code=0
  cnf=$(mktemp "\${TMPDIR:-/tmp}/restore.XXXXXX")
  printf '[client]\\nhost=%s\\nport=%s\\nuser=%s\\npassword="%s"\\nprotocol=TCP\\ndefault-character-set=utf8mb4\\n' "$MYSQL_HOST" "\${MYSQL_PORT:-3306}" "$MYSQL_USER" "$MYSQL_PASSWORD" > "$cnf"
  mysql --defaults-extra-file="$cnf" --batch --skip-column-names "$@" || code=$?
  rm -f -- "$cnf"
  return "$code"
}`,
    targetObjects: `sql -e "SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$1') + (SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = '$1')"`,
    createTarget: 'sql -e "CREATE DATABASE IF NOT EXISTS \\`$1\\` CHARACTER SET utf8mb4"',
    restoreArchive: 'gzip -dc -- "$1" | sql "$2"',
    countRows: 'sql -e "SELECT COUNT(*) FROM \\`$1\\`.\\`$2\\`"',
  });
}

export class MysqlRestores extends Construct {
  constructor(scope: Construct, id: string, props: { my: MysqlModel; model: PlatformModel }) {
    super(scope, id);
    const { my, model } = props;
    const byTenant = new Map(my.tenants.map((t) => [t.tenant.name, t]));
    new RestoreJobs(this, 'Jobs', {
      model,
      engine: 'mysql',
      namespace: my.namespace,
      name: my.name,
      labels: mysqlLabels(my, RESTORE_COMPONENT),
      image: my.image,
      runAsUser: MYSQL_UID,
      script: mysqlRestoreScript(),
      backupClaim: my.backup.name,
      backupName: my.name,
      database: (tenant) => byTenant.get(tenant)!.database,
      env: [
        { name: 'MYSQL_HOST', value: my.name },
        { name: 'MYSQL_PORT', value: String(MYSQL_PORT) },
        { name: 'MYSQL_USER', value: 'root' },
        { name: 'MYSQL_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.root, key: my.rootPasswordKey } } },
      ],
    });
  }
}
