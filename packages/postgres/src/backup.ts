/**
 * Nightly per-tenant dumps to NFS (core's per-tenant backup script): one custom-format
 * `pg_dump` per tenant database in `<backup path>/<tenant>/`, with a manifest of what it
 * holds, plus the cluster's roles (`pg_dumpall --globals-only`) once per run beside them.
 * A tenant's dump restores into any database without replaying anyone else's roles or data.
 */
import { Construct } from 'constructs';
import { tenantBackupScript, BackupCronJob, recommendedLabels, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';

/** UID of the postgres user in the CNPG operand images. */
export const CNPG_POSTGRES_UID = 26;

/** File extension of a tenant's archive: pg_dump's custom format (uncompressed, `-Z0`), gzipped by the shared script so `gzip -t` checks it. */
export const POSTGRES_DUMP_EXTENSION = 'pgdump.gz';

/**
 * The manifest of a gzipped custom-format archive `$1`: `objects` (entries in its table of
 * contents), `rows` and one `table <schema.table> <rows>` per table with data, counted from
 * the COPY blocks pg_restore would replay. The same function describes a dump of a restored
 * database, so a restore is checked by comparing the two.
 */
export const POSTGRES_MANIFEST = `gzip -dc -- "$1" | pg_restore --list | awk '!/^;/ && NF { n++ } END { print "objects", n + 0 }'
  gzip -dc -- "$1" | pg_restore --data-only --file=- | awk '
    copy && $0 == "\\\\." { print "table", name, n; total += n; copy = 0; next }
    copy { n++; next }
    /^COPY .* FROM stdin;$/ { copy = 1; name = $2; n = 0 }
    END { print "rows", total + 0 }'`;

/**
 * Role passwords are not dumped (`--no-role-passwords`): the backup role is not a
 * superuser, and the passwords belong to Vault, which sets them again on its next rotation
 * after a restore. A tenant's dump keeps its objects' owners and privileges; `pg_restore
 * --clean --if-exists` replays it over an existing database.
 */
export function postgresBackupScript(pg: PostgresModel): string {
  return tenantBackupScript({
    engine: 'postgres',
    dumpCommand: 'pg_dump --format=custom --compress=0 --dbname="$1"',
    manifestCommand: POSTGRES_MANIFEST,
    extension: POSTGRES_DUMP_EXTENSION,
    // A retired tenant's data is kept, so it is still dumped; a purged one has none.
    tenants: pg.tenants.filter((t) => t.state !== 'purged').map((t) => ({ tenant: t.tenant.name, database: t.database, keep: t.backupKeep })),
    globals: { command: 'pg_dumpall --globals-only --no-role-passwords', extension: 'sql.gz', keep: pg.backup.keep },
  });
}

export const backupPods = (pg: PostgresModel) => ({ 'app.kubernetes.io/instance': pg.name, 'app.kubernetes.io/component': 'backup' });

export class PostgresBackup extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel; model: PlatformModel }) {
    super(scope, id);
    const { pg, model } = props;
    new BackupCronJob(this, 'Backup', {
      namespace: pg.namespace,
      name: pg.backup.name,
      labels: recommendedLabels({ name: 'postgresql', instance: pg.name, component: 'backup', version: pg.imageTag }),
      schedule: pg.backup.schedule,
      // The operand image: its pg_dump always matches the server's major version.
      image: pg.image,
      script: postgresBackupScript(pg),
      nfsPath: pg.backup.path,
      backupName: pg.name,
      runAsUser: CNPG_POSTGRES_UID,
      model,
      env: [
        { name: 'PGHOST', value: pg.services.rw },
        { name: 'PGPORT', value: '5432' },
        { name: 'PGDATABASE', value: 'postgres' },
        { name: 'PGUSER', valueFrom: { secretKeyRef: { name: pg.backupSecret, key: 'username' } } },
        { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: pg.backupSecret, key: 'password' } } },
      ],
    });
  }
}
