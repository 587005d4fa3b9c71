export * from './programs.ts';
export * from './model.ts';
export * from './promtool.ts';
export * from './servers.ts';
export * from './mariadb.ts';
export * from './mutations.ts';
export * from './conformance.ts';
export * from './cache.ts';
