#!/usr/bin/env node
// Runs dist/cli.mjs, the CLI bundled with esbuild (bin/bundle.mjs), building it first when it is
// missing or older than the sources (about half a second, once per change). Where esbuild cannot
// run, the TypeScript sources run through tsx: the same result, about a second slower to start.
import { buildBundle, bundleIsFresh } from './bundle.mjs';

let bundled = bundleIsFresh();
if (!bundled) {
  try {
    bundled = await buildBundle({ quiet: true });
  } catch {
    // esbuild has printed what is wrong in the sources.
    process.exit(1);
  }
}
if (bundled) {
  await import('../dist/cli.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
