export * from './engine.ts';
export * from './volume.ts';
export * from './docs.ts';
