/**
 * PostgreSQL's own passwords, generated in the cluster (see @db/core GeneratedSecret): the
 * backup role's and the restore role's, `kubernetes.io/basic-auth` Secrets that CNPG applies to
 * the roles (`managed.roles[].passwordSecret`) and the backup and restore Jobs log in with.
 */
import type { GeneratedSecret, PlatformModel } from '@db/core';
import { resolvePostgres } from './model.ts';

export function postgresGeneratedSecrets(model: PlatformModel): GeneratedSecret[] {
  const pg = resolvePostgres(model);
  return [
    {
      namespace: pg.namespace,
      name: pg.backupSecret,
      purpose: `PostgreSQL role ${pg.backupRole}: CNPG sets its password; the backup job logs in with it`,
      type: 'kubernetes.io/basic-auth',
      template: { username: pg.backupRole, password: '{{ .password }}' },
    },
    {
      namespace: pg.namespace,
      name: pg.restoreSecret,
      purpose: `PostgreSQL role ${pg.restoreRole}: CNPG sets its password; restore Jobs log in with it`,
      type: 'kubernetes.io/basic-auth',
      template: { username: pg.restoreRole, password: '{{ .password }}' },
    },
  ];
}
