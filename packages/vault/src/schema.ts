/** The `vault:` section of platform.yaml. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, DnsLabel, DURATION, withDefaults, type Defaults } from '@db/core';

const VaultFields = Closed(
  {
    namespace: Type.Optional(DnsLabel('Namespace where Vault runs; the vault-config-operator objects live there too. Not created or fenced by the platform (Vault is installed on its own).')),
    address: Type.Optional(
      Type.String({ pattern: '^https?://[a-z0-9.-]+(:[0-9]+)?$', description: 'Vault address External Secrets and the operator use. @default http://vault.<namespace>.svc.cluster.local:8200' }),
    ),
    podLabels: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Labels of the Vault server pods, for the network policies that let Vault reach the databases.',
      }),
    ),
    mount: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$', description: 'Mount path of the database secrets engine.' })),
    kubernetesAuthMount: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$', description: 'Mount path of the Kubernetes auth method.' })),
    operatorRole: Type.Optional(DnsLabel('Vault Kubernetes-auth role the vault-config-operator logs in with (created once, by hand: see README).')),
    rotationPeriod: Type.Optional(Type.String({ pattern: DURATION, description: 'How often every tenant password is rotated, 1d to 90d.' })),
    refreshInterval: Type.Optional(
      Type.String({ pattern: DURATION, description: 'How often External Secrets re-reads each password. Must stay well below the rotation period (guardrail vault-refresh-interval).' }),
    ),
    rootRotationPeriod: Type.Optional(Type.String({ pattern: DURATION, description: 'How often Vault rotates its own (root) login on each database.' })),
  },
  { description: "Vault rotates every tenant's database password (static roles); External Secrets syncs it into the tenant's namespace." },
);

export type VaultInput = Static<typeof VaultFields>;

/** The literal defaults of the `vault:` section, written once (see Defaults). */
export const VAULT_DEFAULTS = {
  namespace: 'vault',
  podLabels: { 'app.kubernetes.io/name': 'vault' },
  mount: 'database',
  kubernetesAuthMount: 'kubernetes',
  operatorRole: 'db-platform-vault-config',
  // The seeds' rotation schedule: 7 days.
  rotationPeriod: '7d',
  // External Secrets re-reads each password this often (seed 000: 15-minute refresh).
  refreshInterval: '15m',
  rootRotationPeriod: '30d',
} as const satisfies Defaults<VaultInput>;

export const VaultSpec = withDefaults(VaultFields, VAULT_DEFAULTS);

/** The `vault:` section of a validated desired state, typed (the platform validated it against this schema). */
export const vaultSection = (input: { readonly [section: string]: unknown }): VaultInput | undefined => input.vault as VaultInput | undefined;
