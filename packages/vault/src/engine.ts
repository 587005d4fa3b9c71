/**
 * The Vault engine. It has no database of its own: it reads every other engine's
 * credential facts (`Engine.credentials`) and renders, in the `vault` output folder, the
 * Vault configuration (vault-config-operator), the External Secrets that deliver each
 * password, the push jobs for apps that keep passwords in their own config, and the network
 * policies that let Vault reach the databases.
 */
import type { Engine } from '@db/core';
import { externalSecretsOperator, vaultConfigOperator } from './operator.ts';
import { VaultSpec, vaultSection } from './schema.ts';

/** The login Vault uses on every database server it rotates passwords on. */
export const VAULT_LOGIN = 'vault';
import { checkVault } from './checks.ts';
import { engineCredentials, resolveVault } from './model.ts';
import { VaultDatabaseEngine } from './vault-config.ts';
import { TenantCredentials } from './external-secrets.ts';
import { TenantSecretCopies, tenantCopies } from './generated-copies.ts';
import { PushPasswordJob } from './push-password.ts';
import { VaultNetwork } from './network.ts';
import { VAULT_RULES } from './rules.ts';
import { vaultDocs } from './docs.ts';

export function vaultEngine(engines: readonly Engine[]): Engine {
  return {
    id: 'vault',
    description: "Vault's database secrets engine and the tenants' credentials through External Secrets",
    schema: { section: VaultSpec },
    // The engines whose passwords Vault rotates create its login, `vault`, on their servers.
    provides: (input) => (vaultSection(input) !== undefined ? { credentialRotation: { login: VAULT_LOGIN } } : {}),
    resources: {
      // External Secrets sets Ready once the Secret is written; Flux waits for it before the tenants' phase counts as done.
      readyCondition: [{ group: 'external-secrets.io', kind: 'ExternalSecret' }],
      ownedFields: [
        {
          group: 'external-secrets.io',
          kind: 'ExternalSecret',
          jqPathExpressions: ['.spec.data[]?.remoteRef.conversionStrategy', '.spec.data[]?.remoteRef.decodingStrategy', '.spec.data[]?.remoteRef.metadataPolicy'],
          reason: "External Secrets' admission webhook adds these defaults",
        },
      ],
    },
    enabled: (model) => model.input.vault !== undefined,
    check: (model) => checkVault(engines, model),
    // Vault's namespace and the tenants' namespaces are not the platform's to create or fence.
    namespaces: () => [],
    build(scope, model) {
      const vault = resolveVault(model, engineCredentials(engines, model));
      new VaultDatabaseEngine(scope, 'Vault', { vault });
      new TenantCredentials(scope, 'ExternalSecrets', { vault });
      // The tenants' copies of generated credentials (@db/secrets makes the values, before the servers).
      if (model.services.secretGeneration) new TenantSecretCopies(scope, 'GeneratedCopies', { vault, kvMount: model.services.secretGeneration.kvMount, secrets: tenantCopies(engines, model) });
      for (const role of vault.connections.flatMap((c) => c.staticRoles).filter((r) => r.login.pushPassword)) {
        new PushPasswordJob(scope, `Push-${role.objectName}`, { role, model });
      }
      new VaultNetwork(scope, 'Network', { vault });
    },
    rules: VAULT_RULES,
    alerts: () => [],
    docs: (model) => vaultDocs(engines, model),
    // Tenants' secrets come last: after the servers, and after MySQL's provisioning Job
    // created the logins Vault takes over.
    phase: 'tenants',
    operators: (model) => [externalSecretsOperator(), vaultConfigOperator(resolveVault(model, []).address)],
  };
}
