/** The `secrets` section needs Vault: the generated values live in its KV engine. */
import type { PlatformModel, Problem } from '@db/core';
import { vaultSection } from '@db/vault';

export function checkSecrets(model: PlatformModel): Problem[] {
  if (model.input.secrets === undefined || vaultSection(model.input) !== undefined) return [];
  return [model.source.problem(['secrets'], 'generated credentials are kept in Vault KV, but the desired state has no vault section', 'add `vault: {}` at the top level, or remove `secrets:`')];
}
