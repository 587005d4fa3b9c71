/**
 * PostgreSQL's own passwords, generated in the cluster (see @db/core GeneratedSecret): the
 * backup role's, a `kubernetes.io/basic-auth` Secret that CNPG applies to the role
 * (`managed.roles[].passwordSecret`) and the backup job logs in with.
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
  ];
}
