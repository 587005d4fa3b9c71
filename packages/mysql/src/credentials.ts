/** What Vault needs to rotate the MySQL tenants' passwords (see @db/core credentials). */
import type { EngineCredentials, PlatformModel } from '@db/core';
import { resolveMysql } from './model.ts';
import { frontPods } from './labels.ts';
import { MYSQL_PORT } from './standalone.ts';

/** MySQL Router's classic read-write port, behind the InnoDB Cluster's service port. */
const ROUTER_RW_PORT = 6446;

export function mysqlCredentials(model: PlatformModel): EngineCredentials {
  const my = resolveMysql(model);
  return {
    engine: 'mysql',
    connection: {
      name: my.name,
      plugin: 'mysql-database-plugin',
      // The service apps use also leads to the primary: the standalone server, or the
      // InnoDB Cluster's router, which sends read-write sessions to the primary.
      connectionUrl: `{{username}}:{{password}}@tcp(${my.host}:${MYSQL_PORT})/`,
      rootUser: my.users.vault ?? 'vault',
      // Users are 'name'@'%' (provisioning.ts): the host part must match.
      // RETAIN CURRENT PASSWORD (MySQL 8.0.14+): the password being replaced stays valid as a
      // secondary one until the next rotation, so an app still holding it (External Secrets
      // refresh plus restart) logs in meanwhile; each rotation drops the one before. Vault's
      // login may do this for other accounts because it holds CREATE USER.
      rotationStatements: [`ALTER USER '{{name}}'@'%' IDENTIFIED BY '{{password}}' RETAIN CURRENT PASSWORD;`],
      // Vault's mysql-database-plugin default (defaultMySQLRotateRootCredentialsSQL).
      rootRotationStatements: [`ALTER USER '{{username}}'@'%' IDENTIFIED BY '{{password}}';`],
      server: { namespace: my.namespace, podSelector: frontPods(my), port: my.topology === 'standalone' ? MYSQL_PORT : ROUTER_RW_PORT },
    },
    unmanaged: [
      { username: 'root', reason: `root's password is generated once in the cluster (Secret ${my.secrets.root}, @db/secrets), never rotated; the provisioning Job logs in with it` },
      { username: my.users.exporter, reason: `password from Secret ${my.secrets.exporter}, applied by the provisioning Job (its one owner); metrics only` },
      { username: my.users.backup, reason: `password from Secret ${my.secrets.backup}, applied by the provisioning Job (its one owner); read-only` },
    ],
    logins: my.tenants.map((t) => ({
      tenant: t.tenant,
      section: 'mysql',
      username: t.user,
      database: t.database,
      rotate: t.rotate,
      rotateReason: t.rotateReason,
      rotationPeriod: t.rotationPeriod,
      client: { host: my.host, port: MYSQL_PORT, uriScheme: 'mysql', uriQuery: '' },
      ...(t.pushPassword ? { pushPassword: t.pushPassword } : {}),
    })),
  };
}
