/** Daily `pg_dumpall | gzip` to NFS, keeping the last N dumps (seed 004). */
import { Construct } from 'constructs';
import { backupScript, BackupCronJob, recommendedLabels, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';

/** UID of the postgres user in the CNPG operand images. */
export const CNPG_POSTGRES_UID = 26;

/**
 * Role passwords are not dumped (`--no-role-passwords`): the backup role is not a
 * superuser, and the passwords belong to Vault, which sets them again on its next rotation
 * after a restore. `--clean --if-exists` lets a dump be replayed over an existing cluster.
 */
export function postgresBackupScript(pg: PostgresModel): string {
  return backupScript({
    engine: 'postgres',
    dumpCommand: 'pg_dumpall --no-role-passwords --clean --if-exists',
    extension: 'sql.gz',
    retention: { keep: pg.backup.keep },
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
      // The operand image: its pg_dumpall always matches the server's major version.
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
