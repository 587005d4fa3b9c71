/** @db/secrets: what the platform and the other packages use of this engine. */
export { secretsEngine } from './engine.ts';
export { KV } from './generated-secrets.ts';
export { kvKey, plannedSecrets, resolveSecrets } from './model.ts';
