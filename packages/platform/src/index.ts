export * from './engines.ts';
export * from './render.ts';
export * from './paths.ts';
export * from './synth.ts';
export * from './rendered-diff.ts';
export * from './docs.ts';
export * from './verify.ts';
