/**
 * Retiring and purging a PostgreSQL tenant. Retired: its managed role is `login: false`
 * (cluster.ts), its network path and its Vault static role are gone (network.ts, @db/vault),
 * and a one-shot Job takes its final dump with the nightly backup's own script. Purged: its
 * Database and its managed role say `ensure: absent`, so CloudNativePG drops both (see
 * operator-contract.ts); a one-shot Job, logged in as the read-only backup role, waits until
 * they are gone, then forgets the tenant's backup series at the Pushgateway.
 */
import { Construct } from 'constructs';
import { OffboardingJobs, PURGE_COMPONENT, purgeScript, recommendedLabels, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';
import { CNPG_POSTGRES_UID } from './backup.ts';

export const purgePods = (pg: PostgresModel) => ({ 'app.kubernetes.io/instance': pg.name, 'app.kubernetes.io/component': PURGE_COMPONENT });

const PSQL = 'psql -X -v ON_ERROR_STOP=1 -At -d postgres';

/** The purge script: CNPG drops; this checks it did (PURGE_WAIT_SECONDS, default 1800). */
export function postgresPurgeScript(): string {
  return purgeScript({
    engine: 'postgres',
    purgeCommand: `local deadline left
  deadline=$(( $(date +%s) + \${PURGE_WAIT_SECONDS:-1800} ))
  # CloudNativePG drops the database (Database ensure: absent), then the role (managed role ensure: absent).
  while :; do
    left=$(${PSQL} -c "select (select count(*) from pg_database where datname = '$PURGE_DATABASE') + (select count(*) from pg_roles where rolname = '$PURGE_LOGIN')")
    [ "$left" != 0 ] || break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "purge: database $PURGE_DATABASE or role $PURGE_LOGIN still exists: see the Database object's status and the Cluster's status.managedRolesStatus" >&2
      return 1
    fi
    sleep 10
  done
  echo "purge: database $PURGE_DATABASE and role $PURGE_LOGIN are dropped"`,
  });
}

export class PostgresOffboarding extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel; model: PlatformModel }) {
    super(scope, id);
    const { pg, model } = props;
    const env = [
      { name: 'PGHOST', value: pg.services.rw },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGDATABASE', value: 'postgres' },
      { name: 'PGUSER', valueFrom: { secretKeyRef: { name: pg.backupSecret, key: 'username' } } },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: pg.backupSecret, key: 'password' } } },
    ];
    new OffboardingJobs(this, 'Jobs', {
      model,
      engine: 'postgres',
      namespace: pg.namespace,
      name: pg.name,
      image: pg.image,
      runAsUser: CNPG_POSTGRES_UID,
      backupClaim: pg.backup.name,
      backupName: pg.name,
      tenants: pg.tenants.filter((t) => t.state !== 'active').map((t) => ({ tenant: t.tenant, database: t.database, login: t.role })),
      finalDump: {
        scriptMap: `${pg.backup.name}-script`,
        scriptKey: 'backup.sh',
        // The backup's pods: the backup's network policy and the primary's ingress apply.
        labels: recommendedLabels({ name: 'postgresql', instance: pg.name, component: 'backup', version: pg.imageTag }),
        env,
      },
      purge: { script: postgresPurgeScript(), labels: recommendedLabels({ name: 'postgresql', instance: pg.name, component: PURGE_COMPONENT, version: pg.imageTag }), env },
    });
  }
}
