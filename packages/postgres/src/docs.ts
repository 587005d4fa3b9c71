/** What the generated docs say about PostgreSQL: endpoints, tenants, credentials, backups, diagram. */
import { finalDumpDoc, offboardingDocs, retentionText, type EngineDocs, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';

export function postgresDocs(pg: PostgresModel, model: PlatformModel): EngineDocs {
  const fqdn = (service: string) => `${service}.${pg.namespace}.svc.cluster.local`;
  const replicas = pg.instances - 1;
  const nfs = `${model.backups.nfs.server}:${pg.backup.path}`;
  return {
    title: 'PostgreSQL',
    handManagedUsers: model.services.secretGeneration ? [] : ['backup', 'exporter'],
    summary:
      `CloudNativePG cluster \`${pg.name}\` in \`${pg.namespace}\`: PostgreSQL ${pg.version}${pg.postgis ? ' with PostGIS' : ''} (\`${pg.image}\`), ` +
      `${pg.instances} instance${pg.instances > 1 ? 's' : ''} (1 primary${replicas > 0 ? ` + ${replicas} replica${replicas > 1 ? 's' : ''}, one per node` : ''}) on \`${pg.storage.storageClass}\` (${pg.storage.size} each). ` +
      `Apps connect through PgBouncer (\`${pg.pooler.name}\`, ${pg.pooler.instances} replicas, ${pg.pooler.poolMode} pooling); apps that need session features use the \`${pg.services.compat}\` service, which selects only the primary.`,
    endpoints: [
      { host: fqdn(pg.services.pooler), port: 5432, purpose: `Apps (default): PgBouncer, ${pg.pooler.poolMode} pooling, ${pg.pooler.instances} replicas` },
      { host: fqdn(pg.services.compat), port: 5432, purpose: 'Apps with `connection: direct` (LISTEN/NOTIFY, session state): the primary only' },
      { host: fqdn(pg.services.rw), port: 5432, purpose: 'The CNPG primary: PgBouncer, the backup job and operators (apps use PgBouncer or postgresql)' },
      ...(replicas > 0 ? [{ host: fqdn(`${pg.name}-ro`), port: 5432, purpose: 'Read-only queries on the replicas, for apps with `connection: direct` (network policy admits no other app)' }] : []),
    ],
    users: pg.tenants.map((t) => ({
      tenant: t.tenant.name,
      namespace: t.tenant.namespace,
      what: `database \`${t.database}\`, role \`${t.role}\`${t.extensions.length > 0 ? `, extensions ${t.extensions.join(', ')}` : ''}${t.connectionLimit !== undefined ? `, at most ${t.connectionLimit} connections` : ''}`,
      connectsTo: `${fqdn(t.connection === 'direct' ? pg.services.compat : pg.services.pooler)}:5432`,
      node: t.connection === 'direct' ? 'postgres_compat' : 'postgres_pooler',
    })),
    // A retired tenant's login is no longer rotated or delivered (Retired tenants).
    credentials: pg.tenants
      .filter((t) => t.state === 'active')
      .map((t) => ({
        tenant: t.tenant.name,
        principal: `PostgreSQL role \`${t.role}\``,
        rotated: t.rotate,
        ...(t.rotateReason ? { reason: t.rotateReason } : {}),
        ...(t.rotationPeriod ? { rotationPeriod: t.rotationPeriod } : {}),
      })),
    backups: [
      {
        what: `PostgreSQL \`${pg.name}\`: one \`pg_dump -Fc\` per tenant database (folder \`<tenant>/\`, with a manifest) plus the roles (\`pg_dumpall --globals-only\`, no passwords), as the read-only role \`${pg.backupRole}\`, gzip`,
        schedule: pg.backup.schedule,
        target: nfs,
        retention: retentionText(
          pg.backup.keep,
          pg.tenants.map((t) => [t.tenant.name, t.backupKeep]),
        ),
        job: `${pg.namespace}/${pg.backup.name}`,
        engine: 'postgres',
        tenants: pg.tenants.map((t) => ({ tenant: t.tenant.name, folder: `${pg.backup.path}/${t.tenant.name}/`, keep: t.backupKeep })),
        drill: { job: `${pg.namespace}/${pg.backup.drill.name}`, alert: 'PostgresRestoreDrillFailed' },
      },
    ],
    offboarding: offboardingDocs('postgres', pg.namespace, pg.tenants, (t) => ({
      retired: `role \`${t.role}\` NOLOGIN (CNPG managed role \`login: false\`); no pooler path from \`${t.tenant.namespace}\`; no Vault static role or Secret sync; database \`${t.database}\` kept`,
      purged: `database \`${t.database}\` and role \`${t.role}\` dropped by CNPG (\`ensure: absent\`)`,
      finalDump: finalDumpDoc('postgres', pg.namespace, t.tenant, pg.backup.path, 'pgdump.gz'),
      purgeJob: 'checks that CNPG dropped them',
    })),
    graph: {
      nodes: [
        { id: 'postgres_pooler', label: `PgBouncer<br/>${pg.pooler.instances} replicas<br/>${pg.services.pooler}.${pg.namespace}` },
        { id: 'postgres_compat', label: `${pg.services.compat}.${pg.namespace}<br/>primary only` },
        { id: 'postgres_primary', label: `CNPG primary<br/>${pg.services.rw}.${pg.namespace}` },
        ...(replicas > 0 ? [{ id: 'postgres_replica', label: `CNPG replica${replicas > 1 ? `s x${replicas}` : ''}` }] : []),
        { id: 'postgres_backup', label: `pg_dump per tenant<br/>${pg.backup.schedule} UTC` },
      ],
      edges: [
        { from: 'postgres_pooler', to: 'postgres_primary' },
        { from: 'postgres_compat', to: 'postgres_primary' },
        ...(replicas > 0 ? [{ from: 'postgres_primary', to: 'postgres_replica', label: 'streaming replication' }] : []),
        { from: 'postgres_backup', to: 'postgres_primary', dotted: true },
      ],
    },
  };
}
