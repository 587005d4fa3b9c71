export * from './engine.ts';
export * from './model.ts';
export * from './checks.ts';
export * from './volume.ts';
export * from './docs.ts';
