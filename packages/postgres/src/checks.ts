/** Semantic checks of the PostgreSQL section and of the tenants that use it. */
import { isReservedSqlName, type PlatformModel, type Problem, type ReservedNames } from '@db/core';
import { resolvePostgres } from './model.ts';
import { postgresSection, tenantPostgres } from './schema.ts';

/**
 * Names PostgreSQL and CNPG use themselves (databases, roles) and PostgreSQL's `pg_` role prefix;
 * MySQL's system names too, so one name is valid for a tenant on both SQL engines (as before the split).
 */
export const POSTGRES_RESERVED: ReservedNames = {
  names: new Set(['postgres', 'template0', 'template1', 'app', 'streaming_replica', 'cnpg_pooler_pgbouncer', 'mysql', 'db_backup', 'db_restore']),
  prefixes: ['pg_'],
};

export function checkPostgres(model: PlatformModel): Problem[] {
  const { source, input } = model;
  const problems: Problem[] = [];
  const users = model.tenants.filter((t) => t.postgres);
  if (users.length > 0 && !input.postgres) {
    for (const t of users)
      problems.push(
        source.problem(['tenants', t.index, 'postgres'], 'uses PostgreSQL, but the desired state has no postgres section', 'add `postgres: {}` at the top level to run the shared cluster'),
      );
  }
  if (postgresSection(input)?.version === 18 && postgresSection(input)?.postgis === true) {
    problems.push(
      source.problem(
        ['postgres', 'postgis'],
        'there is no CNPG PostGIS image for PostgreSQL 18',
        'PostGIS images stop at 17 (from 18 on, extensions ship as image volumes); use version 17 or postgis: false',
      ),
    );
  }
  const databases = new Map<string, number>();
  const roles = new Map<string, number>();
  // Defaults come from the resolved model: one place (model.ts).
  const resolved = new Map(resolvePostgres(model).tenants.map((r) => [r.tenant.index, r]));
  for (const t of users) {
    const pg = tenantPostgres(t)!;
    const at = ['tenants', t.index, 'postgres'];
    const { role, rotate } = resolved.get(t.index)!;
    if (isReservedSqlName(pg.database, POSTGRES_RESERVED))
      problems.push(source.problem([...at, 'database'], `"${pg.database}" is reserved by PostgreSQL, CNPG or db-platform`, "choose the app's own name"));
    if (pg.role !== undefined && isReservedSqlName(pg.role, POSTGRES_RESERVED))
      problems.push(source.problem([...at, 'role'], `"${pg.role}" is reserved by PostgreSQL, CNPG or db-platform`, "choose the app's own name"));
    const seenDb = databases.get(pg.database);
    if (seenDb !== undefined)
      problems.push(source.problem([...at, 'database'], `database "${pg.database}" is already used by tenant ${input.tenants[seenDb]!.name}`, 'every tenant gets its own database'));
    else databases.set(pg.database, t.index);
    const seenRole = roles.get(role);
    if (seenRole !== undefined)
      problems.push(
        source.problem(
          [...at, pg.role !== undefined ? 'role' : 'database'],
          `role "${role}" is already used by tenant ${input.tenants[seenRole]!.name}`,
          'a role belongs to one tenant, so its password has one owner',
        ),
      );
    else roles.set(role, t.index);
    if (rotate && pg.passwordSecret !== undefined) {
      problems.push(
        source.problem(
          [...at, 'passwordSecret'],
          'a rotated role cannot also take its password from a Secret',
          "one owner per password: Vault rotates it, and CNPG would re-apply the Secret's old value over it. Remove passwordSecret, or set rotate: false",
        ),
      );
    }
    if (!rotate && pg.rotateReason === undefined)
      problems.push(source.problem([...at, 'rotate'], 'an exclusion from rotation needs a reason', 'add rotateReason: "..." (it is shown in the generated docs)'));
    if (rotate && pg.rotateReason !== undefined) problems.push(source.problem([...at, 'rotateReason'], 'rotateReason is only meaningful with rotate: false'));
  }
  return problems;
}
