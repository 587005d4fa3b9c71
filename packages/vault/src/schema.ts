/** The `vault:` section of platform.yaml. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, DnsLabel, DURATION } from '@db/core';

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

export type VaultInput = Static<typeof VaultSpec>;

/** The `vault:` section of a validated desired state, typed (the platform validated it against this schema). */
export const vaultSection = (input: { readonly [section: string]: unknown }): VaultInput | undefined => input.vault as VaultInput | undefined;
