/**
 * A disk cache of derived data (CRDs as JSON, compiled schema validators), so a render does
 * not redo work whose inputs did not change. Every entry is named by a hash of everything it
 * is derived from, so it is never stale: a changed input is another name.
 *
 * The cache is an optimisation only. It lives in node_modules/.cache/db-platform (ignored by
 * git, outside turbo's outputs; DB_PLATFORM_CACHE_DIR overrides it), entries are written
 * atomically (a temporary file renamed into place, so parallel renders never read half a
 * file), and any problem reading or writing it falls back to the slow path without a word.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let nodeModulesCache: string | null | undefined;

/** The cache folder (DB_PLATFORM_CACHE_DIR, else node_modules/.cache/db-platform), or undefined without node_modules. */
export function cacheDir(): string | undefined {
  const override = process.env.DB_PLATFORM_CACHE_DIR;
  if (override) return override;
  if (nodeModulesCache === undefined) {
    try {
      // The node_modules this code's dependencies come from: the repository's.
      nodeModulesCache = join(dirname(dirname(createRequire(import.meta.url).resolve('ajv/package.json'))), '.cache', 'db-platform');
    } catch {
      nodeModulesCache = null;
    }
  }
  return nodeModulesCache ?? undefined;
}

export function sha256(...parts: readonly (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex');
}

/** The text of a cache entry, or undefined when it is missing or unreadable. */
export function readCache(name: string): string | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
}

/** The bytes of a cache entry, or undefined when it is missing or unreadable. */
export function readCacheBytes(name: string): Buffer | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, name));
  } catch {
    return undefined;
  }
}

/** Writes a cache entry atomically; failures are ignored (the next run computes it again). */
export function writeCache(name: string, text: string | Buffer): void {
  const dir = cacheDir();
  if (!dir) return;
  const target = join(dir, name);
  const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(temp, text);
    renameSync(temp, target);
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing to clean up, or nothing we can do.
    }
  }
}
