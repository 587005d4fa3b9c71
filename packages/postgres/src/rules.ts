/** Guardrails specific to PostgreSQL. */
import { connectionBudgetFindings, connectionNeeds, objectRef, type ConnectionNeeds, type Finding, type Rule } from '@db/core';
import { resolvePostgres, VAULT_CONNECTION_LIMIT, type PostgresModel } from './model.ts';

export const writeServiceSelectsPrimary: Rule = {
  id: 'write-service-selects-replica',
  severity: 'error',
  title: 'A service that selects database instances selects only the primary',
  reason: 'On 2026-04-04 a service selector matched the master and a replica, and writes that landed on the replica failed with READONLY.',
  check({ objects }): Finding[] {
    return objects
      .map((r) => r.object)
      .filter((o) => o.kind === 'Service' && o.spec?.selector?.['cnpg.io/cluster'] !== undefined)
      .filter((o) => o.spec.selector['cnpg.io/instanceRole'] !== 'primary')
      .map((o) => ({
        object: objectRef(o),
        message: `selects every instance of ${o.spec.selector['cnpg.io/cluster']} (add cnpg.io/instanceRole: primary, or use the operator's -ro service for reads)`,
        path: ['postgres'],
      }));
  },
};

/**
 * Connections the platform itself needs on each instance, whatever the tenants do:
 * - superuser_reserved_connections (PostgreSQL's default 3), kept for superusers;
 * - CNPG's instance manager and metrics exporter: a pool of at most 3 per database it opens
 *   (CNPG 1.30.0 pkg/management/postgres/pool/pool.go:120-131);
 * - the backup job: pg_dumpall holds one connection at a time;
 * - Vault's login, when Vault rotates passwords: its CONNECTION LIMIT;
 * - PgBouncer's auth_query login (cnpg_pooler_pgbouncer), one per pooler instance.
 * Streaming replicas do not count: WAL senders have their own max_wal_senders slots.
 */
export function platformConnections(pg: PostgresModel): ConnectionNeeds {
  return connectionNeeds([
    ['superuser_reserved_connections', Number(pg.parameters.superuser_reserved_connections ?? 3)],
    ['CNPG instance manager', 3],
    ['backup', 1],
    ...(pg.vaultRole ? [['Vault', VAULT_CONNECTION_LIMIT] as [string, number]] : []),
    ['PgBouncer auth', pg.pooler.instances],
  ]);
}

export const connectionLimitsFit: Rule = {
  id: 'connection-limits-fit',
  severity: 'error',
  title: "Tenants' connection limits fit in max_connections, beside what the platform needs",
  reason:
    'The seeds\' "too many connections" runbook: one app connecting past PgBouncer took every connection of the server, and every other app failed. A limit per tenant only protects the others if the limits add up to less than the server has.',
  check({ model }): Finding[] {
    if (model.input.postgres === undefined) return [];
    const pg = resolvePostgres(model);
    return connectionBudgetFindings({
      object: `Cluster/${pg.namespace}/${pg.name}`,
      max: Number(pg.parameters.max_connections),
      maxSetting: 'postgres.parameters.max_connections',
      platform: platformConnections(pg),
      tenants: pg.tenants.map((t) => ({ limit: t.connectionLimit, path: ['tenants', t.tenant.index, 'postgres', 'connectionLimit'] })),
    });
  },
};

export const POSTGRES_RULES: readonly Rule[] = [writeServiceSelectsPrimary, connectionLimitsFit];
