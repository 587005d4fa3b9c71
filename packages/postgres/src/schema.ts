/** The `postgres:` section of platform.yaml and the `postgres:` field of a tenant. */
import { Type, type Static } from '@sinclair/typebox';
import {
  Closed,
  ConnectionLimit,
  CRON,
  DnsLabel,
  DURATION,
  FreeText,
  ImageOverride,
  NFS_PATH,
  Quantity,
  Resources,
  SqlIdentifier,
  TenantBackup,
  DrillSettings,
  withDefaults,
  type Defaults,
} from '@db/core';

/** A postgresql.conf parameter name. */
export const CONF_KEY = '^[a-z_][a-z0-9_.]{0,62}$';
/** A postgresql.conf value: one line without quotes, backslashes or braces (nothing that can end the value or start a template). */
export const CONF_VALUE = '^[^\\u0000-\\u001f\\u007f\'"\\\\{}]{0,256}$';

/** Rotation period of one tenant's password: 1 to 90 days (checked semantically too). */
const RotationPeriod = () => Type.Optional(Type.String({ pattern: DURATION, description: 'How often Vault rotates this password, 1d to 90d. @default vault.rotationPeriod' }));

const PostgresFields = Closed(
  {
    namespace: Type.Optional(DnsLabel('Namespace of the cluster.')),
    name: Type.Optional(DnsLabel('Name of the CNPG Cluster; its services are `<name>-rw`, `-ro` and `-r`.')),
    instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'PostgreSQL instances (1 primary + replicas).' })),
    version: Type.Optional(Type.Union([Type.Literal(16), Type.Literal(17), Type.Literal(18)], { description: 'PostgreSQL major version.' })),
    postgis: Type.Optional(
      Type.Boolean({ description: 'Use the PostGIS operand image. @default true below PostgreSQL 18; false from 18 (there is no PostGIS operand image for 18: extensions ship as image volumes)' }),
    ),
    image: Type.Optional(ImageOverride),
    storage: Type.Optional(
      Closed({
        size: Type.Optional(Quantity('Data volume size per instance.')),
        walSize: Type.Optional(Quantity('Separate WAL volume size; omit to keep WAL on the data volume.')),
        storageClass: Type.Optional(DnsLabel('Storage class. @default storage.block')),
      }),
    ),
    resources: Type.Optional(Resources),
    parameters: Type.Optional(
      Type.Record(Type.String({ pattern: CONF_KEY }), Type.String({ pattern: CONF_VALUE }), {
        additionalProperties: false,
        description: 'Extra postgresql.conf parameters (CNPG refuses the ones it manages itself).',
      }),
    ),
    pooler: Type.Optional(
      Closed({
        name: Type.Optional(DnsLabel('Pooler and service name that apps connect to.')),
        instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'PgBouncer replicas.' })),
        poolMode: Type.Optional(Type.Union([Type.Literal('session'), Type.Literal('transaction')])),
        maxClientConnections: Type.Optional(Type.Integer({ minimum: 10, maximum: 100000 })),
        defaultPoolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      }),
    ),
    backup: Type.Optional(
      Closed({
        schedule: Type.Optional(Type.String({ pattern: CRON, description: 'Cron schedule, in UTC.' })),
        keep: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Number of dumps kept on NFS.' })),
        path: Type.Optional(Type.String({ pattern: NFS_PATH, description: 'Folder below the NFS export. @default <backups.nfs.path>/postgres-backup' })),
        drill: DrillSettings,
      }),
    ),
  },
  { description: 'PostgreSQL on CloudNativePG with PgBouncer.' },
);

export type PostgresInput = Static<typeof PostgresFields>;

/** The literal defaults of the `postgres:` section, written once (see Defaults). */
export const POSTGRES_DEFAULTS = {
  namespace: 'dbaas',
  name: 'pg-cluster',
  instances: 2,
  version: 16,
  storage: { size: '20Gi' },
  resources: { cpu: '500m', memory: '2Gi' },
  pooler: { name: 'pgbouncer', instances: 3, poolMode: 'transaction', maxClientConnections: 1000, defaultPoolSize: 20 },
  backup: { schedule: '0 2 * * *', keep: 7 },
} as const satisfies Defaults<PostgresInput>;

export const PostgresSpec = withDefaults(PostgresFields, POSTGRES_DEFAULTS);

const TenantPostgresFields = Closed({
  database: SqlIdentifier('Database name.'),
  role: Type.Optional(SqlIdentifier('Login role that owns the database. @default the database name')),
  rotate: Type.Optional(Type.Boolean({ description: 'Vault rotates the role password weekly.' })),
  rotateReason: Type.Optional(FreeText({ minLength: 10, maxLength: 500, description: 'Why the password is not rotated (required with `rotate: false`, shown in the docs).' })),
  rotationPeriod: RotationPeriod(),
  connectionLimit: ConnectionLimit(
    'Most connections the role may hold at once (PostgreSQL CONNECTION LIMIT), so one app cannot take every connection of the server. Through PgBouncer this caps its server connections and further clients wait in the pooler. Omitted: no limit of its own.',
  ),
  backup: TenantBackup('postgres'),
  passwordSecret: Type.Optional(DnsLabel('For a role Vault does not rotate: the Secret (in the database namespace) from which CNPG sets the password. Created out of band.')),
  connection: Type.Optional(
    Type.Union([Type.Literal('pooler'), Type.Literal('direct')], {
      description: '`pooler` (PgBouncer) or `direct` (the `postgresql` compatibility service, for apps that need session features such as LISTEN/NOTIFY).',
    }),
  ),
  extensions: Type.Optional(
    Type.Array(
      Type.Union([
        Type.Literal('postgis'),
        Type.Literal('postgis_topology'),
        Type.Literal('pg_trgm'),
        Type.Literal('btree_gin'),
        Type.Literal('unaccent'),
        Type.Literal('uuid-ossp'),
        Type.Literal('vector'),
        Type.Literal('hstore'),
        Type.Literal('citext'),
      ]),
      { uniqueItems: true, description: 'Extensions created in the database.' },
    ),
  ),
});

export type TenantPostgresInput = Static<typeof TenantPostgresFields>;

/** The literal defaults of a tenant's `postgres:` field. */
export const TENANT_POSTGRES_DEFAULTS = { rotate: true, connection: 'pooler' } as const satisfies Defaults<TenantPostgresInput>;

export const TenantPostgres = withDefaults(TenantPostgresFields, TENANT_POSTGRES_DEFAULTS);

/** The `postgres:` section of a validated desired state, typed (the platform validated it against this schema). */
export const postgresSection = (input: { readonly [section: string]: unknown }): PostgresInput | undefined => input.postgres as PostgresInput | undefined;
/** A tenant's `postgres:` field, typed. */
export const tenantPostgres = (tenant: { readonly [field: string]: unknown }): TenantPostgresInput | undefined => tenant.postgres as TenantPostgresInput | undefined;

/** Where the CloudNativePG operator runs: `network.operatorNamespaces.cnpg` (the instances' network policy lets it in). */
export const CNPG_OPERATOR_NAMESPACE = { key: 'cnpg', default: 'cnpg-system' } as const;
/** The CNPG operator's namespace in a model (always set: the platform fills in the default). */
export const cnpgNamespace = (model: { readonly network: { readonly operatorNamespaces: Readonly<Record<string, string>> } }): string =>
  model.network.operatorNamespaces[CNPG_OPERATOR_NAMESPACE.key] ?? CNPG_OPERATOR_NAMESPACE.default;

export const POSTGRES_PATTERN_HINTS: Readonly<Record<string, string>> = {
  [CONF_VALUE]: 'a postgresql.conf value on one line, without quotes, backslashes or braces (at most 256 characters)',
  [CONF_KEY]: 'a postgresql.conf parameter name such as work_mem or auto_explain.log_min_duration',
};
