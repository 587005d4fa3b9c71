/**
 * The `vault` section of the desired state and the engines' credential facts, resolved once:
 * which logins become Vault static roles, under which names, and which are excluded.
 */
import { durationSeconds, isActive, kebab, ROTATION_BOUNDS_SECONDS, type Engine, type EngineCredentials, type PlatformModel, type TenantLogin, type CredentialConnection } from '@db/core';
import { VAULT_DEFAULTS as D, vaultSection } from './schema.ts';

/** Bounds of a sane rotation period. */
export const MIN_ROTATION_SECONDS = ROTATION_BOUNDS_SECONDS.min;
export const MAX_ROTATION_SECONDS = ROTATION_BOUNDS_SECONDS.max;

export interface StaticRole {
  readonly login: TenantLogin;
  /** Kubernetes name of the DatabaseSecretEngineStaticRole object (in the Vault namespace). */
  readonly objectName: string;
  /**
   * Name of the role in Vault: `<namespace>_<engine>_<username>`. It starts with the
   * tenant's namespace so one templated policy lets each namespace read only its own
   * roles (`_` cannot occur in a namespace, so no namespace is a prefix of another's roles).
   */
  readonly vaultName: string;
  readonly rotationSeconds: number;
  /** Secret External Secrets writes in the tenant's namespace. */
  readonly secretName: string;
}

export interface VaultConnectionModel {
  readonly engine: string;
  readonly connection: CredentialConnection;
  /** Secret (in the Vault namespace, created by hand once) with Vault's first root login. */
  readonly rootSecret: string;
  readonly staticRoles: readonly StaticRole[];
  readonly excluded: readonly TenantLogin[];
  /** Logins of retired (or purged) tenants: no static role, no ExternalSecret, no push job; their login is disabled by the engine. */
  readonly retired: readonly TenantLogin[];
  readonly unmanaged: readonly { readonly username: string; readonly reason: string }[];
}

export interface VaultModel {
  readonly namespace: string;
  readonly address: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly mount: string;
  readonly authMount: string;
  /** Vault role and ServiceAccount the vault-config-operator authenticates with. */
  readonly operator: { readonly role: string; readonly serviceAccount: string };
  readonly rotationPeriod: string;
  readonly refreshInterval: string;
  readonly rootRotationPeriod: string;
  readonly passwordPolicy: string;
  /** What External Secrets uses: the store, the Vault role and policy, the per-namespace ServiceAccount. */
  readonly store: { readonly name: string; readonly authRole: string; readonly policy: string; readonly serviceAccount: string };
  readonly connections: readonly VaultConnectionModel[];
}

/** Every enabled engine's credential facts, in engine order. */
export function engineCredentials(engines: readonly Engine[], model: PlatformModel): EngineCredentials[] {
  return engines.filter((e) => e.enabled(model) && e.credentials).map((e) => e.credentials!(model));
}

/** `7d` → `168h`: the duration format Vault and the operator take. */
export function goDuration(d: string): string {
  const seconds = durationSeconds(d);
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

export function resolveVault(model: PlatformModel, credentials: readonly EngineCredentials[]): VaultModel {
  const spec = vaultSection(model.input) ?? {};
  const namespace = spec.namespace ?? D.namespace;
  const rotationPeriod = spec.rotationPeriod ?? D.rotationPeriod;
  return {
    namespace,
    address: spec.address ?? `http://vault.${namespace}.svc.cluster.local:8200`,
    podLabels: spec.podLabels ?? D.podLabels,
    mount: spec.mount ?? D.mount,
    authMount: spec.kubernetesAuthMount ?? D.kubernetesAuthMount,
    operator: { role: spec.operatorRole ?? D.operatorRole, serviceAccount: 'db-platform-vault-config' },
    rotationPeriod,
    refreshInterval: spec.refreshInterval ?? D.refreshInterval,
    rootRotationPeriod: spec.rootRotationPeriod ?? D.rootRotationPeriod,
    passwordPolicy: 'db-platform',
    store: { name: 'vault-database', authRole: 'db-tenant-credentials', policy: 'db-tenant-static-creds', serviceAccount: 'vault-db-credentials' },
    connections: credentials.map((c) => ({
      engine: c.engine,
      connection: c.connection,
      rootSecret: `vault-root-${c.engine}`,
      // A retired tenant's credentials are no longer delivered: its static role, ExternalSecret
      // and push job are not rendered (the Secret last written stays, see external-secrets.ts).
      staticRoles: c.logins
        .filter((l) => l.rotate && isActive(l.tenant))
        .map((login) => ({
          login,
          objectName: `${c.engine}-${kebab(login.tenant.name)}`,
          vaultName: `${login.tenant.namespace}_${c.engine}_${login.username}`,
          rotationSeconds: durationSeconds(login.rotationPeriod ?? rotationPeriod),
          secretName: `${login.tenant.name}-${c.engine}`,
        })),
      excluded: c.logins.filter((l) => !l.rotate && isActive(l.tenant)),
      retired: c.logins.filter((l) => !isActive(l.tenant)),
      unmanaged: c.unmanaged,
    })),
  };
}
