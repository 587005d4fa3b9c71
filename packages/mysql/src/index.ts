/** @db/mysql: what the platform and the other packages use of this engine. */
export { mysqlCredentials } from './credentials.ts';
export { mysqlEngine } from './engine.ts';
export { resolveMysql } from './model.ts';
export { innoDbClusterStandIn } from './operator-contract.ts';
export { mysqlOperator } from './operator.ts';
export { provisioningScript, provisioningSql } from './provisioning.ts';
