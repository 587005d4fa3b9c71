/** @db/redis: what the platform and the other packages use of this engine. */
export { redisEngine } from './engine.ts';
