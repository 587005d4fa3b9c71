/**
 * The contract between the platform and one engine package. A new engine is a new package
 * that exports one `Engine`, registered in @db/platform's engine list; nothing else in the
 * tree changes.
 */
import type { Construct } from 'constructs';
import type { PlatformModel, Services } from './model.ts';
import type { PlatformInput } from './schema.ts';
import type { Problem } from './problems.ts';
import type { Rule } from './guardrails.ts';
import type { AlertSpec } from './monitoring.ts';
import type { EngineDashboard } from './dashboards.ts';
import type { GroupKind, HelmOperator } from './operators.ts';
import type { K8sObject } from './objects.ts';
import type { EngineCredentials, GeneratedSecret, RotationStep } from './credentials.ts';
import type { CredentialDetector } from './credential-scan.ts';
import type { InputSchema } from './load.ts';
import { composePlatformSchema, type SchemaPart } from './schema.ts';

export interface NamespaceNeed {
  readonly name: string;
  /** Pod Security Standards level the engine's pods meet. */
  readonly podSecurity: 'restricted' | 'baseline' | 'privileged';
}

/**
 * The GitOps order of components (Argo CD sync waves, Flux `dependsOn`): the operators and
 * their CRDs first, then the shared platform objects (namespaces, baseline policy), then the
 * database servers, then what tenants get from them (secrets, provisioning).
 */
/**
 * `secrets` comes before `databases`: the servers' own generated credentials (ACL users, root
 * logins) must exist before the servers start, or their pods wait for Secrets forever.
 */
export const DELIVERY_PHASES = ['operators', 'platform', 'secrets', 'databases', 'tenants'] as const;
export type DeliveryPhase = (typeof DELIVERY_PHASES)[number];

/**
 * What the delivery needs to know about the custom resources an engine renders, so that
 * delivery names no engine kind: which to keep, which to wait for, which fields an operator
 * owns, where images hide.
 */
export interface CustomResourceFacts {
  /** Kinds whose deletion deletes data (an operator deletes a cluster's claims with it): `helm uninstall` keeps them. */
  readonly keepOnUninstall?: readonly GroupKind[];
  /** Kinds that are ready only when their operator sets the `Ready` condition: Flux waits for it. */
  readonly readyCondition?: readonly GroupKind[];
  /** Fields that an operator or its webhook owns once the object exists: a sync must not fight it. */
  readonly ownedFields?: readonly OwnedFields[];
  /** Keys other than `image` whose value is an image reference (the Helm chart's registry override rewrites them). */
  readonly imageKeys?: readonly string[];
  /** `app.kubernetes.io/component` values, besides `database`, of the engine's workloads that hold or serve data (a connection pooler, a proxy). */
  readonly dataComponents?: readonly string[];
  /** How to read the pods an operator makes of a custom resource: core's guardrails and posture see through it. */
  readonly kinds?: readonly CustomResourceReader[];
}

/** What core's guardrails need to know of the pods an operator creates from one kind. */
export interface CustomResourceReader {
  readonly group: string;
  readonly kind: string;
  /** The pods hold or serve data (database placement rules apply). */
  readonly dataPods?: boolean;
  /** The node affinity of the pods. */
  nodeAffinity?(o: K8sObject): Record<string, any> | undefined;
  /** The metadata the pods carry (where image-update bots look). */
  podMetadata?(o: K8sObject): { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
  /** Storage classes of the volumes that hold the data. */
  dataStorageClasses?(o: K8sObject): string[];
  /** Images named outside pod specs (an operand image). */
  images?(o: K8sObject): string[];
}

/** The reader of an object's kind, if an engine declared one. */
export function readerOf(facts: CustomResourceFacts, o: K8sObject): CustomResourceReader | undefined {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  return facts.kinds?.find((k) => k.group === group && k.kind === o.kind);
}

export interface OwnedFields {
  readonly group: string;
  readonly kind: string;
  readonly jqPathExpressions: readonly string[];
  /** Only the objects this is true of, named one by one; every object of the kind when absent. */
  readonly only?: (o: K8sObject) => boolean;
  /** Who owns the fields, and why Git must not fight it. */
  readonly reason: string;
}

/** The facts of every engine, merged in engine order (duplicates once). */
export function customResourceFactsOf(engines: readonly Engine[]): Required<CustomResourceFacts> {
  const facts = engines.flatMap((e) => (e.resources ? [e.resources] : []));
  const kinds = (list: readonly GroupKind[]) => [...new Map(list.map((k) => [`${k.group}/${k.kind}`, k])).values()];
  return {
    keepOnUninstall: kinds(facts.flatMap((f) => f.keepOnUninstall ?? [])),
    readyCondition: kinds(facts.flatMap((f) => f.readyCondition ?? [])),
    ownedFields: facts.flatMap((f) => f.ownedFields ?? []),
    imageKeys: [...new Set(facts.flatMap((f) => f.imageKeys ?? []))],
    dataComponents: [...new Set(facts.flatMap((f) => f.dataComponents ?? []))],
    kinds: facts.flatMap((f) => f.kinds ?? []),
  };
}

/** An engine's part of the desired-state schema (the platform composes them, see composePlatformSchema). */
export interface EngineSchema extends Omit<SchemaPart, 'id'> {
  /** Hints shown with a value that does not match one of the engine's patterns, keyed by pattern. */
  readonly patternHints?: Readonly<Record<string, string>>;
}

/** The input schema of a platform made of these engines, with every pattern hint. */
export function inputSchemaOf(engines: readonly Engine[]): InputSchema {
  const parts = engines.flatMap((e) => (e.schema ? [{ id: e.id, ...e.schema }] : []));
  return { schema: composePlatformSchema(parts), patternHints: Object.assign({}, ...engines.map((e) => e.schema?.patternHints ?? {})) };
}

/** The tenant fields of the engines, in order (their ids). */
export const tenantFieldsOf = (engines: readonly Engine[]): string[] => engines.filter((e) => e.schema?.tenant).map((e) => e.id);

/** What the engines provide to each other, from the validated input. */
export const servicesOf = (engines: readonly Engine[], input: PlatformInput): Services => Object.assign({}, ...engines.map((e) => e.provides?.(input) ?? {}));

/** `network.operatorNamespaces` keys the engines add, with their defaults. */
export const operatorNamespaceDefaultsOf = (engines: readonly Engine[]): Record<string, string> =>
  Object.fromEntries(engines.flatMap((e) => (e.schema?.operatorNamespace ? [[e.schema.operatorNamespace.key, e.schema.operatorNamespace.default]] : [])));

export interface Engine {
  /** Output folder (component), section name and tenant field, e.g. `example`. */
  readonly id: string;
  /** What the component holds, one phrase (the Helm chart's description). */
  readonly description?: string;
  /** Facts about the custom resources the engine renders (see CustomResourceFacts). */
  readonly resources?: CustomResourceFacts;
  /** The engine's part of platform.yaml: its section (`<id>:`), its tenant field, its pattern hints. */
  readonly schema?: EngineSchema;
  /** Patterns of a credential in the engine's own config syntax, for the repository's credential scan. */
  readonly credentialDetectors?: readonly CredentialDetector[];
  /** What an add-on provides to the other engines, from its own section (see Services). */
  provides?(input: PlatformInput): Services;
  /** The engine takes per-tenant dumps and renders the `restores:` entries that name it (core's RestoreJobs). */
  readonly restorable?: boolean;
  /** Whether the desired state asks for this engine. */
  enabled(model: PlatformModel): boolean;
  /** Semantic checks of the engine's section and of the tenants that use it. */
  check(model: PlatformModel): Problem[];
  /** Namespaces the engine's objects live in (rendered, with their baseline, by the platform). */
  namespaces(model: PlatformModel): NamespaceNeed[];
  /** Adds the engine's constructs to `scope` (a chart whose output folder is `id`). */
  build(scope: Construct, model: PlatformModel): void;
  /** Engine-specific guardrails. */
  readonly rules: readonly Rule[];
  /** Alerts the engine renders, for tests and generated docs. */
  alerts(model: PlatformModel): AlertSpec[];
  /** Where the engine's component comes in the GitOps order. @default 'databases' */
  readonly phase?: Exclude<DeliveryPhase, 'operators' | 'platform'>;
  /** Operators the engine's objects need, installed from their pinned Helm charts. @default none */
  operators?(model: PlatformModel): HelmOperator[];
  /**
   * The engine's tenant logins and how a rotator reaches the server, for engines whose
   * passwords are rotated. Absent for engines without per-tenant passwords.
   */
  credentials?(model: PlatformModel): EngineCredentials;
  /** Credentials the engine's servers and jobs need, generated in the cluster (see GeneratedSecret). @default none */
  generatedSecrets?(model: PlatformModel): GeneratedSecret[];
  /** How the engine's server takes rotated passwords, when some of its `generatedSecrets` have a `rotation`. */
  rotationStep?(model: PlatformModel): RotationStep;
  /** Facts for the generated docs (endpoints, users, credentials, backups, diagram). */
  docs?(model: PlatformModel): EngineDocs;
  /**
   * What the engine's Grafana dashboard shows (per-tenant usage, health, backups) and its
   * tenants' series; the platform adds a panel per alert and renders the ConfigMap.
   */
  dashboard?(model: PlatformModel): EngineDashboard;
}

/**
 * Facts for the generated platform docs (clusters/<cluster>/README.md). Optional: an engine
 * without it still gets its alerts and guardrails documented; with it, its endpoints, users,
 * credentials, backups and its part of the architecture diagram.
 */
export interface EngineDocs {
  /** Section title, e.g. `Example`. */
  readonly title: string;
  /** One paragraph: how the engine runs in this cluster. */
  readonly summary: string;
  readonly endpoints: readonly DocsEndpoint[];
  /** Who uses the engine, one entry per tenant (or per app). */
  readonly users: readonly DocsUser[];
  /** Credentials of the tenants, for the rotation schedule. */
  readonly credentials: readonly DocsCredential[];
  readonly backups: readonly DocsBackup[];
  /** The engine's part of the Mermaid architecture diagram. */
  readonly graph: DocsGraph;
  /**
   * Set by the engine that rotates credentials: the period, how often the rotated value
   * reaches the app's namespace, and the diagram nodes of the rotator and of the sync (among
   * its `graph.nodes`). Without one, the docs say that no rotation is configured.
   */
  readonly rotationPolicy?: RotationPolicy;
  /** The engine's own service users that are managed by hand (e.g. `backup`, `exporter`), for the rotation section. */
  readonly handManagedUsers?: readonly string[];
  /** Its retired and purged tenants: what retiring did here, the final dump, the purge. */
  readonly offboarding?: readonly DocsOffboarding[];
}

export interface DocsOffboarding {
  readonly tenant: string;
  readonly state: 'retired' | 'purged';
  readonly retiredOn: string;
  /** How access was revoked in this engine, e.g. `role affine NOLOGIN`. */
  readonly access: string;
  /** Where the final dump is and which Job wrote it, or why there is none. */
  readonly finalDump: string;
  /** What the purge deletes and how (its Job, or the operator). */
  readonly purge: string;
}

export interface RotationPolicy {
  readonly periodSeconds: number;
  readonly refresh: string;
  readonly rotatedBy: string;
  readonly syncedBy: string;
  /** Diagram node that rotates: an arrow goes from it to every rotated tenant's node. */
  readonly node: string;
  /** Diagram node that syncs the rotated values into the apps' namespaces. */
  readonly syncNode: string;
  /** A sentence on who owns a rotated password. */
  readonly ownership: string;
}

export interface DocsEndpoint {
  /** Fully qualified service DNS name. */
  readonly host: string;
  readonly port: number;
  readonly purpose: string;
}

export interface DocsUser {
  readonly tenant: string;
  readonly namespace: string;
  /** What the tenant has: `database linkwarden, role linkwarden`, `ACL user immich (queue)`. */
  readonly what: string;
  /** Host:port the tenant connects to. */
  readonly connectsTo: string;
  /** Diagram node the tenant's arrow points at. */
  readonly node: string;
}

export interface DocsCredential {
  readonly tenant: string;
  /** The database principal, e.g. `role health`, `user nextcloud`. */
  readonly principal: string;
  readonly rotated: boolean;
  /** Why not, when not rotated. */
  readonly reason?: string;
  /** How often the rotated password is pushed into the app itself (Technitium), if it is. */
  readonly pushEvery?: string;
  /** The tenant's own rotation period (a duration such as 3d), when it overrides the platform's. */
  readonly rotationPeriod?: string;
  /** Who rotates it and how, when not the platform's rotator (e.g. the engine's own rotation job). */
  readonly rotatedBy?: string;
}

export interface DocsBackup {
  readonly what: string;
  /** Cron schedule, UTC. */
  readonly schedule: string;
  /** Where the archives go, e.g. `nfs.home.lan:/srv/nfs/example-backup`. */
  readonly target: string;
  readonly retention: string;
  /** The CronJob, `namespace/name`. */
  readonly job: string;
  /** Per-tenant dumps: each tenant's folder and retention, and the engine id a `restores:` entry names. */
  readonly tenants?: readonly { readonly tenant: string; readonly folder: string; readonly keep: number }[];
  readonly engine?: string;
  /** The weekly restore drill: its CronJob and the alert that says it failed. */
  readonly drill?: { readonly job: string; readonly alert: string };
}

export interface DocsGraph {
  readonly nodes: readonly { readonly id: string; readonly label: string }[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly label?: string; readonly dotted?: boolean }[];
}
