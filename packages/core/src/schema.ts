/**
 * The desired state of one cluster's database services: the only input of db-platform.
 *
 * The schema is written with TypeBox so that one declaration gives both the TypeScript
 * type every construct receives and the JSON Schema that ajv enforces, that editors use
 * through the `yaml-language-server` modeline and that Helm charts reuse as
 * `values.schema.json`. `schemas/platform.schema.json` is generated from it.
 *
 * Every object is closed (`additionalProperties: false`): an unknown key is an error, so
 * a typo never silently falls back to a default.
 */
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';

/** A closed object: unknown keys are refused. */
function Closed<T extends TProperties>(properties: T, options: { description?: string; title?: string } = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** RFC 1123 label: namespaces, services, most object names. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** An identifier that is valid, unquoted, in PostgreSQL and MySQL alike. */
export const SQL_IDENTIFIER = '^[a-z_][a-z0-9_]*$';
/** Kubernetes quantity, restricted to the binary and decimal suffixes people write. */
export const QUANTITY = '^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$';
/** A duration such as 15m, 6h, 7d. */
export const DURATION = '^[0-9]+(s|m|h|d)$';
/** A five-field cron expression (the CronJob `schedule`): digits, names, `* / , - ? L W #`, single spaces. */
export const CRON = '^([0-9A-Za-z*/,?#-]+ ){4}[0-9A-Za-z*/,?#-]+$';
/**
 * One line of free text (descriptions, reasons): no control characters or line breaks, and
 * no `{{` or `}}`, which Helm would evaluate as a template once the text is in a chart.
 */
export const FREE_TEXT = '^(?!.*\\{\\{)(?!.*\\}\\})[^\\u0000-\\u001f\\u007f]*$';
/** A Kubernetes label key: an optional DNS-subdomain prefix and a name of up to 63 characters. */
export const LABEL_KEY = '^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** A Kubernetes label value: empty, or up to 63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric. */
export const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';
/** An absolute folder on the NFS export, without `..` segments. */
export const NFS_PATH = '^(?!.*(^|/)\\.\\.(/|$))/[A-Za-z0-9._/-]*$';
/** A postgresql.conf parameter name. */
export const CONF_KEY = '^[a-z_][a-z0-9_.]{0,62}$';
/** A postgresql.conf value: one line without quotes, backslashes or braces (nothing that can end the value or start a template). */
export const CONF_VALUE = '^[^\\u0000-\\u001f\\u007f\'"\\\\{}]{0,256}$';

/** A Redis key prefix: single braces (hash tags) are fine, `{{`/`}}` are not (Helm templates). */
export const REDIS_PREFIX = '^(?!.*\\{\\{)(?!.*\\}\\})[A-Za-z0-9_.:{}-]+$';
/** The runbook folder URL: scheme, host, optional port, plain path segments, no trailing slash. */
export const RUNBOOK_URL = '^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%+,;=:@-]+)*$';

const FreeText = (options: { minLength?: number; maxLength?: number; description: string }) => Type.String({ pattern: FREE_TEXT, ...options });
const Labels = (description: string) => Type.Record(Type.String({ pattern: LABEL_KEY }), Type.String({ pattern: LABEL_VALUE }), { description, additionalProperties: false });

const DnsLabel = (description: string) => Type.String({ pattern: DNS_LABEL, maxLength: 63, description });
const SqlIdentifier = (description: string) => Type.String({ pattern: SQL_IDENTIFIER, maxLength: 63, description });
const Quantity = (description: string) => Type.String({ pattern: QUANTITY, description });

export const ImageOverride = Closed(
  {
    repository: Type.String({ minLength: 1, pattern: '^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$', description: 'Repository path without registry, e.g. `cloudnative-pg/postgis`.' }),
    tag: Type.String({
      minLength: 1,
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
      description: 'Full, immutable tag. Floating tags (`latest`, a bare major) are refused by the `unpinned-image` guardrail.',
    }),
  },
  { description: 'Overrides the pinned image. The registry still comes from `imageRegistry`.' },
);

export const Resources = Closed(
  {
    cpu: Quantity('CPU request. No CPU limit is set (throttling a database hurts more than it protects).'),
    memory: Quantity('Memory request and limit (databases get requests = limits, so they are never the first to be OOM-killed).'),
  },
  { description: 'Compute resources.' },
);

export const PostgresSpec = Closed(
  {
    namespace: Type.Optional(DnsLabel('Namespace of the cluster. @default dbaas')),
    name: Type.Optional(DnsLabel('Name of the CNPG Cluster; its services are `<name>-rw`, `-ro` and `-r`. @default pg-cluster')),
    instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'PostgreSQL instances (1 primary + replicas). @default 2' })),
    version: Type.Optional(Type.Union([Type.Literal(16), Type.Literal(17), Type.Literal(18)], { description: 'PostgreSQL major version. @default 16' })),
    postgis: Type.Optional(Type.Boolean({ description: 'Use the PostGIS operand image. @default true' })),
    image: Type.Optional(ImageOverride),
    storage: Type.Optional(
      Closed({
        size: Type.Optional(Quantity('Data volume size per instance. @default 20Gi')),
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
        name: Type.Optional(DnsLabel('Pooler and service name that apps connect to. @default pgbouncer')),
        instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'PgBouncer replicas. @default 3' })),
        poolMode: Type.Optional(Type.Union([Type.Literal('session'), Type.Literal('transaction')], { description: '@default transaction' })),
        maxClientConnections: Type.Optional(Type.Integer({ minimum: 10, maximum: 100000, description: '@default 1000' })),
        defaultPoolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: '@default 20' })),
      }),
    ),
    backup: Type.Optional(
      Closed({
        schedule: Type.Optional(Type.String({ pattern: CRON, description: 'Cron schedule, in UTC. @default "0 2 * * *"' })),
        keep: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Number of dumps kept on NFS. @default 7' })),
        path: Type.Optional(Type.String({ pattern: NFS_PATH, description: 'Folder below the NFS export. @default <backups.nfs.path>/postgres-backup' })),
      }),
    ),
  },
  { description: 'PostgreSQL on CloudNativePG with PgBouncer.' },
);

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

const Milliseconds = (description: string, minimum = 100) => Type.Integer({ minimum, maximum: 3600000, description });

export const RedisSpec = Closed(
  {
    namespace: Type.Optional(DnsLabel('Namespace of Redis. @default redis')),
    name: Type.Optional(DnsLabel('Name of the StatefulSet; pods are `<name>-0`... @default redis-v2')),
    topology: Type.Optional(
      Type.Union([Type.Literal('standalone'), Type.Literal('sentinel')], {
        description: '`standalone`: one pod, restarts are a few-seconds blip (prod since 2026-05-30). `sentinel`: 3 pods each with redis, sentinel and exporter, behind HAProxy. @default standalone',
      }),
    ),
    image: Type.Optional(ImageOverride),
    resources: Type.Optional(Resources),
    maxmemory: Type.Optional(
      Type.Integer({
        minimum: 16,
        maximum: 1048576,
        description: '`maxmemory` in MiB (`mb` in redis.conf). Must leave fork headroom below the memory limit (the `redis-fork-headroom` guardrail). @default 5/6 of resources.memory (640 of 768Mi)',
      }),
    ),
    maxmemoryPolicy: Type.Optional(
      Type.Union(
        ['volatile-lru', 'volatile-lfu', 'volatile-ttl', 'volatile-random', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'].map((p) => Type.Literal(p)),
        {
          description: 'Eviction policy. `allkeys-*` can evict TTL-less queue keys and is refused when a tenant has `use: queue`. @default volatile-lru',
        },
      ),
    ),
    storage: Type.Optional(
      Closed({
        size: Type.Optional(Quantity('Data volume size per pod. @default 5Gi')),
        maxSize: Type.Optional(Quantity('Upper bound for pvc-autoresizer to grow the volume to. @default 20Gi')),
        storageClass: Type.Optional(DnsLabel('Storage class. @default storage.encrypted')),
      }),
    ),
    antiAffinity: Type.Optional(
      Type.Union([Type.Literal('required'), Type.Literal('preferred')], {
        description: 'Pod anti-affinity of the sentinel topology; `preferred` is refused by a guardrail (2026-04-22). @default required',
      }),
    ),
    livenessProbe: Type.Optional(
      Closed({
        timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: '@default 10' })),
        failureThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 30, description: '@default 5' })),
      }),
    ),
    sentinel: Type.Optional(
      Closed(
        {
          replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'Pods (each redis + sentinel + exporter); odd and at least 3. @default 3' })),
          quorum: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: 'Sentinels that must agree the master is down; a majority. @default replicas/2+1' })),
          masterName: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: '@default mymaster' })),
          downAfterMilliseconds: Type.Optional(Milliseconds('`down-after-milliseconds`; below 15000 is refused (2026-04-22). @default 15000')),
          failoverTimeout: Type.Optional(Milliseconds('`failover-timeout`. @default 60000')),
          minReplicasToWrite: Type.Optional(Type.Integer({ minimum: 0, maximum: 8, description: '`min-replicas-to-write`: an isolated master refuses writes. @default 1' })),
          minReplicasMaxLag: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, description: '`min-replicas-max-lag` in seconds. @default 10' })),
          publishNotReadyAddresses: Type.Optional(Type.Boolean({ description: 'Headless data service publishes not-ready pods; `true` is refused (2026-04-22). @default false' })),
        },
        { description: 'Sentinel HA settings (topology: sentinel).' },
      ),
    ),
    haproxy: Type.Optional(
      Closed(
        {
          replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: '@default 3' })),
          checkInterval: Type.Optional(Milliseconds('`check inter`; below 2000 is refused (2026-04-22). @default 2000')),
          fall: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: '@default 3' })),
          rise: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: '@default 2' })),
          timeoutCheck: Type.Optional(Milliseconds('`timeout check`. @default 5000')),
        },
        { description: 'HAProxy in front of the sentinel topology; `redis-master` selects it.' },
      ),
    ),
    backup: Type.Optional(
      Closed({
        schedule: Type.Optional(Type.String({ pattern: CRON, description: 'Cron schedule, in UTC. @default "0 3 * * 0" (Sunday 03:00)' })),
        days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Days an RDB snapshot is kept on NFS. @default 28' })),
        path: Type.Optional(Type.String({ pattern: NFS_PATH, description: 'Folder below the NFS export. @default <backups.nfs.path>/redis-backup' })),
      }),
    ),
  },
  { description: 'Shared Redis: standalone or Sentinel HA, with ACL users per tenant.' },
);

/** Rotation period of one tenant's password: 1 to 90 days (checked semantically too). */
const RotationPeriod = () => Type.Optional(Type.String({ pattern: DURATION, description: 'How often Vault rotates this password, 1d to 90d. @default vault.rotationPeriod (7d)' }));

export const TenantPostgres = Closed({
  database: SqlIdentifier('Database name.'),
  role: Type.Optional(SqlIdentifier('Login role that owns the database. @default the database name')),
  rotate: Type.Optional(Type.Boolean({ description: 'Vault rotates the role password weekly. @default true' })),
  rotateReason: Type.Optional(FreeText({ minLength: 10, maxLength: 500, description: 'Why the password is not rotated (required with `rotate: false`, shown in the docs).' })),
  rotationPeriod: RotationPeriod(),
  passwordSecret: Type.Optional(DnsLabel('For a role Vault does not rotate: the Secret (in the database namespace) from which CNPG sets the password. Created out of band.')),
  connection: Type.Optional(
    Type.Union([Type.Literal('pooler'), Type.Literal('direct')], {
      description: '`pooler` (PgBouncer) or `direct` (the `postgresql` compatibility service, for apps that need session features such as LISTEN/NOTIFY). @default pooler',
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

export const TenantRedis = Closed({
  use: Type.Union([Type.Literal('cache'), Type.Literal('queue')], {
    description: '`cache`: keys carry a TTL and may be evicted. `queue`: job keys without TTL (BullMQ, Celery) that must never be evicted.',
  }),
  prefixes: Type.Optional(
    Type.Array(Type.String({ pattern: REDIS_PREFIX, maxLength: 64 }), { uniqueItems: true, description: 'Extra key prefixes the app uses besides `<tenant>:` (e.g. `bull:` for BullMQ).' }),
  ),
});

export const Tenant = Closed({
  name: DnsLabel('App name; also its namespace unless `namespace` is given.'),
  namespace: Type.Optional(DnsLabel('Namespace of the app. @default the tenant name')),
  description: Type.Optional(FreeText({ maxLength: 200, description: 'What the app is, for the generated docs.' })),
  postgres: Type.Optional(TenantPostgres),
  mysql: Type.Optional(TenantMysql),
  redis: Type.Optional(TenantRedis),
});

export const SqliteVolume = Closed({
  app: DnsLabel('App that owns the SQLite volume.'),
  namespace: Type.Optional(DnsLabel('@default the app name')),
  size: Quantity('Volume size.'),
  storageClass: Type.Optional(DnsLabel('@default storage.block (never NFS: SQLite needs a reliable fsync)')),
});

export const VaultSpec = Closed(
  {
    namespace: Type.Optional(
      DnsLabel('Namespace where Vault runs; the vault-config-operator objects live there too. Not created or fenced by the platform (Vault is installed on its own). @default vault'),
    ),
    address: Type.Optional(
      Type.String({ pattern: '^https?://[a-z0-9.-]+(:[0-9]+)?$', description: 'Vault address External Secrets and the operator use. @default http://vault.<namespace>.svc.cluster.local:8200' }),
    ),
    podLabels: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Labels of the Vault server pods, for the network policies that let Vault reach the databases. @default {app.kubernetes.io/name: vault}',
      }),
    ),
    mount: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$', description: 'Mount path of the database secrets engine. @default database' })),
    kubernetesAuthMount: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$', description: 'Mount path of the Kubernetes auth method. @default kubernetes' })),
    operatorRole: Type.Optional(DnsLabel('Vault Kubernetes-auth role the vault-config-operator logs in with (created once, by hand: see README). @default db-platform-vault-config')),
    rotationPeriod: Type.Optional(Type.String({ pattern: DURATION, description: 'How often every tenant password is rotated, 1d to 90d. @default 7d (604800 s)' })),
    refreshInterval: Type.Optional(
      Type.String({ pattern: DURATION, description: 'How often External Secrets re-reads each password. Must stay well below the rotation period (guardrail vault-refresh-interval). @default 15m' }),
    ),
    rootRotationPeriod: Type.Optional(Type.String({ pattern: DURATION, description: 'How often Vault rotates its own (root) login on each database. @default 30d' })),
  },
  { description: "Vault rotates every tenant's database password (static roles); External Secrets syncs it into the tenant's namespace." },
);

export const Waiver = Closed({
  rule: Type.String({ pattern: '^[a-z0-9-]+$', description: 'Guardrail id.' }),
  object: Type.String({ pattern: '^[A-Za-z]+/([a-z0-9-]+/)?[a-z0-9.-]+$', description: '`Kind/namespace/name` (or `Kind/name` for cluster-scoped objects).' }),
  reason: FreeText({ minLength: 20, maxLength: 500, description: 'Why the rule does not apply; written into the rendered object.' }),
});

/** A Git URL Argo CD and Flux can clone: HTTPS or SSH, never plain HTTP; plain path segments (no query, no braces). */
export const GIT_URL = '^(https://[A-Za-z0-9.-]+(:[0-9]+)?|ssh://[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]+)?)(/[A-Za-z0-9._~-]+)+$';
/** A branch or tag name (no spaces, no `..`, not starting with `-`). */
export const GIT_REVISION = '^[A-Za-z0-9_][A-Za-z0-9._/-]*$';
/** A Helm chart mirror: an OCI registry path or a classic Helm repository (ChartMuseum, Harbor). */
export const CHART_MIRROR = '^(oci|https?)://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._-]+)*$';

export const DeliverySpec = Closed(
  {
    tools: Type.Array(Type.Union([Type.Literal('argocd'), Type.Literal('flux')]), {
      minItems: 1,
      uniqueItems: true,
      description:
        'GitOps tools to render wiring for (clusters/<cluster>/argocd, clusters/<cluster>/flux). Bootstrap one of them per cluster; both are rendered when a cluster moves from one to the other.',
    }),
    repository: Closed(
      {
        url: Type.String({ pattern: GIT_URL, description: 'Git URL of this repository, as Argo CD and Flux clone it.' }),
        revision: Type.Optional(Type.String({ pattern: GIT_REVISION, maxLength: 255, description: 'Branch the cluster follows. @default main' })),
      },
      { description: 'Where Argo CD and Flux read clusters/<cluster>/ from.' },
    ),
    argocd: Type.Optional(
      Closed({
        namespace: Type.Optional(DnsLabel('Namespace of Argo CD (its Applications and AppProjects live there). @default argocd')),
        project: Type.Optional(DnsLabel("Name of the AppProject the platform's Applications belong to. @default db-platform")),
        server: Type.Optional(Type.String({ pattern: '^https://\\S+$', description: 'API server Argo CD deploys to. @default https://kubernetes.default.svc' })),
      }),
    ),
    flux: Type.Optional(
      Closed({
        namespace: Type.Optional(DnsLabel("Namespace of the Flux controllers and of the platform's Flux objects. @default flux-system")),
        interval: Type.Optional(Type.String({ pattern: DURATION, description: 'How often Flux reconciles. @default 10m' })),
      }),
    ),
    operators: Type.Optional(
      Closed(
        {
          install: Type.Optional(Type.Boolean({ description: 'Install the operators the engines need (CloudNativePG, MySQL Operator...) from their pinned Helm charts. @default true' })),
          chartMirror: Type.Optional(
            Type.String({
              pattern: CHART_MIRROR,
              description:
                "Air-gapped clusters: where the operator charts are mirrored, an OCI registry (`oci://registry.lab.internal:5000/charts`) or a Helm repository URL. Operator images follow `imageRegistry`. @default each chart's upstream repository",
            }),
          ),
        },
        { description: 'Operator installs.' },
      ),
    ),
  },
  { description: 'GitOps delivery: Argo CD and/or Flux wiring for this cluster, and the operators it needs. Without it, only clusters/<cluster>/ objects are rendered.' },
);

export const PlatformSchema = Closed(
  {
    $schema: Type.Optional(Type.String({ description: 'Ignored; lets editors find this schema.' })),
    cluster: DnsLabel('Cluster name; output goes to clusters/<cluster>/.'),
    imageRegistry: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$',
        description: "Registry (mirror) every image is pulled from; air-gapped clusters point this at their mirror. @default each image's upstream registry",
      }),
    ),
    storage: Closed({
      block: DnsLabel('Block storage class for database volumes.'),
      encrypted: Type.Optional(DnsLabel('Encrypted block storage class. @default storage.block')),
      nfs: Type.Optional(Type.Array(DnsLabel('An NFS-backed storage class.'), { uniqueItems: true, description: 'Storage classes backed by NFS: no database volume may use them.' })),
    }),
    backups: Closed({
      nfs: Closed({
        server: Type.String({ pattern: '^[A-Za-z0-9.-]+$', description: 'NFS server for backups.' }),
        path: Type.String({ pattern: NFS_PATH, description: 'Export path.' }),
      }),
    }),
    scheduling: Type.Optional(
      Closed({
        avoidNodes: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }), { uniqueItems: true, description: 'Nodes no database pod may run on (the GPU node).' })),
      }),
    ),
    monitoring: Closed({
      namespace: Type.Optional(DnsLabel('Namespace of Prometheus. @default monitoring')),
      prometheusSelector: Type.Optional(Labels('Labels the Prometheus CR selects PodMonitors and rules by. @default {release: kube-prometheus-stack}')),
      prometheusPodLabels: Type.Optional(Labels('Labels of the Prometheus pods, for network policy. @default {app.kubernetes.io/name: prometheus}')),
      pushgateway: Type.String({ pattern: '^http://[a-z0-9.-]+(:[0-9]+)?$', description: 'Pushgateway URL that backup jobs report to.' }),
      runbookBaseUrl: Type.String({ pattern: RUNBOOK_URL, description: 'URL of docs/runbooks in this repository, without trailing slash.' }),
    }),
    network: Type.Optional(
      Closed({
        apiServerPorts: Type.Optional(
          Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { uniqueItems: true, description: 'Ports of the Kubernetes API server (ClusterIP 443 and endpoint 6443). @default [443, 6443]' }),
        ),
        dnsNamespace: Type.Optional(DnsLabel('@default kube-system')),
        dnsPodLabels: Type.Optional(Labels('@default {k8s-app: kube-dns}')),
        operatorNamespaces: Type.Optional(
          Closed({
            cnpg: Type.Optional(DnsLabel('@default cnpg-system')),
          }),
        ),
      }),
    ),
    postgres: Type.Optional(PostgresSpec),
    mysql: Type.Optional(MysqlSpec),
    redis: Type.Optional(RedisSpec),
    vault: Type.Optional(VaultSpec),
    tenants: Type.Array(Tenant, { description: 'Apps and the databases they use.' }),
    sqlite: Type.Optional(Type.Array(SqliteVolume, { description: 'Per-app SQLite volumes on block storage.' })),
    waivers: Type.Optional(Type.Array(Waiver, { description: 'Guardrail findings accepted for one object, with the reason.' })),
    delivery: Type.Optional(DeliverySpec),
  },
  {
    title: 'db-platform desired state',
    description: "One cluster's shared database services. See README.md.",
  },
);

export type PlatformInput = Static<typeof PlatformSchema>;
export type TenantInput = Static<typeof Tenant>;

/** The JSON Schema published at schemas/platform.schema.json. */
export function platformJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://db-platform.dev/schemas/platform.schema.json',
    ...JSON.parse(JSON.stringify(PlatformSchema)),
  };
}
