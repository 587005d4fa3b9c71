/** @db/sqlite: what the platform and the other packages use of this engine. */
export { sqliteEngine } from './engine.ts';
