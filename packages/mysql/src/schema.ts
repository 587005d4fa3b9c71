/** The `mysql:` section of platform.yaml and the `mysql:` field of a tenant. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, ConnectionLimit, CRON, DnsLabel, DURATION, FreeText, ImageOverride, NFS_PATH, Quantity, SqlIdentifier, TenantBackup, DrillSettings, withDefaults, type Defaults } from '@db/core';

/** Rotation period of one tenant's password: 1 to 90 days (checked semantically too). */
const RotationPeriod = () => Type.Optional(Type.String({ pattern: DURATION, description: 'How often Vault rotates this password, 1d to 90d. @default vault.rotationPeriod' }));

const MysqlFields = Closed(
  {
    topology: Type.Optional(
      Type.Union([Type.Literal('standalone'), Type.Literal('innodb-cluster')], {
        description: '`standalone`: one StatefulSet (prod since the 2026-04-16 reversion). `innodb-cluster`: an InnoDBCluster of the MySQL Operator with MySQL Router.',
      }),
    ),
    namespace: Type.Optional(DnsLabel('Namespace of the server.')),
    name: Type.Optional(DnsLabel('Name of the StatefulSet or InnoDBCluster and of the service apps connect to (its DNS name never changes).')),
    version: Type.Optional(Type.Union([Type.Literal('8.4.4')], { description: 'MySQL version; only versions with pinned images are accepted.' })),
    image: Type.Optional(ImageOverride),
    instances: Type.Optional(Type.Integer({ minimum: 3, maximum: 9, description: 'Group Replication members (innodb-cluster only); odd, so a partition always leaves one side with a majority.' })),
    router: Type.Optional(
      Closed({
        instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'MySQL Router replicas (innodb-cluster only).' })),
      }),
    ),
    resources: Type.Optional(
      Closed(
        {
          cpu: Type.Optional(Quantity('CPU request. No CPU limit is set.')),
          memory: Type.Optional(Quantity('Memory request.')),
          memoryLimit: Type.Optional(Quantity('Memory limit; my.cnf (InnoDB buffer pool and friends) is sized from it.')),
        },
        { description: 'Compute resources of each MySQL server (seeds: 2Gi request / 3Gi limit, from VPA recommendations).' },
      ),
    ),
    maxConnections: Type.Optional(Type.Integer({ minimum: 10, maximum: 10000, description: 'max_connections.' })),
    storage: Type.Optional(
      Closed({
        size: Type.Optional(Quantity('Data volume size per server.')),
        storageClass: Type.Optional(DnsLabel('Storage class (block storage; never NFS). @default storage.block')),
      }),
    ),
    backup: Type.Optional(
      Closed({
        schedule: Type.Optional(Type.String({ pattern: CRON, description: 'Cron schedule of the daily mysqldump, in UTC.' })),
        keep: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Number of dumps kept on NFS.' })),
        path: Type.Optional(Type.String({ pattern: NFS_PATH, description: 'Folder below the NFS export. @default <backups.nfs.path>/mysql-backup' })),
        drill: DrillSettings,
      }),
    ),
    operatorNamespace: Type.Optional(DnsLabel('Namespace of the MySQL Operator (innodb-cluster only), for network policy.')),
  },
  { description: 'MySQL: a standalone StatefulSet or an InnoDB Cluster through the MySQL Operator.' },
);

export type MysqlInput = Static<typeof MysqlFields>;

/** The literal defaults of the `mysql:` section, written once (see Defaults). */
export const MYSQL_DEFAULTS = {
  topology: 'standalone',
  namespace: 'dbaas',
  name: 'mysql',
  version: '8.4.4',
  instances: 3,
  router: { instances: 2 },
  resources: { cpu: '500m', memory: '2Gi', memoryLimit: '3Gi' },
  maxConnections: 200,
  storage: { size: '20Gi' },
  backup: { schedule: '30 2 * * *', keep: 7 },
  operatorNamespace: 'mysql-operator',
} as const satisfies Defaults<MysqlInput>;

export const MysqlSpec = withDefaults(MysqlFields, MYSQL_DEFAULTS);

const TenantMysqlFields = Closed({
  database: SqlIdentifier('Database name.'),
  user: Type.Optional(SqlIdentifier('User that can reach only this database. @default the database name')),
  rotate: Type.Optional(Type.Boolean({ description: 'Vault rotates the password weekly.' })),
  rotateReason: Type.Optional(FreeText({ minLength: 10, maxLength: 500, description: 'Why the password is not rotated (required with `rotate: false`).' })),
  rotationPeriod: RotationPeriod(),
  connectionLimit: ConnectionLimit('Most connections the user may hold at once (MAX_USER_CONNECTIONS), so one app cannot take every connection of the server. Omitted: no limit of its own.'),
  backup: TenantBackup('mysql'),
  pushPassword: Type.Optional(
    Closed(
      {
        every: Type.String({ pattern: DURATION, description: 'How often the rotated password is pushed into the app, e.g. 6h.' }),
        url: Type.String({
          pattern: '^https?://[a-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$',
          description: "The app's API endpoint that takes the new configuration (an HTTP POST of form fields), e.g. Technitium's /api/apps/config/set.",
        }),
        tokenSecret: DnsLabel("Secret in the app's namespace whose key `token` holds the API token, sent as the form field `token`. Created out of band."),
        fields: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }), Type.String({ maxLength: 4000 }), {
          minProperties: 1,
          additionalProperties: false,
          description: 'Form fields posted to `url`. `${host}`, `${port}`, `${database}`, `${username}` and `${password}` are replaced by the current values; nothing else is expanded.',
        }),
      },
      { description: 'The app keeps the password in its own config (Technitium): a CronJob pushes the rotated password to its API.' },
    ),
  ),
});

export type TenantMysqlInput = Static<typeof TenantMysqlFields>;

/** The literal defaults of a tenant's `mysql:` field. */
export const TENANT_MYSQL_DEFAULTS = { rotate: true } as const satisfies Defaults<TenantMysqlInput>;

export const TenantMysql = withDefaults(TenantMysqlFields, TENANT_MYSQL_DEFAULTS);

/** The `mysql:` section of a validated desired state, typed (the platform validated it against this schema). */
export const mysqlSection = (input: { readonly [section: string]: unknown }): MysqlInput | undefined => input.mysql as MysqlInput | undefined;
/** A tenant's `mysql:` field, typed. */
export const tenantMysql = (tenant: { readonly [field: string]: unknown }): TenantMysqlInput | undefined => tenant.mysql as TenantMysqlInput | undefined;
