/** @db/secrets: what the platform and the other packages use of this engine. */
export { secretsEngine } from './engine.ts';
export { plannedSecrets, resolveSecrets } from './model.ts';
