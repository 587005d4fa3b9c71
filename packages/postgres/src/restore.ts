/**
 * Restores of one tenant's dump (`restores:` entries naming postgres), through core's
 * restore script and Jobs. The Job logs in as `db_restore`: a member of every tenant role
 * (CNPG `inRoles`) with CREATEDB, so it creates a missing database owned by the tenant and
 * replays the dump as the tenant (`pg_restore --role`), never as a superuser. A replace runs
 * in one transaction (`--single-transaction --clean --if-exists`): a failure changes nothing.
 *
 * Extensions are left to the target database (CNPG creates a tenant's declared extensions in
 * its database; only a superuser could): the dump's CREATE EXTENSION entries are skipped.
 */
import { Construct } from 'constructs';
import { recommendedLabels, restoreScript, RestoreJobs, RESTORE_COMPONENT, RESTORING_POD_LABELS, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';
import { CNPG_POSTGRES_UID, POSTGRES_DUMP_EXTENSION } from './backup.ts';

/** Pods of the restore Jobs, not of the listings (network policy). */
export const restorePods = (pg: PostgresModel) => ({ 'app.kubernetes.io/instance': pg.name, 'app.kubernetes.io/component': RESTORE_COMPONENT, ...RESTORING_POD_LABELS });

const PSQL = 'psql -X -v ON_ERROR_STOP=1 -At';

export function postgresRestoreScript(): string {
  return restoreScript({
    engine: 'postgres',
    extension: POSTGRES_DUMP_EXTENSION,
    // Relations outside the system schemas that no extension owns (PostGIS's spatial_ref_sys is the database's, not the dump's).
    targetObjects: `local exists
  exists=$(${PSQL} -d postgres -c "select count(*) from pg_database where datname = '$1'")
  if [ "$exists" = 0 ]; then
    echo 0
    return 0
  fi
  ${PSQL} -d "$1" -c "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%' and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')"`,
    createTarget: `local exists
  exists=$(${PSQL} -d postgres -c "select count(*) from pg_database where datname = '$1'")
  [ "$exists" = 1 ] || ${PSQL} -d postgres -q -c "create database \\"$1\\" owner \\"$RESTORE_ROLE\\""`,
    restoreArchive: `local list clean=()
  [ "$3" != true ] || clean=(--clean --if-exists)
  list=$(mktemp "\${TMPDIR:-/tmp}/toc.XXXXXX")
  gzip -dc -- "$1" | pg_restore --list | grep -v -E '^[0-9]+; [0-9]+ [0-9]+ (EXTENSION|COMMENT - EXTENSION) ' > "$list"
  gzip -dc -- "$1" | pg_restore --dbname="$2" --role="$RESTORE_ROLE" --no-owner --exit-on-error --single-transaction --use-list="$list" "\${clean[@]}"
  rm -f -- "$list"`,
    countRows: `${PSQL} -d "$1" -c "select count(*) from $2"`,
  });
}

export class PostgresRestores extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel; model: PlatformModel }) {
    super(scope, id);
    const { pg, model } = props;
    const byTenant = new Map(pg.tenants.map((t) => [t.tenant.name, t]));
    new RestoreJobs(this, 'Jobs', {
      model,
      engine: 'postgres',
      namespace: pg.namespace,
      name: pg.name,
      labels: recommendedLabels({ name: 'postgresql', instance: pg.name, component: RESTORE_COMPONENT, version: pg.imageTag }),
      image: pg.image,
      runAsUser: CNPG_POSTGRES_UID,
      script: postgresRestoreScript(),
      backupClaim: pg.backup.name,
      backupName: pg.name,
      database: (tenant) => byTenant.get(tenant)!.database,
      env: [
        { name: 'PGHOST', value: pg.services.rw },
        { name: 'PGPORT', value: '5432' },
        { name: 'PGDATABASE', value: 'postgres' },
        { name: 'PGUSER', valueFrom: { secretKeyRef: { name: pg.restoreSecret, key: 'username' } } },
        { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: pg.restoreSecret, key: 'password' } } },
      ],
      entryEnv: (r) => [{ name: 'RESTORE_ROLE', value: byTenant.get(r.tenant)!.role }],
    });
  }
}
