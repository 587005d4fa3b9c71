/** @db/vault: what the platform and the other packages use of this engine. */
export { vaultEngine } from './engine.ts';
export { externalSecretStandIn } from './operator-contract.ts';
export { externalSecretsOperator, vaultConfigOperator } from './operator.ts';
