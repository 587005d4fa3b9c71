/** What Vault needs to rotate the PostgreSQL tenants' passwords (see @db/core credentials). */
import type { EngineCredentials, PlatformModel } from '@db/core';
import { resolvePostgres } from './model.ts';
import { instancePods } from './labels.ts';
import { CNPG_INITDB } from './operator-contract.ts';

export function postgresCredentials(model: PlatformModel): EngineCredentials {
  const pg = resolvePostgres(model);
  const svc = (name: string) => `${name}.${pg.namespace}.svc.cluster.local`;
  return {
    engine: 'postgres',
    connection: {
      name: pg.name,
      plugin: 'postgresql-database-plugin',
      // Straight to the primary: PgBouncer pools sessions and is not where roles change.
      connectionUrl: `postgresql://{{username}}:{{password}}@${svc(pg.services.rw)}:5432/postgres?sslmode=require`,
      rootUser: pg.vaultRole ?? 'vault',
      rotationStatements: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`],
      // Vault's postgresql-database-plugin default (defaultPostgresRotateRootCredentialsSQL).
      rootRotationStatements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`],
      server: { namespace: pg.namespace, podSelector: instancePods(pg), port: 5432 },
    },
    unmanaged: [
      { username: 'postgres', reason: 'superuser access is disabled (enableSuperuserAccess: false): it has no password and is reached only inside the instance pods, by CNPG' },
      { username: CNPG_INITDB.owner, reason: `CNPG's initdb owner (database ${CNPG_INITDB.database}, unused): NOLOGIN, so the password CNPG keeps in Secret ${pg.name}-app opens nothing` },
      { username: pg.backupRole, reason: `password from Secret ${pg.backupSecret}, which CNPG applies (its one owner); read-only (pg_read_all_data)` },
      { username: pg.restoreRole, reason: `password from Secret ${pg.restoreSecret}, which CNPG applies (its one owner); used only by restore Jobs` },
    ],
    logins: pg.tenants.map((t) => ({
      tenant: t.tenant,
      section: 'postgres',
      username: t.role,
      database: t.database,
      rotate: t.rotate,
      rotateReason: t.rotateReason,
      rotationPeriod: t.rotationPeriod,
      // Apps connect through PgBouncer, or to the primary-only `postgresql` service when
      // they need session features.
      client: { host: svc(t.connection === 'direct' ? pg.services.compat : pg.services.pooler), port: 5432, uriScheme: 'postgresql', uriQuery: 'sslmode=require' },
    })),
  };
}
