/**
 * The weekly restore drill of the PostgreSQL dumps (core's drill script and CronJob): the
 * operand image starts a throw-away server on the pod's emptyDir (initdb, trust over a
 * socket in the scratch folder, no TCP), loads the newest roles file, restores the newest
 * dump of every tenant as the superuser of that server, dumps it again and compares the
 * manifest of that dump (objects, rows per table) with the one written at backup time.
 */
import { Construct } from 'constructs';
import { drillScript, DrillCronJob, DRILL_COMPONENT, recommendedLabels, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';
import { CNPG_POSTGRES_UID, POSTGRES_DUMP_EXTENSION, POSTGRES_MANIFEST } from './backup.ts';

export const drillPods = (pg: PostgresModel) => ({ 'app.kubernetes.io/instance': pg.name, 'app.kubernetes.io/component': DRILL_COMPONENT });

export function postgresDrillScript(pg: PostgresModel): string {
  return drillScript({
    engine: 'postgres',
    extension: POSTGRES_DUMP_EXTENSION,
    tenants: pg.tenants.filter((t) => t.state !== 'purged').map((t) => t.tenant.name),
    startServer: `export PGDATA="$DRILL_SCRATCH/pgdata" PGHOST="$DRILL_SCRATCH" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
  unset PGPASSWORD PGSERVICE PGSERVICEFILE
  initdb -D "$PGDATA" -U postgres --auth=trust --no-sync -E UTF8 --locale=C
  pg_ctl -D "$PGDATA" -w -t 300 -l "$DRILL_SCRATCH/server.log" -o "-c listen_addresses='' -c unix_socket_directories='$DRILL_SCRATCH' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start`,
    stopServer: 'pg_ctl -D "$PGDATA" -m fast -w stop',
    // Roles without passwords: owners and privileges restore as they were. Existing ones (postgres) only warn.
    loadGlobals: 'gzip -dc -- "$1" | psql -X -q -d postgres',
    globalsExtension: 'sql.gz',
    loadArchive: `createdb -- "$2"
  gzip -dc -- "$1" | pg_restore --dbname="$2" --exit-on-error`,
    describe: `local redump="$DRILL_SCRATCH/redump.pgdump.gz"
  pg_dump --format=custom --compress=0 --dbname="$1" | gzip -1 > "$redump"
  set -- "$redump"
  ${POSTGRES_MANIFEST}`,
  });
}

export class PostgresDrill extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel; model: PlatformModel }) {
    super(scope, id);
    const { pg, model } = props;
    new DrillCronJob(this, 'Drill', {
      model,
      namespace: pg.namespace,
      name: pg.backup.drill.name,
      labels: recommendedLabels({ name: 'postgresql', instance: pg.name, component: DRILL_COMPONENT, version: pg.imageTag }),
      schedule: pg.backup.drill.schedule,
      // The operand image: the same server and pg_dump as the dumps came from.
      image: pg.image,
      runAsUser: CNPG_POSTGRES_UID,
      script: postgresDrillScript(pg),
      backupClaim: pg.backup.name,
      backupName: pg.name,
      scratch: pg.backup.drill.scratch,
      resources: { cpu: '500m', memory: '1Gi' },
    });
  }
}
