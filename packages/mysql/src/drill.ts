/**
 * The weekly restore drill of the MySQL dumps (core's drill script and CronJob): the server
 * image starts a throw-away server on the pod's emptyDir (no networking, root over a socket
 * in the scratch folder), restores the newest dump of every tenant into a database of its
 * own, dumps it again and compares the manifest of that dump (tables, views, rows per
 * table) with the one written at backup time. MariaDB's tools are used where the image has
 * them (the tests run it on Debian's MariaDB), MySQL's otherwise.
 */
import { Construct } from 'constructs';
import { drillScript, DrillCronJob, DRILL_COMPONENT, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { MYSQL_MANIFEST } from './backup.ts';
import { mysqlLabels, mysqlSelector } from './labels.ts';
import { MYSQL_UID } from './standalone.ts';

export const drillPods = (my: MysqlModel) => mysqlSelector(my, DRILL_COMPONENT);

export function mysqlDrillScript(my: MysqlModel): string {
  return drillScript({
    engine: 'mysql',
    extension: 'sql.gz',
    tenants: my.tenants.filter((t) => t.state !== 'purged').map((t) => t.tenant.name),
    startServer: `drill_sql() { mysql --no-defaults --socket="$DRILL_SCRATCH/mysqld.sock" -uroot --batch --skip-column-names --default-character-set=utf8mb4 "$@"; }
  local data="$DRILL_SCRATCH/data" server user=() extra=() i
  mkdir -p -- "$data"
  [ "$(id -u)" != 0 ] || user=(--user=root)
  if command -v mariadb-install-db >/dev/null; then
    mariadb-install-db --no-defaults --datadir="$data" --auth-root-authentication-method=normal --skip-test-db "\${user[@]}"
    server=mariadbd
  else
    mysqld --no-defaults --initialize-insecure --datadir="$data" "\${user[@]}"
    server=mysqld
    extra=(--mysqlx=OFF --secure-file-priv="$DRILL_SCRATCH")
  fi
  "$server" --no-defaults --datadir="$data" --socket="$DRILL_SCRATCH/mysqld.sock" --pid-file="$DRILL_SCRATCH/mysqld.pid" --log-error="$DRILL_SCRATCH/mysqld.log" --skip-networking --innodb-buffer-pool-size=128M "\${user[@]}" "\${extra[@]}" </dev/null >/dev/null 2>&1 &
  for i in $(seq 1 180); do
    drill_sql -e 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 1
  done
  cat -- "$DRILL_SCRATCH/mysqld.log"
  return 1`,
    stopServer: `local pid i
  pid=$(cat -- "$DRILL_SCRATCH/mysqld.pid")
  kill "$pid"
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$pid"`,
    loadArchive: `drill_sql -e "CREATE DATABASE \\\`$2\\\` CHARACTER SET utf8mb4"
  gzip -dc -- "$1" | drill_sql "$2"`,
    describe: `local redump="$DRILL_SCRATCH/redump.sql.gz"
  mysqldump --no-defaults --socket="$DRILL_SCRATCH/mysqld.sock" -uroot --single-transaction --quick --routines --events --triggers --hex-blob --no-tablespaces --default-character-set=utf8mb4 --skip-extended-insert "$1" | gzip -1 > "$redump"
  set -- "$redump"
  ${MYSQL_MANIFEST}`,
  });
}

export class MysqlDrill extends Construct {
  constructor(scope: Construct, id: string, props: { my: MysqlModel; model: PlatformModel }) {
    super(scope, id);
    const { my, model } = props;
    new DrillCronJob(this, 'Drill', {
      model,
      namespace: my.namespace,
      name: my.backup.drill.name,
      labels: mysqlLabels(my, DRILL_COMPONENT),
      schedule: my.backup.drill.schedule,
      // The standalone server image: the same server and mysqldump as the dumps came from.
      image: my.image,
      runAsUser: MYSQL_UID,
      script: mysqlDrillScript(my),
      backupClaim: my.backup.name,
      backupName: my.name,
      scratch: my.backup.drill.scratch,
      resources: { cpu: '500m', memory: '1Gi' },
    });
  }
}
