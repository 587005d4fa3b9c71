/** Test helper: a scratch disk cache for one test file (DB_PLATFORM_CACHE_DIR), removed after it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function scratchCacheDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const previous = process.env.DB_PLATFORM_CACHE_DIR;
  process.env.DB_PLATFORM_CACHE_DIR = dir;
  afterAll(() => {
    if (previous === undefined) delete process.env.DB_PLATFORM_CACHE_DIR;
    else process.env.DB_PLATFORM_CACHE_DIR = previous;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
