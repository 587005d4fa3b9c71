#!/usr/bin/env node
// Runs dist/cli.mjs, the CLI bundled by `npm run build` (turbo builds it before synth), when it
// is current; otherwise (after an edit, before a build) the TypeScript sources through tsx: the
// same result, about a second slower to start.
import { bundleIsFresh } from './bundle.mjs';

if (bundleIsFresh()) {
  await import('../dist/cli.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
