// `npm run build` (turbo runs it before synth, validate and kubeconform): bundles the CLI and
// the workspace packages it imports into dist/cli.mjs with esbuild, so the CLI starts without
// transpiling TypeScript. Beside it, dist/cli.inputs.json records the sources the bundle was
// made from; bin/db-platform.mjs uses the bundle only while they are unchanged (bin/bundle.mjs).
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { INPUTS_FILE, stampOf } from './bin/bundle.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const dist = join(here, 'dist');
mkdirSync(dist, { recursive: true });
// Built under temporary names and renamed into place, so a CLI starting meanwhile sees the old
// bundle or the new one, never half of one.
const suffix = `.${process.pid}.tmp`;
const out = join(dist, 'cli.mjs');

let result;
try {
  result = await build({
    entryPoints: [join(here, 'src', 'cli.ts')],
    outfile: out + suffix,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __dbPlatformCreateRequire } from 'node:module'; const require = __dbPlatformCreateRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
} catch (err) {
  // A mistake in the sources fails the build; an esbuild that cannot run here (no binary for
  // this platform) leaves the CLI running its TypeScript sources through tsx.
  if (Array.isArray(err.errors) && err.errors.length > 0) throw err;
  console.warn(`no bundle: esbuild cannot run here (${String(err.message).split('\n')[0]}); the CLI runs its TypeScript sources through tsx`);
  process.exit(0);
}

// The workspace sources the bundle contains, and the lockfile for everything from node_modules.
const sources = Object.keys(result.metafile.inputs)
  .map((p) => relative(repo, resolve(process.cwd(), p)))
  .filter((p) => !p.split('/').includes('node_modules'))
  .sort();
const inputs = [...sources, 'package-lock.json'].map((p) => stampOf(repo, p));
// The bundle first: a CLI starting between the two renames finds the old record, which does not
// match the new bundle, and uses the sources.
renameSync(out + suffix, out);
const record = join(dist, INPUTS_FILE);
writeFileSync(record + suffix, `${JSON.stringify({ bundle: stampOf(dist, 'cli.mjs'), inputs }, null, 1)}\n`);
renameSync(record + suffix, record);
console.log(`${relative(repo, out)}: ${Math.round(statSync(out).size / 1024)} KiB from ${sources.length} workspace sources`);
