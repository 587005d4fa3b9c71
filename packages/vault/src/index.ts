/** @db/vault: what the platform and the other packages use of this engine. */
export { vaultEngine } from './engine.ts';
export { externalSecretStandIn, operatorFindsEqual, operatorPayload, operatorWrites, vaultReadBack, withCrdDefaults, type OperatorInputs, type OperatorWrite } from './operator-contract.ts';
export { externalSecretsOperator, vaultConfigOperator } from './operator.ts';
// What @db/secrets builds on: Vault's address and auth, and the External Secrets and vault-config-operator types.
export { MAX_ROTATION_SECONDS, MIN_ROTATION_SECONDS, resolveVault, type VaultModel } from './model.ts';
export { VAULT_DEFAULTS, vaultSection } from './schema.ts';
export { RELOADER_MATCH } from './external-secrets.ts';
export {
  ClusterSecretStore,
  ClusterSecretStoreSpecProviderVaultVersion,
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
  ExternalSecretSpecTargetTemplateEngineVersion,
  ExternalSecretSpecTargetTemplateMergePolicy,
} from './imports/external-secrets.io.ts';
export { KubernetesAuthEngineRole, Policy, PolicySpecType, SecretEngineMount } from './imports/redhatcop.redhat.io.ts';
export { externalSecretFromKv, generatedLabels, KV, kvKey, nsTemplate, tenantCopies } from './generated-copies.ts';
