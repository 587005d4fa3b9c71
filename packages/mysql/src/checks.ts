/** Semantic checks of the MySQL section and of the tenants that use it. */
import { isReservedSqlName, mebibytes, type PlatformModel, type Problem, type ReservedNames } from '@db/core';
import { resolveMysql } from './model.ts';
import { mysqlSection, tenantMysql } from './schema.ts';

/**
 * Names MySQL and the platform use themselves (system schemas and users); PostgreSQL's and CNPG's
 * too, so one name is valid for a tenant on both SQL engines (as before the split).
 */
export const MYSQL_RESERVED: ReservedNames = {
  names: new Set(['mysql', 'mysql_sys', 'db_backup', 'postgres', 'template0', 'template1', 'app', 'streaming_replica', 'cnpg_pooler_pgbouncer']),
  prefixes: ['pg_'],
};

/** Names the platform's own users take. */
const PLATFORM_USERS = new Set(['db_exporter', 'db_backup']);

export function checkMysql(model: PlatformModel): Problem[] {
  const { source, input } = model;
  const problems: Problem[] = [];
  const users = model.tenants.filter((t) => t.mysql);
  if (users.length > 0 && !input.mysql) {
    for (const t of users)
      problems.push(source.problem(['tenants', t.index, 'mysql'], 'uses MySQL, but the desired state has no mysql section', 'add `mysql: {}` at the top level to run the shared server'));
  }
  const spec = mysqlSection(input);
  if (spec) {
    // Defaults come from the resolved model: one place (model.ts).
    const { topology } = resolveMysql(model);
    if (topology === 'standalone') {
      if (spec.instances !== undefined)
        problems.push(source.problem(['mysql', 'instances'], 'instances applies only to topology: innodb-cluster', 'a standalone server is one pod; remove instances or set topology: innodb-cluster'));
      if (spec.router !== undefined) problems.push(source.problem(['mysql', 'router'], 'router applies only to topology: innodb-cluster'));
      if (spec.operatorNamespace !== undefined) problems.push(source.problem(['mysql', 'operatorNamespace'], 'operatorNamespace applies only to topology: innodb-cluster'));
    } else {
      if (spec.image !== undefined)
        problems.push(source.problem(['mysql', 'image'], 'image applies only to topology: standalone', 'the MySQL Operator picks community-server:<version> from imageRegistry; set version instead'));
      const { instances } = resolveMysql(model);
      if (instances % 2 === 0)
        problems.push(
          source.problem(
            ['mysql', 'instances'],
            `${instances} Group Replication members cannot keep a majority on both sides of an even split`,
            'use an odd number (3, 5, 7): the same lesson as the Redis sentinel quorum drift of 2026-04-19',
          ),
        );
    }
    const my = resolveMysql(model);
    if (mebibytes(my.resources.memoryLimit) < mebibytes(my.resources.memory)) {
      problems.push(
        source.problem(['mysql', 'resources', 'memoryLimit'], `memory limit ${my.resources.memoryLimit} is below the request ${my.resources.memory}`, 'the limit must be at least the request'),
      );
    }
    if (mebibytes(my.resources.memoryLimit) < 1024)
      problems.push(source.problem(['mysql', 'resources', 'memoryLimit'], `memory limit ${my.resources.memoryLimit} is too small for MySQL 8.4`, 'give it at least 1Gi'));
  }
  const databases = new Map<string, number>();
  const sqlUsers = new Map<string, number>();
  const resolved = new Map(resolveMysql(model).tenants.map((r) => [r.tenant.index, r]));
  for (const t of users) {
    const my = tenantMysql(t)!;
    const at = ['tenants', t.index, 'mysql'];
    const { user, rotate } = resolved.get(t.index)!;
    if (isReservedSqlName(my.database, MYSQL_RESERVED)) problems.push(source.problem([...at, 'database'], `"${my.database}" is reserved by MySQL or db-platform`, "choose the app's own name"));
    if (isReservedSqlName(user, MYSQL_RESERVED) || PLATFORM_USERS.has(user))
      problems.push(source.problem([...at, my.user !== undefined ? 'user' : 'database'], `user "${user}" is reserved by MySQL or db-platform`, "choose the app's own name"));
    if (user.length > 32) problems.push(source.problem([...at, my.user !== undefined ? 'user' : 'database'], `user "${user}" is longer than MySQL's 32 characters`, 'set a shorter user:'));
    const seenDb = databases.get(my.database);
    if (seenDb !== undefined)
      problems.push(source.problem([...at, 'database'], `database "${my.database}" is already used by tenant ${input.tenants[seenDb]!.name}`, 'every tenant gets its own database'));
    else databases.set(my.database, t.index);
    const seenUser = sqlUsers.get(user);
    if (seenUser !== undefined)
      problems.push(
        source.problem(
          [...at, my.user !== undefined ? 'user' : 'database'],
          `user "${user}" is already used by tenant ${input.tenants[seenUser]!.name}`,
          'a user belongs to one tenant, so its password has one owner',
        ),
      );
    else sqlUsers.set(user, t.index);
    if (!rotate && my.rotateReason === undefined)
      problems.push(source.problem([...at, 'rotate'], 'an exclusion from rotation needs a reason', 'add rotateReason: "..." (it is shown in the generated docs)'));
    if (rotate && my.rotateReason !== undefined) problems.push(source.problem([...at, 'rotateReason'], 'rotateReason is only meaningful with rotate: false'));
    if (!rotate && my.pushPassword !== undefined) problems.push(source.problem([...at, 'pushPassword'], 'pushPassword pushes the rotated password; it needs rotate: true'));
  }
  return problems;
}
