/**
 * Tenant provisioning as SQL that can run any number of times: it creates what is missing
 * and never drops anything. Every statement is accepted by MySQL 8.4 and MariaDB 10.11
 * alike (the tests run it on MariaDB).
 *
 * Passwords. No password is written into the repository:
 * - A tenant user is created with a random initial password that the Job generates for
 *   that one statement and forgets; nobody knows it. Vault's static role for the user
 *   rotates the password when the role is created and every 7 days after (`ALTER USER`), so
 *   Vault is the only owner of a tenant password. `CREATE USER IF NOT EXISTS` leaves an
 *   existing user's password alone, so a re-run never undoes a rotation.
 * - The platform's own users (exporter, backup) take their passwords from Secrets that
 *   are created out of band (the Secret is their one owner), so they are set on every run.
 *
 * Identifiers are validated at input (`^[a-z_][a-z0-9_]*$`, reserved names refused) and
 * still quoted here. In a GRANT's database name `_` is a wildcard, so it is escaped:
 * `trading_bot` must not also grant `tradingxbot`.
 */
import type { MysqlModel, MysqlTenant } from './model.ts';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Placeholders the provisioning script replaces at run time (never with a logged value). */
export const PLACEHOLDERS = {
  initialPassword: '@INITIAL_PASSWORD@',
  exporterPassword: '@EXPORTER_PASSWORD@',
  backupPassword: '@BACKUP_PASSWORD@',
} as const;

function checked(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Unable to quote the SQL identifier "${name}": it must match ${IDENTIFIER}`);
  return name;
}

/** A quoted identifier: `name`. */
export function quoteIdentifier(name: string): string {
  return `\`${checked(name)}\``;
}

/** The database part of a GRANT, with the `_` wildcard escaped. */
export function grantDatabase(name: string): string {
  return `\`${checked(name).replace(/_/g, '\\_')}\``;
}

/** MAX_USER_CONNECTIONS of the platform's own logins: what they need, and all they may take. */
export const SYSTEM_CONNECTION_LIMITS = { exporter: 3, backup: 2, vault: 5 } as const;

/** 'user'@'%' (the network policy, not the host part, decides who can connect). */
export function account(user: string): string {
  return `'${checked(user)}'@'%'`;
}

function tenantStatements(t: MysqlTenant): string[] {
  const owner = t.rotate ? 'password owned by Vault (static role, rotated weekly)' : `not rotated: ${t.rotateReason ?? ''}`;
  // A purged tenant is dropped by its purge Job (offboarding.ts); provisioning no longer names it.
  if (t.state === 'purged') return [];
  if (t.state === 'retired')
    return [
      `-- tenant ${t.tenant.name} (namespace ${t.tenant.namespace}); retired on ${t.tenant.retiredOn}: account locked, data kept`,
      `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(t.database)} CHARACTER SET utf8mb4;`,
      `CREATE USER IF NOT EXISTS ${account(t.user)} IDENTIFIED BY '${PLACEHOLDERS.initialPassword}' ACCOUNT LOCK;`,
      `GRANT ALL PRIVILEGES ON ${grantDatabase(t.database)}.* TO ${account(t.user)};`,
      // Every new login is refused (existing sessions end when the app stops).
      `ALTER USER ${account(t.user)} ACCOUNT LOCK;`,
    ];
  return [
    `-- tenant ${t.tenant.name} (namespace ${t.tenant.namespace}); ${owner.replace(/\s+/g, ' ')}`,
    `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(t.database)} CHARACTER SET utf8mb4;`,
    `CREATE USER IF NOT EXISTS ${account(t.user)} IDENTIFIED BY '${PLACEHOLDERS.initialPassword}';`,
    `GRANT ALL PRIVILEGES ON ${grantDatabase(t.database)}.* TO ${account(t.user)};`,
    // Set on every run, so removing a tenant's limit lifts it (0: no limit of its own).
    `ALTER USER ${account(t.user)} WITH MAX_USER_CONNECTIONS ${t.connectionLimit ?? 0};`,
    // Set on every run, so a tenant taken back from retirement logs in again.
    `ALTER USER ${account(t.user)} ACCOUNT UNLOCK;`,
  ];
}

/**
 * Vault's login: `CREATE USER` is the privilege that lets it `ALTER USER` the tenants (and
 * itself); it reads no data. Created with a random password nobody knows; the first real
 * one is set once by hand (README: bootstrap), then Vault rotates it (rotate-root) and is
 * its only owner.
 */
function vaultStatements(user: string): string[] {
  return [
    '-- Vault database secrets engine: rotates tenant passwords (static roles) and its own.',
    `CREATE USER IF NOT EXISTS ${account(user)} IDENTIFIED BY '${PLACEHOLDERS.initialPassword}' WITH MAX_USER_CONNECTIONS ${SYSTEM_CONNECTION_LIMITS.vault};`,
    `GRANT CREATE USER ON *.* TO ${account(user)};`,
  ];
}

/** The provisioning SQL, one statement per line (the script substitutes placeholders per line). */
export function provisioningSql(my: MysqlModel, cluster: string): string {
  const exporter = account(my.users.exporter);
  const backup = account(my.users.backup);
  return [
    `-- db-platform MySQL provisioning of ${my.name} in cluster ${cluster}. Generated by @db/mysql; do not edit.`,
    '-- Idempotent: creates missing databases, users and grants; never drops; leaves tenant passwords to Vault.',
    '-- Metrics: process list, replication status, performance_schema and sys (no tenant data).',
    `CREATE USER IF NOT EXISTS ${exporter} IDENTIFIED BY '${PLACEHOLDERS.exporterPassword}' WITH MAX_USER_CONNECTIONS ${SYSTEM_CONNECTION_LIMITS.exporter};`,
    `ALTER USER ${exporter} IDENTIFIED BY '${PLACEHOLDERS.exporterPassword}';`,
    `GRANT PROCESS, REPLICATION CLIENT ON *.* TO ${exporter};`,
    `GRANT SELECT ON \`performance\\_schema\`.* TO ${exporter};`,
    '-- Per-tenant series (dashboard.ts): table sizes without reading data (information_schema shows',
    '-- a table only to a user with a privilege on it), and statements per user from sys.x$user_summary.',
    `GRANT SHOW VIEW ON *.* TO ${exporter};`,
    `GRANT SELECT ON \`sys\`.* TO ${exporter};`,
    '-- Logical backups (mysqldump --single-transaction): read-only.',
    `CREATE USER IF NOT EXISTS ${backup} IDENTIFIED BY '${PLACEHOLDERS.backupPassword}' WITH MAX_USER_CONNECTIONS ${SYSTEM_CONNECTION_LIMITS.backup};`,
    `ALTER USER ${backup} IDENTIFIED BY '${PLACEHOLDERS.backupPassword}';`,
    `GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON *.* TO ${backup};`,
    ...(my.users.vault ? vaultStatements(my.users.vault) : []),
    ...[...my.tenants].sort((a, b) => a.database.localeCompare(b.database)).flatMap(tenantStatements),
    '',
  ].join('\n');
}

/**
 * The script the provisioning Job runs (and the tests run against a real server). Inputs:
 * MYSQL_HOST, MYSQL_PORT, MYSQL_ADMIN_USER, MYSQL_ADMIN_PASSWORD, EXPORTER_PASSWORD,
 * BACKUP_PASSWORD, PROVISION_SQL (path of the SQL above), WAIT_SECONDS.
 */
export function provisioningScript(): string {
  return `#!/bin/bash
# db-platform MySQL provisioning. Generated by @db/mysql (provisioning.ts); do not edit.
set -Eeuo pipefail
: "\${MYSQL_HOST:?}" "\${MYSQL_ADMIN_USER:?}" "\${MYSQL_ADMIN_PASSWORD:?}" "\${EXPORTER_PASSWORD:?}" "\${BACKUP_PASSWORD:?}" "\${PROVISION_SQL:?}"
MYSQL_PORT=\${MYSQL_PORT:-3306}
WAIT_SECONDS=\${WAIT_SECONDS:-600}

# Passwords go into SQL string literals and an option file: refuse any character that
# would need escaping there, rather than escape it.
for var in MYSQL_ADMIN_PASSWORD EXPORTER_PASSWORD BACKUP_PASSWORD; do
  if ! [[ \${!var} =~ ^[A-Za-z0-9._~+/=@%^*-]{12,128}$ ]]; then
    echo "$var must be 12-128 characters of [A-Za-z0-9._~+/=@%^*-]" >&2
    exit 2
  fi
done

umask 077
cnf=$(mktemp "\${TMPDIR:-/tmp}/provision.XXXXXX")
trap 'rm -f -- "$cnf"' EXIT
printf '[client]\\nhost=%s\\nport=%s\\nuser=%s\\npassword="%s"\\nprotocol=TCP\\n' "$MYSQL_HOST" "$MYSQL_PORT" "$MYSQL_ADMIN_USER" "$MYSQL_ADMIN_PASSWORD" > "$cnf"

deadline=$(( $(date +%s) + WAIT_SECONDS ))
until mysql --defaults-extra-file="$cnf" --batch -e 'SELECT 1' >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "provision: $MYSQL_HOST:$MYSQL_PORT did not accept the admin login within \${WAIT_SECONDS}s" >&2
    mysql --defaults-extra-file="$cnf" --batch -e 'SELECT 1' >/dev/null
    exit 1
  fi
  sleep 5
done

# A fresh random password for each tenant user created now; nobody learns it (Vault
# rotates it when its static role is created).
random_password() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n'; }

render() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      *@INITIAL_PASSWORD@*) line=\${line//@INITIAL_PASSWORD@/$(random_password)} ;;
    esac
    line=\${line//@EXPORTER_PASSWORD@/$EXPORTER_PASSWORD}
    line=\${line//@BACKUP_PASSWORD@/$BACKUP_PASSWORD}
    printf '%s\\n' "$line"
  done < "$PROVISION_SQL"
}

echo "provision: applying $(grep -c ';$' "$PROVISION_SQL") statements to $MYSQL_HOST:$MYSQL_PORT"
render | mysql --defaults-extra-file="$cnf" --batch
echo "provision: done"
`;
}
