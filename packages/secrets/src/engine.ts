/**
 * The generated-credentials engine: it has no server of its own. It reads every other
 * engine's `generatedSecrets` and renders the chain of generated-secrets.ts in the `secrets`
 * phase, before the servers that read the Secrets (a server waiting for a Secret delivered
 * after it would never become ready, and the next phase would never start).
 */
import type { Engine } from '@db/core';
import { resolveVault, VAULT_DEFAULTS, vaultSection } from '@db/vault';
import { checkSecrets } from './checks.ts';
import { secretsDocs } from './docs.ts';
import { GeneratedSecrets } from './generated-secrets.ts';
import { PasswordRotation } from './rotation.ts';
import { plannedSecrets, resolveSecrets } from './model.ts';
import { SECRETS_DEFAULTS, SecretsSpec, secretsSection } from './schema.ts';

export function secretsEngine(engines: readonly Engine[]): Engine {
  return {
    id: 'secrets',
    description: 'Generated credentials: External Secrets Password generator, PushSecret into Vault KV (once), ExternalSecrets to the servers and the tenants',
    schema: { section: SecretsSpec },
    provides: (input) =>
      input.secrets !== undefined && input.vault !== undefined
        ? {
            secretGeneration: {
              by: 'External Secrets into Vault KV (@db/secrets)',
              kvMount: secretsSection(input)?.kvMount ?? SECRETS_DEFAULTS.kvMount,
              // One rotation period for every password the platform rotates, Vault's or ours.
              rotationPeriod: vaultSection(input)?.rotationPeriod ?? VAULT_DEFAULTS.rotationPeriod,
            },
          }
        : {},
    enabled: (model) => model.input.secrets !== undefined && model.input.vault !== undefined,
    check: checkSecrets,
    // The servers' and the tenants' namespaces belong to their engines and apps.
    namespaces: () => [],
    build(scope, model) {
      const vault = resolveVault(model, []);
      const secrets = resolveSecrets(model);
      const planned = plannedSecrets(engines, model);
      new GeneratedSecrets(scope, 'Generated', { vault, model: secrets, secrets: planned });
      for (const e of engines) {
        const rotated = planned.filter((p) => p.engine === e && p.secret.rotation);
        if (rotated.length > 0 && e.rotationStep) new PasswordRotation(scope, `Rotation-${e.id}`, { model, vault, secrets, step: e.rotationStep(model), rotated });
      }
    },
    resources: {
      // External Secrets sets Ready once the Secret is written: the servers' phase waits for it.
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
    rules: [],
    alerts: () => [],
    docs: (model) => secretsDocs(resolveSecrets(model), plannedSecrets(engines, model)),
    phase: 'secrets',
  };
}
