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
}
