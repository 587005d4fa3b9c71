export * from './engine.ts';
export * from './volume.ts';
