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
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';

/** A closed object: unknown keys are refused. */
export function Closed<T extends TProperties>(properties: T, options: { description?: string; title?: string } = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/**
 * The literal defaults of a section, in the shape of its input: written once, next to its
 * schema. `withDefaults` puts each into the schema (the JSON Schema `default`, which editors
 * show, and a `@default` note in the description) and the section's model reads the same
 * value (`spec.instances ?? DEFAULTS.instances`). Defaults worked out from other fields (a
 * role named after its database) are the model's alone; their descriptions say how.
 */
export type Defaults<T> = {
  readonly [K in keyof T]?: NonNullable<T[K]> extends readonly unknown[] ? Readonly<NonNullable<T[K]>> : NonNullable<T[K]> extends object ? Defaults<NonNullable<T[K]>> : NonNullable<T[K]>;
};

/** How a default reads in a description: `2`, `dbaas`, `"0 2 * * *"`, `[443, 6443]`, `{release: kube-prometheus-stack}`. */
export function showDefault(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(showDefault).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${showDefault(v)}`)
      .join(', ')}}`;
  if (typeof value === 'string' && !/^[\w./:-]+$/.test(value)) return JSON.stringify(value);
  return String(value);
}

const isObjectSchema = (schema: TSchema): schema is TObject => schema.type === 'object' && typeof schema.properties === 'object';

/** The schema with every default of `defaults` written into it (see Defaults). A key the schema does not have is a programming error. */
export function withDefaults<T extends TObject>(schema: T, defaults: Defaults<Static<T>>): T {
  const unknown = Object.keys(defaults).filter((key) => !(key in schema.properties));
  if (unknown.length > 0) throw new Error(`defaults for fields the schema does not have: ${unknown.join(', ')}`);
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([key, property]) => {
      const value = (defaults as Record<string, unknown>)[key];
      if (value === undefined) return [key, property];
      // Defaults inside an optional object go on its fields; an object whose fields are required (Resources) defaults as a whole.
      const required = new Set(isObjectSchema(property) ? (property.required ?? []) : []);
      if (isObjectSchema(property) && !Array.isArray(value) && typeof value === 'object' && value !== null && !Object.keys(value).some((k) => required.has(k))) {
        return [key, withDefaults(property, value as Defaults<unknown>)];
      }
      const description = property.description ? `${property.description} @default ${showDefault(value)}` : `@default ${showDefault(value)}`;
      return [key, { ...property, description, default: value }];
    }),
  );
  return { ...schema, properties };
}

/** Every literal default a schema declares, in the shape of its input (the inverse of withDefaults). */
export function defaultsOf(schema: TSchema): Record<string, unknown> {
  if (!isObjectSchema(schema)) return {};
  return Object.fromEntries(
    Object.entries(schema.properties).flatMap(([key, property]): [string, unknown][] => {
      if (property.default !== undefined) return [[key, property.default]];
      const nested = defaultsOf(property);
      return Object.keys(nested).length > 0 ? [[key, nested]] : [];
    }),
  );
}

/**
 * `value` with every default its schema declares spelled out where the value leaves the field
 * out (into nested objects and list items too): what an input means once its defaults apply.
 */
export function withDefaultsSpelledOut(value: unknown, schema: TSchema): unknown {
  if (Array.isArray(value) && schema.type === 'array' && schema.items) return value.map((item) => withDefaultsSpelledOut(item, schema.items as TSchema));
  if (!isObjectSchema(schema) || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, property] of Object.entries(schema.properties)) {
    if (out[key] === undefined && property.default !== undefined) out[key] = structuredClone(property.default);
    else if (out[key] === undefined && Object.keys(defaultsOf(property)).length > 0) out[key] = withDefaultsSpelledOut({}, property);
    else if (out[key] !== undefined) out[key] = withDefaultsSpelledOut(out[key], property);
  }
  return out;
}

/** RFC 1123 label: namespaces, services, most object names. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** An identifier that is valid, unquoted, in the SQL servers alike (lowercase, digits and `_`). */
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
/** The runbook folder URL: scheme, host, optional port, plain path segments, no trailing slash. */
export const RUNBOOK_URL = '^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%+,;=:@-]+)*$';

export const FreeText = (options: { minLength?: number; maxLength?: number; description: string }) => Type.String({ pattern: FREE_TEXT, ...options });
export const Labels = (description: string) => Type.Record(Type.String({ pattern: LABEL_KEY }), Type.String({ pattern: LABEL_VALUE }), { description, additionalProperties: false });

export const DnsLabel = (description: string) => Type.String({ pattern: DNS_LABEL, maxLength: 63, description });
export const SqlIdentifier = (description: string) => Type.String({ pattern: SQL_IDENTIFIER, maxLength: 63, description });
export const Quantity = (description: string) => Type.String({ pattern: QUANTITY, description });
/** A tenant's connection limit: at most this many connections at once (omitted: no limit of its own). */
export const ConnectionLimit = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description }));

/** The weekly restore drill of an engine's dumps (`<engine>.backup.drill`). */
export const DrillSettings = Type.Optional(
  Closed({
    schedule: Type.Optional(Type.String({ pattern: CRON, description: 'Cron schedule of the weekly restore drill, in UTC. @default "0 5 * * 0" (Sundays 05:00)' })),
    scratch: Type.Optional(Quantity('Room for the throw-away server the drill restores into (an emptyDir): more than the largest tenant restored. @default 10Gi')),
  }),
);
export const DRILL_DEFAULTS = { schedule: '0 5 * * 0', scratch: '10Gi' } as const;

/** A tenant's own backup settings (`tenants[].<engine>.backup`), overriding the engine's section `<engine>.backup`. */
export const TenantBackup = (section: string) =>
  Type.Optional(
    Closed({
      keep: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: `Dumps of this tenant's database kept on NFS. @default ${section}.backup.keep` })),
    }),
  );

export const ImageOverride = Closed(
  {
    repository: Type.String({ minLength: 1, pattern: '^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$', description: 'Repository path without registry, e.g. `library/example`.' }),
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

/** A calendar day, YYYY-MM-DD. */
export const DATE = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';
/** Days a retired tenant's data is kept before a purge is allowed. */
export const RETENTION_AFTER_RETIREMENT_DAYS = 30;

/** The fields every tenant has; each component that tenants use adds its own field (composeTenantSchema). */
export const TenantBaseFields = {
  name: DnsLabel('App name; also its namespace unless `namespace` is given.'),
  namespace: Type.Optional(DnsLabel('Namespace of the app. @default the tenant name')),
  description: Type.Optional(FreeText({ maxLength: 200, description: 'What the app is, for the generated docs.' })),
  state: Type.Optional(
    Type.Union([Type.Literal('active'), Type.Literal('retired')], {
      description: 'A retired tenant keeps its data and dumps; only a retired tenant may later be purged, and only a purged one may leave this file. @default active',
    }),
  ),
  retiredOn: Type.Optional(Type.String({ pattern: DATE, description: 'The day the tenant was retired (YYYY-MM-DD); required with state: retired.' })),
  purge: Type.Optional(
    Type.Boolean({ description: `Delete the retired tenant's data: allowed ${RETENTION_AFTER_RETIREMENT_DAYS} days after retiredOn. Once rendered, the tenant may be removed from the file.` }),
  ),
};
export type TenantBase = { name: string; namespace?: string; description?: string; state?: 'active' | 'retired'; retiredOn?: string; purge?: boolean };

export const Waiver = Closed({
  rule: Type.String({ pattern: '^[a-z0-9-]+$', description: 'Guardrail id.' }),
  object: Type.String({ pattern: '^[A-Za-z]+/([a-z0-9-]+/)?[a-z0-9.-]+$', description: '`Kind/namespace/name` (or `Kind/name` for cluster-scoped objects).' }),
  reason: FreeText({ minLength: 20, maxLength: 500, description: 'Why the rule does not apply; written into the rendered object.' }),
});

/** A dump's file name: `<tenant>-<UTC stamp>.<extension>`. */
export const DUMP_FILE = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?-[0-9]{8}T[0-9]{6}Z\\.[a-z0-9.]+$';

export const RestoreEntry = Closed(
  {
    engine: DnsLabel('Engine whose dump is restored (its id, e.g. the section name).'),
    tenant: DnsLabel('Tenant whose dump is restored; only its database is touched.'),
    action: Type.Optional(
      Type.Union([Type.Literal('restore'), Type.Literal('list')], {
        description: '`restore` the dump, or `list` the dumps available for the tenant (read them with kubectl logs). @default restore',
      }),
    ),
    dump: Type.Optional(
      Type.Union([Type.Literal('latest'), Type.String({ pattern: DUMP_FILE, maxLength: 200 })], {
        description: 'Which dump: `latest`, or a file name as `action: list` shows it (`<tenant>-<UTC stamp>.<extension>`). @default latest',
      }),
    ),
    into: Type.Optional(SqlIdentifier("Database to restore into. @default the tenant's own database")),
    replace: Type.Optional(Type.Boolean({ description: 'Allow a target database that already holds objects (they are replaced). Without it, such a restore is refused and changes nothing.' })),
    reason: Type.Optional(FreeText({ maxLength: 500, description: 'Why, for the reviewers and the Job.' })),
  },
  { description: 'One restore (or listing) of one tenant, run once by a Job. Remove the entry once done; the Job stays until then.' },
);
export type RestoreInput = Static<typeof RestoreEntry>;

/** Hints for the shared patterns, shown with a value that does not match. Components add theirs (`schema.patternHints`). */
export const SHARED_PATTERN_HINTS: Readonly<Record<string, string>> = {
  [DNS_LABEL]: 'use lowercase letters, digits and "-", starting and ending with a letter or digit (a Kubernetes name)',
  [SQL_IDENTIFIER]: 'use lowercase letters, digits and "_", not starting with a digit (an identifier every SQL server here takes without quoting)',
  [QUANTITY]: 'a Kubernetes quantity such as 512Mi, 2Gi or 500m',
  [DURATION]: 'a duration such as 15m, 6h or 7d',
  [CRON]: 'five cron fields separated by single spaces, e.g. "0 2 * * *"',
  [FREE_TEXT]: 'one line of plain text: no line breaks or control characters, and no "{{" or "}}" (Helm would evaluate them as a template)',
  [LABEL_KEY]: 'a Kubernetes label key such as release or app.kubernetes.io/name',
  [LABEL_VALUE]: 'a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  [NFS_PATH]: 'an absolute path of letters, digits, ".", "_", "-" and "/", without ".." segments',
  [RUNBOOK_URL]: 'an http(s) URL made of plain path segments, without a trailing slash',
};

/** A Git URL Argo CD and Flux can clone: HTTPS or SSH, never plain HTTP; plain path segments (no query, no braces). */
export const GIT_URL = '^(https://[A-Za-z0-9.-]+(:[0-9]+)?|ssh://[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:[0-9]+)?)(/[A-Za-z0-9._~-]+)+$';
/** A branch or tag name (no spaces, no `..`, not starting with `-`). */
export const GIT_REVISION = '^[A-Za-z0-9_][A-Za-z0-9._/-]*$';
/** A Helm chart mirror: an OCI registry path or a classic Helm repository (ChartMuseum, Harbor). */
export const CHART_MIRROR = '^(oci|https?)://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._-]+)*$';

export const DeliveryHints: Readonly<Record<string, string>> = {
  [GIT_URL]: 'an https:// or ssh://git@host/... URL of this repository (plain http is refused: the cluster would trust unauthenticated content)',
  [GIT_REVISION]: 'a branch name such as main',
  [CHART_MIRROR]: 'oci://registry.example:5000/charts for an OCI registry, or the https:// URL of a Helm repository, without trailing slash',
};

const DeliveryFields = Closed(
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
        revision: Type.Optional(Type.String({ pattern: GIT_REVISION, maxLength: 255, description: 'Branch the cluster follows.' })),
      },
      { description: 'Where Argo CD and Flux read clusters/<cluster>/ from.' },
    ),
    argocd: Type.Optional(
      Closed({
        namespace: Type.Optional(DnsLabel('Namespace of Argo CD (its Applications and AppProjects live there).')),
        project: Type.Optional(DnsLabel("Name of the AppProject the platform's Applications belong to.")),
        server: Type.Optional(Type.String({ pattern: '^https://\\S+$', description: 'API server Argo CD deploys to.' })),
      }),
    ),
    flux: Type.Optional(
      Closed({
        namespace: Type.Optional(DnsLabel("Namespace of the Flux controllers and of the platform's Flux objects.")),
        interval: Type.Optional(Type.String({ pattern: DURATION, description: 'How often Flux reconciles.' })),
      }),
    ),
    operators: Type.Optional(
      Closed(
        {
          install: Type.Optional(Type.Boolean({ description: 'Install the operators the engines need from their pinned Helm charts.' })),
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

/** The literal defaults of the `delivery:` section, written once (see Defaults). */
export const DELIVERY_DEFAULTS = {
  repository: { revision: 'main' },
  argocd: { namespace: 'argocd', project: 'db-platform', server: 'https://kubernetes.default.svc' },
  flux: { namespace: 'flux-system', interval: '10m' },
  operators: { install: true },
} as const satisfies Defaults<Static<typeof DeliveryFields>>;

export const DeliverySpec = withDefaults(DeliveryFields, DELIVERY_DEFAULTS);

/** The literal defaults of the shared sections, written once (see Defaults). */
export const SHARED_DEFAULTS = {
  monitoring: {
    namespace: 'monitoring',
    prometheusSelector: { release: 'kube-prometheus-stack' },
    prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    dashboards: { label: 'grafana_dashboard', labelValue: '1' },
  },
  network: { apiServerPorts: [443, 6443], dnsNamespace: 'kube-system', dnsPodLabels: { 'k8s-app': 'kube-dns' } },
} as const;

/** The shared sections, before the components' sections. `network.operatorNamespaces` gets one key per component that asks for one. */
function sharedProperties(operatorNamespaces: readonly { readonly key: string; readonly default: string }[]) {
  return {
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
    monitoring: withDefaults(
      Closed({
        namespace: Type.Optional(DnsLabel('Namespace of Prometheus.')),
        prometheusSelector: Type.Optional(Labels('Labels the Prometheus CR selects PodMonitors and rules by.')),
        prometheusPodLabels: Type.Optional(Labels('Labels of the Prometheus pods, for network policy.')),
        pushgateway: Type.String({ pattern: '^http://[a-z0-9.-]+(:[0-9]+)?$', description: 'Pushgateway URL that backup jobs report to.' }),
        runbookBaseUrl: Type.String({ pattern: RUNBOOK_URL, description: 'URL of docs/runbooks in this repository, without trailing slash.' }),
        dashboards: Type.Optional(
          withDefaults(
            Closed({
              namespace: Type.Optional(DnsLabel("Namespace of the dashboards' ConfigMaps: where Grafana's sidecar looks (its own namespace unless it searches all). @default monitoring.namespace")),
              label: Type.Optional(Type.String({ pattern: LABEL_KEY, maxLength: 253, description: 'Label the Grafana sidecar finds dashboard ConfigMaps by (grafana.sidecar.dashboards.label).' })),
              labelValue: Type.Optional(Type.String({ pattern: LABEL_VALUE, maxLength: 63, description: 'Its value (grafana.sidecar.dashboards.labelValue).' })),
            }),
            SHARED_DEFAULTS.monitoring.dashboards,
          ),
        ),
      }),
      SHARED_DEFAULTS.monitoring,
    ),
    network: Type.Optional(
      withDefaults(
        Closed({
          apiServerPorts: Type.Optional(
            Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { uniqueItems: true, description: 'Ports of the Kubernetes API server (ClusterIP 443 and endpoint 6443).' }),
          ),
          dnsNamespace: Type.Optional(DnsLabel('')),
          dnsPodLabels: Type.Optional(Labels('')),
          operatorNamespaces: Type.Optional(
            withDefaults(Closed(Object.fromEntries(operatorNamespaces.map((o) => [o.key, Type.Optional(DnsLabel(''))]))), Object.fromEntries(operatorNamespaces.map((o) => [o.key, o.default]))),
          ),
        }),
        SHARED_DEFAULTS.network,
      ),
    ),
  };
}

/** A component's place in the input: its top-level section and, when tenants use it, its tenant field. */
export interface SchemaPart {
  readonly id: string;
  /** The top-level section (`<id>:`), optional in the input. */
  readonly section: TSchema;
  /** Whether the section comes after `tenants` (a list of its own, like per-app volumes). @default false */
  readonly afterTenants?: boolean;
  /** `tenants[].<id>:`, when tenants use the component. */
  readonly tenant?: TSchema;
  /** A key under `network.operatorNamespaces` and its default. */
  readonly operatorNamespace?: { readonly key: string; readonly default: string };
}

/** The desired-state schema of a platform made of these components, in their order. */
export function composePlatformSchema(parts: readonly SchemaPart[]): TObject {
  const tenant = Closed({ ...TenantBaseFields, ...Object.fromEntries(parts.filter((p) => p.tenant).map((p) => [p.id, Type.Optional(p.tenant!)])) });
  const section = (p: SchemaPart) => [p.id, Type.Optional(p.section)] as const;
  return Closed(
    {
      ...sharedProperties(parts.flatMap((p) => (p.operatorNamespace ? [p.operatorNamespace] : []))),
      ...Object.fromEntries(parts.filter((p) => !p.afterTenants).map(section)),
      tenants: Type.Array(tenant, { description: 'Apps and the databases they use.' }),
      ...Object.fromEntries(parts.filter((p) => p.afterTenants).map(section)),
      waivers: Type.Optional(Type.Array(Waiver, { description: 'Guardrail findings accepted for one object, with the reason.' })),
      restores: Type.Optional(
        Type.Array(RestoreEntry, {
          description: 'Restores (and listings of dumps) of one tenant each, run once by a Job: the pull request adding an entry is the approval. See README, "Restoring one app".',
        }),
      ),
      delivery: Type.Optional(DeliverySpec),
    },
    {
      title: 'db-platform desired state',
      description: "One cluster's shared database services. See README.md.",
    },
  );
}

const SharedSchema = Closed(sharedProperties([]));
/** The shared settings of the input, as the components' resolve sees them. */
export type SharedInput = Omit<Static<typeof SharedSchema>, 'network'> & {
  network?: Omit<NonNullable<Static<typeof SharedSchema>['network']>, 'operatorNamespaces'> & { operatorNamespaces?: Record<string, string> };
};
/** A whole input: the shared settings, the tenants and each component's section (typed by the component). */
export type PlatformInput = SharedInput & {
  tenants: (TenantBase & Record<string, unknown>)[];
  waivers?: Static<typeof Waiver>[];
  restores?: RestoreInput[];
  delivery?: Static<typeof DeliverySpec>;
  [section: string]: unknown;
};

/** The JSON Schema published at schemas/platform.schema.json, of a composed platform schema. */
export function platformJsonSchema(schema: TObject): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://db-platform.dev/schemas/platform.schema.json',
    ...JSON.parse(JSON.stringify(schema)),
  };
}
