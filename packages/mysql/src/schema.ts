/** The `mysql:` section of platform.yaml and the `mysql:` field of a tenant. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, CRON, DnsLabel, DURATION, FreeText, ImageOverride, NFS_PATH, Quantity, SqlIdentifier } from '@db/core';

/** Rotation period of one tenant's password: 1 to 90 days (checked semantically too). */
const RotationPeriod = () => Type.Optional(Type.String({ pattern: DURATION, description: 'How often Vault rotates this password, 1d to 90d. @default vault.rotationPeriod (7d)' }));

export const MysqlSpec = Closed(
  {
    topology: Type.Optional(
      Type.Union([Type.Literal('standalone'), Type.Literal('innodb-cluster')], {
        description: '`standalone`: one StatefulSet (prod since the 2026-04-16 reversion). `innodb-cluster`: an InnoDBCluster of the MySQL Operator with MySQL Router. @default standalone',
      }),
    ),
    namespace: Type.Optional(DnsLabel('Namespace of the server. @default dbaas')),
    name: Type.Optional(DnsLabel('Name of the StatefulSet or InnoDBCluster and of the service apps connect to (its DNS name never changes). @default mysql')),
    version: Type.Optional(Type.Union([Type.Literal('8.4.4')], { description: 'MySQL version; only versions with pinned images are accepted. @default 8.4.4' })),
    image: Type.Optional(ImageOverride),
    instances: Type.Optional(
      Type.Integer({ minimum: 3, maximum: 9, description: 'Group Replication members (innodb-cluster only); odd, so a partition always leaves one side with a majority. @default 3' }),
    ),
    router: Type.Optional(
      Closed({
        instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'MySQL Router replicas (innodb-cluster only). @default 2' })),
      }),
    ),
    resources: Type.Optional(
      Closed(
        {
          cpu: Type.Optional(Quantity('CPU request. No CPU limit is set. @default 500m')),
          memory: Type.Optional(Quantity('Memory request. @default 2Gi')),
          memoryLimit: Type.Optional(Quantity('Memory limit; my.cnf (InnoDB buffer pool and friends) is sized from it. @default 3Gi')),
        },
        { description: 'Compute resources of each MySQL server (seeds: 2Gi request / 3Gi limit, from VPA recommendations).' },
      ),
    ),
    maxConnections: Type.Optional(Type.Integer({ minimum: 10, maximum: 10000, description: 'max_connections. @default 200' })),
    storage: Type.Optional(
      Closed({
        size: Type.Optional(Quantity('Data volume size per server. @default 20Gi')),
        storageClass: Type.Optional(DnsLabel('Storage class (block storage; never NFS). @default storage.block')),
      }),
    ),
    backup: Type.Optional(
      Closed({
        schedule: Type.Optional(Type.String({ pattern: CRON, description: 'Cron schedule of the daily mysqldump, in UTC. @default "30 2 * * *"' })),
        keep: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Number of dumps kept on NFS. @default 7' })),
        path: Type.Optional(Type.String({ pattern: NFS_PATH, description: 'Folder below the NFS export. @default <backups.nfs.path>/mysql-backup' })),
      }),
    ),
    operatorNamespace: Type.Optional(DnsLabel('Namespace of the MySQL Operator (innodb-cluster only), for network policy. @default mysql-operator')),
  },
  { description: 'MySQL: a standalone StatefulSet or an InnoDB Cluster through the MySQL Operator.' },
);

export type MysqlInput = Static<typeof MysqlSpec>;

export const TenantMysql = Closed({
  database: SqlIdentifier('Database name.'),
  user: Type.Optional(SqlIdentifier('User that can reach only this database. @default the database name')),
  rotate: Type.Optional(Type.Boolean({ description: 'Vault rotates the password weekly. @default true' })),
  rotateReason: Type.Optional(FreeText({ minLength: 10, maxLength: 500, description: 'Why the password is not rotated (required with `rotate: false`).' })),
  rotationPeriod: RotationPeriod(),
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

export type TenantMysqlInput = Static<typeof TenantMysql>;

/** The `mysql:` section of a validated desired state, typed (the platform validated it against this schema). */
export const mysqlSection = (input: { readonly [section: string]: unknown }): MysqlInput | undefined => input.mysql as MysqlInput | undefined;
/** A tenant's `mysql:` field, typed. */
export const tenantMysql = (tenant: { readonly [field: string]: unknown }): TenantMysqlInput | undefined => tenant.mysql as TenantMysqlInput | undefined;
