/**
 * Retiring and purging a MySQL tenant. Retired: the provisioning SQL locks its account
 * (`ACCOUNT LOCK`, provisioning.ts), its network path and its Vault static role are gone
 * (network.ts, @db/vault), and a one-shot Job takes its final dump with the nightly backup's
 * own script. Purged: a one-shot Job, logged in as root (as provisioning and restores are),
 * drops its database and its user. Each tenant has a record ConfigMap carrying its label and
 * state (core TenantRecords): its database and user live only inside the shared provisioning
 * SQL, which names no tenant.
 */
import { Construct } from 'constructs';
import { OffboardingJobs, PURGE_COMPONENT, purgeScript, TenantRecords, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { mysqlLabels, mysqlSelector } from './labels.ts';
import { MYSQL_PORT, MYSQL_UID } from './standalone.ts';

export const purgePods = (my: MysqlModel) => mysqlSelector(my, PURGE_COMPONENT);

/** The purge: `DROP DATABASE IF EXISTS` and `DROP USER IF EXISTS`, as root; names checked as the input is. */
export function mysqlPurgeScript(): string {
  return purgeScript({
    engine: 'mysql',
    purgeCommand: `local cnf code=0
  for name in "$PURGE_DATABASE" "$PURGE_LOGIN"; do
    [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "purge: refusing the name $name" >&2; return 2; }
  done
  cnf=$(mktemp "\${TMPDIR:-/tmp}/purge.XXXXXX")
  printf '[client]\\nhost=%s\\nport=%s\\nuser=%s\\npassword="%s"\\nprotocol=TCP\\n' "$MYSQL_HOST" "\${MYSQL_PORT:-3306}" "$MYSQL_USER" "$MYSQL_PASSWORD" > "$cnf"
  mysql --defaults-extra-file="$cnf" --batch -e "DROP DATABASE IF EXISTS \\\`$PURGE_DATABASE\\\`; DROP USER IF EXISTS '$PURGE_LOGIN'@'%';" || code=$?
  rm -f -- "$cnf"
  [ "$code" = 0 ] || return "$code"
  echo "purge: dropped database $PURGE_DATABASE and user $PURGE_LOGIN"`,
  });
}

export class MysqlOffboarding extends Construct {
  constructor(scope: Construct, id: string, props: { my: MysqlModel; model: PlatformModel }) {
    super(scope, id);
    const { my, model } = props;
    new TenantRecords(this, 'Records', {
      namespace: my.namespace,
      name: my.name,
      labels: mysqlLabels(my, 'tenant'),
      tenants: my.tenants.map((t) => ({ tenant: t.tenant, facts: { database: t.database, user: t.user } })),
    });
    new OffboardingJobs(this, 'Jobs', {
      model,
      engine: 'mysql',
      namespace: my.namespace,
      name: my.name,
      image: my.image,
      runAsUser: MYSQL_UID,
      backupClaim: my.backup.name,
      backupName: my.name,
      tenants: my.tenants.filter((t) => t.state !== 'active').map((t) => ({ tenant: t.tenant, database: t.database, login: t.user })),
      finalDump: {
        scriptMap: `${my.backup.name}-script`,
        scriptKey: 'backup.sh',
        // The backup's pods: the backup's network policy and the server's ingress apply.
        labels: mysqlLabels(my, 'backup'),
        env: [
          { name: 'MYSQL_HOST', value: my.name },
          { name: 'MYSQL_PORT', value: String(MYSQL_PORT) },
          { name: 'MYSQL_USER', value: my.users.backup },
          { name: 'MYSQL_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.backup, key: 'password' } } },
        ],
      },
      purge: {
        script: mysqlPurgeScript(),
        labels: mysqlLabels(my, PURGE_COMPONENT),
        env: [
          { name: 'MYSQL_HOST', value: my.name },
          { name: 'MYSQL_PORT', value: String(MYSQL_PORT) },
          { name: 'MYSQL_USER', value: 'root' },
          { name: 'MYSQL_PASSWORD', valueFrom: { secretKeyRef: { name: my.secrets.root, key: my.rootPasswordKey } } },
        ],
      },
    });
  }
}
