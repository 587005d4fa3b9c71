// dist/cli.mjs, the esbuild bundle of the CLI and the workspace packages it imports, so the CLI
// starts without transpiling TypeScript. It is current when the bundle and every workspace
// source it was built from (and package-lock.json) are as buildBundle recorded them in
// dist/cli.inputs.json: same size, and same mtime or else same content (a checkout touches files
// without changing them). bin/db-platform.mjs builds it when it is not.
// Plain JavaScript: it runs before anything could transpile TypeScript.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INPUTS_FILE = 'cli.inputs.json';
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = resolve(PACKAGE_DIR, '../..');

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What buildBundle records of one file (`path` relative to `root`). */
export function stampOf(root, path) {
  const file = join(root, path);
  const { size, mtimeMs } = statSync(file);
  return { path, size, mtimeMs, sha256: sha256(file) };
}

function unchanged(root, stamp) {
  const file = join(root, stamp.path);
  const { size, mtimeMs } = statSync(file);
  return size === stamp.size && (mtimeMs === stamp.mtimeMs || sha256(file) === stamp.sha256);
}

/** True when dist/cli.mjs was built from the sources as they are now; false when missing, stale or unreadable. */
export function bundleIsFresh() {
  try {
    const record = JSON.parse(readFileSync(join(PACKAGE_DIR, 'dist', INPUTS_FILE), 'utf8'));
    return unchanged(join(PACKAGE_DIR, 'dist'), record.bundle) && record.inputs.length > 0 && record.inputs.every((s) => unchanged(REPO_ROOT, s));
  } catch {
    return false;
  }
}

/**
 * Builds dist/cli.mjs and records its inputs. Returns false, leaving the CLI to run its sources
 * through tsx, when esbuild cannot run here (no binary for this platform); a mistake in the
 * sources throws.
 */
export async function buildBundle({ quiet = false } = {}) {
  let build;
  try {
    ({ build } = await import('esbuild'));
  } catch (err) {
    if (!quiet) console.warn(`no bundle: esbuild is not installed (${String(err.message).split('\n')[0]}); the CLI runs its TypeScript sources through tsx`);
    return false;
  }
  const dist = join(PACKAGE_DIR, 'dist');
  mkdirSync(dist, { recursive: true });
  // Built under temporary names and renamed into place, so a CLI starting meanwhile sees the old
  // bundle or the new one, never half of one.
  const suffix = `.${process.pid}.tmp`;
  const out = join(dist, 'cli.mjs');
  let result;
  try {
    result = await build({
      entryPoints: [join(PACKAGE_DIR, 'src', 'cli.ts')],
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
    if (Array.isArray(err.errors) && err.errors.length > 0) throw err;
    if (!quiet) console.warn(`no bundle: esbuild cannot run here (${String(err.message).split('\n')[0]}); the CLI runs its TypeScript sources through tsx`);
    return false;
  }
  // The workspace sources the bundle contains, and the lockfile for everything from node_modules.
  const sources = Object.keys(result.metafile.inputs)
    .map((p) => relative(REPO_ROOT, resolve(process.cwd(), p)))
    .filter((p) => !p.split('/').includes('node_modules'))
    .sort();
  const inputs = [...sources, 'package-lock.json'].map((p) => stampOf(REPO_ROOT, p));
  // The bundle first: a CLI starting between the two renames finds the old record, which does not
  // match the new bundle, and builds again or uses the sources.
  renameSync(out + suffix, out);
  const record = join(dist, INPUTS_FILE);
  writeFileSync(record + suffix, `${JSON.stringify({ bundle: stampOf(dist, 'cli.mjs'), inputs }, null, 1)}\n`);
  renameSync(record + suffix, record);
  if (!quiet) console.log(`${relative(REPO_ROOT, out)}: ${Math.round(statSync(out).size / 1024)} KiB from ${sources.length} workspace sources`);
  return true;
}
