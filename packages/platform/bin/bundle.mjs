// Is dist/cli.mjs (the esbuild bundle of the CLI, see build.mjs) current? It is when the bundle
// and every workspace source it was built from (and package-lock.json) are as build.mjs
// recorded them in dist/cli.inputs.json: same size, and same mtime or else same content
// (a checkout or a restore from turbo's cache touches files without changing them).
// Plain JavaScript: it runs before anything could transpile TypeScript.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INPUTS_FILE = 'cli.inputs.json';
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = resolve(PACKAGE_DIR, '../..');

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What build.mjs records of one file (`path` relative to `root`). */
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
