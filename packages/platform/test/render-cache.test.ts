/**
 * `npm run synth` skips a cluster only when nothing its render reads changed and its output is
 * as that render left it (src/render-cache.ts); anything else renders.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleIdentity, remember, renderKey, unchanged } from '../src/render-cache.ts';
import { REPO_ROOT, SCHEMA_ROOT } from '../src/paths.ts';

const workspace = mkdtempSync(join(tmpdir(), 'db-platform-render-cache-'));
const previous = process.env.DB_PLATFORM_CACHE_DIR;
process.env.DB_PLATFORM_CACHE_DIR = join(workspace, '.cache');
afterAll(() => {
  if (previous === undefined) delete process.env.DB_PLATFORM_CACHE_DIR;
  else process.env.DB_PLATFORM_CACHE_DIR = previous;
  rmSync(workspace, { recursive: true, force: true });
});

mkdirSync(join(workspace, 'apps/prod'), { recursive: true });
const platformFile = join(workspace, 'apps/prod/platform.yaml');
cpSync(join(REPO_ROOT, 'apps/prod/platform.yaml'), platformFile);
const out = join(workspace, 'clusters/prod');
cpSync(join(REPO_ROOT, 'clusters/prod'), out, { recursive: true });
const outputs = [out];
const key = (code = 'bundle-1') => renderKey({ cluster: 'prod', platformFile, workspace, schemaRoot: SCHEMA_ROOT, code })!;

describe('skipping an unchanged cluster', () => {
  it('skips only after a render was recorded with the same key and the output is untouched', () => {
    expect(unchanged('prod', workspace, key(), outputs)).toBe(false);
    remember('prod', workspace, key(), outputs);
    expect(unchanged('prod', workspace, key(), outputs)).toBe(true);
  });

  it('renders again when the code, the desired state or the waivers change', () => {
    expect(unchanged('prod', workspace, key('bundle-2'), outputs)).toBe(false);
    const before = key();
    writeFileSync(platformFile, `${readFileSync(platformFile, 'utf8')}# edited\n`);
    expect(key()).not.toBe(before);
    expect(unchanged('prod', workspace, key(), outputs)).toBe(false);
    cpSync(join(REPO_ROOT, 'apps/prod/platform.yaml'), platformFile);
    expect(key()).toBe(before);
    mkdirSync(join(workspace, 'policy'), { recursive: true });
    writeFileSync(join(workspace, 'policy/workload-waivers.yaml'), 'posture: []\n');
    expect(key()).not.toBe(before);
    expect(unchanged('prod', workspace, key(), outputs)).toBe(false);
    rmSync(join(workspace, 'policy'), { recursive: true });
    expect(key()).toBe(before);
  });

  it('renders again when someone edited the output by hand', () => {
    expect(unchanged('prod', workspace, key(), outputs)).toBe(true);
    writeFileSync(join(out, 'postgres/kustomization.yaml'), '# hand-edited\n');
    expect(unchanged('prod', workspace, key(), outputs)).toBe(false);
  });

  it('never skips when running from the sources: only the bundle identifies the code', () => {
    expect(bundleIdentity()).toBeUndefined();
    const bundle = join(workspace, 'dist/cli.mjs');
    mkdirSync(join(workspace, 'dist'));
    writeFileSync(bundle, '// bundle\n');
    expect(bundleIdentity(pathToFileURL(bundle).href)).toMatch(/^\d+:/);
  });
});
