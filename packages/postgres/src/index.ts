/** @db/postgres: what the platform and the other packages use of this engine. */
export { hbaRules } from './cluster.ts';
export { postgresCredentials } from './credentials.ts';
export { postgresEngine } from './engine.ts';
export { resolvePostgres } from './model.ts';
export { cnpgClusterStandIn, cnpgPoolerStandIn } from './operator-contract.ts';
export { cloudnativePgOperator } from './operator.ts';
