/**
 * The desired-state validator loaded from the cache (ajv standalone code, core/src/ajv-cache.ts)
 * against the one ajv compiles at run time, for the schema the platform composes from its
 * engines: same verdict and the same error objects on apps/* and on broken copies of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cachedValidator, compileInputValidator, inputValidatorSpec, loadPlatformText, validatorCacheStats } from '@db/core';
import { mutations, scratchCacheDir } from '@db/core/testing';
import { INPUT_SCHEMA } from '../src/engines.ts';
import { REPO_ROOT } from '../src/paths.ts';

scratchCacheDir('db-platform-input-validator-test-');

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('cached input validator', () => {
  const apps = readdirSync(join(REPO_ROOT, 'apps')).map((a) => ({ file: `apps/${a}/platform.yaml`, value: parse(readFileSync(join(REPO_ROOT, 'apps', a, 'platform.yaml'), 'utf8')) as unknown }));
  const runtime = compileInputValidator(INPUT_SCHEMA.schema);
  cachedValidator(inputValidatorSpec(INPUT_SCHEMA.schema));
  const before = { ...validatorCacheStats };
  const cached = cachedValidator(inputValidatorSpec(INPUT_SCHEMA.schema));
  const loaded = validatorCacheStats.loaded - before.loaded;

  it('loads from the cache the second time', () => {
    expect(loaded).toBe(1);
    expect(cached).not.toBe(runtime);
  });

  it('gives the same verdict and the same verbose errors (schema, parentSchema, data) as ajv compiling at run time', () => {
    let invalid = 0;
    let checked = 0;
    for (const { file, value } of apps) {
      for (const { name, value: v } of [{ name: 'as committed', value }, ...mutations(value, 7, 100)]) {
        const context = `${file}, ${name}`;
        const expected = runtime(v);
        expect(cached(v), context).toBe(expected);
        // TypeBox marks schemas with symbol keys, which ajv ignores and standalone code cannot
        // hold; everything else must be equal, since load.ts reads schema and parentSchema.
        expect(plain(cached.errors ?? []), context).toEqual(plain(runtime.errors ?? []));
        // And the problems (positions, hints) a user sees, through the loader's cached validator.
        const result = loadPlatformText(JSON.stringify(v, null, 1), file, INPUT_SCHEMA);
        expect(result.ok, context).toBe(expected);
        if (!expected) invalid++;
        checked++;
      }
    }
    expect(invalid).toBeGreaterThan(checked / 2);
  });
});
