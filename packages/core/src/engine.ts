/**
 * The contract between the platform and one engine package. A new engine is a new package
 * that exports one `Engine`, registered in @db/platform's engine list; nothing else in the
 * tree changes.
 */
import type { Construct } from 'constructs';
import type { PlatformModel } from './model.ts';
import type { Problem } from './problems.ts';
import type { Rule } from './guardrails.ts';
import type { AlertSpec } from './monitoring.ts';
import type { HelmOperator } from './operators.ts';
import type { EngineCredentials } from './credentials.ts';

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
export const DELIVERY_PHASES = ['operators', 'platform', 'databases', 'tenants'] as const;
export type DeliveryPhase = (typeof DELIVERY_PHASES)[number];

export interface Engine {
  /** Output folder (component) and section name, e.g. `postgres`. */
  readonly id: string;
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
   * The engine's tenant logins and how Vault reaches the server, for engines whose
   * passwords Vault rotates. Absent for engines without per-tenant passwords.
   */
  credentials?(model: PlatformModel): EngineCredentials;
  /** Facts for the generated docs (endpoints, users, credentials, backups, diagram). */
  docs?(model: PlatformModel): EngineDocs;
}

/**
 * Facts for the generated platform docs (clusters/<cluster>/README.md). Optional: an engine
 * without it still gets its alerts and guardrails documented; with it, its endpoints, users,
 * credentials, backups and its part of the architecture diagram.
 */
export interface EngineDocs {
  /** Section title, e.g. `PostgreSQL`. */
  readonly title: string;
  /** One paragraph: how the engine runs in this cluster. */
  readonly summary: string;
  readonly endpoints: readonly DocsEndpoint[];
  /** Who uses the engine, one entry per tenant (or per app, for SQLite). */
  readonly users: readonly DocsUser[];
  /** Credentials of the tenants, for the rotation schedule. */
  readonly credentials: readonly DocsCredential[];
  readonly backups: readonly DocsBackup[];
  /** The engine's part of the Mermaid architecture diagram. */
  readonly graph: DocsGraph;
  /**
   * Set by the engine that rotates credentials (Vault): the period and how often the
   * rotated value reaches the app's namespace. Without one, the docs show the platform's
   * planned defaults.
   */
  readonly rotationPolicy?: { readonly periodSeconds: number; readonly refresh: string; readonly rotatedBy: string; readonly syncedBy: string };
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
}

export interface DocsBackup {
  readonly what: string;
  /** Cron schedule, UTC. */
  readonly schedule: string;
  /** Where the archives go, e.g. `nfs.home.lan:/srv/nfs/postgres-backup`. */
  readonly target: string;
  readonly retention: string;
  /** The CronJob, `namespace/name`. */
  readonly job: string;
}

export interface DocsGraph {
  readonly nodes: readonly { readonly id: string; readonly label: string }[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly label?: string; readonly dotted?: boolean }[];
}
