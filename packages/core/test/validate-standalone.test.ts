/**
 * The validators loaded from the cache (ajv standalone code, see src/ajv-cache.ts) against
 * the validators ajv compiles at run time: same verdict and the same error objects, on the
 * committed rendered objects (clusters/**) and on broken copies of them (the desired states:
 * packages/platform/test/input-validator.test.ts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KUBERNETES_VERSIONS, SchemaValidator } from '../src/validate.ts';
import type { K8sObject } from '../src/objects.ts';
import { mutations, scratchCacheDir } from '../src/testing/index.ts';
import { saveValidatorCode, validatorCacheStats } from '../src/ajv-cache.ts';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const schemas = join(repo, 'schemas');
const scratch = scratchCacheDir('db-platform-standalone-test-');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') && e.name !== 'kustomization.yaml' ? [join(dir, e.name)] : [],
  );
}

const golden = yamlFiles(join(repo, 'clusters')).map((f) => ({ file: relative(repo, f), object: parse(readFileSync(f, 'utf8')) as K8sObject }));

describe.each(KUBERNETES_VERSIONS)('cached kind validators, Kubernetes %s', (version) => {
  // The first validator compiles every kind and caches it; the second loads them all.
  const compiling = new SchemaValidator(version, schemas);
  for (const { object } of golden) compiling.validate(object);
  const before = { ...validatorCacheStats };
  const cached = new SchemaValidator(version, schemas);
  for (const { object } of golden) cached.validate(object);
  const compiledAgain = validatorCacheStats.compiled - before.compiled;
  const loaded = validatorCacheStats.loaded - before.loaded;
  // The third loads them with V8's code the second one cached.
  saveValidatorCode();
  const codeCached = readdirSync(join(scratch, 'ajv')).filter((f) => f.endsWith('.v8')).length;
  const withCode = new SchemaValidator(version, schemas);
  const runtime = new SchemaValidator(version, schemas);
  const keyOf = (o: K8sObject) => `${o.apiVersion}/${o.kind}`;

  it('loads every kind from the cache the second time', () => {
    const kinds = new Set(golden.map(({ object }) => keyOf(object)));
    expect(kinds.size).toBeGreaterThan(20);
    expect(compiledAgain).toBe(0);
    expect(loaded).toBe(kinds.size);
    expect(codeCached).toBeGreaterThanOrEqual(kinds.size);
  });

  it('gives the same verdict and errors as ajv compiling at run time', () => {
    const byKind = new Map<string, ReturnType<SchemaValidator['compile']>>();
    let invalid = 0;
    let checked = 0;
    golden.forEach(({ file, object }, n) => {
      const key = keyOf(object);
      if (!byKind.has(key)) byKind.set(key, runtime.compile(key));
      const compiled = byKind.get(key)!;
      expect(compiled, key).toBeDefined();
      for (const { name, value } of [{ name: 'as committed', value: object }, ...mutations(object, n + 1, 6)]) {
        const expected = compiled!(value);
        const expectedErrors = compiled!.errors ?? [];
        const context = `${file}, ${name}`;
        for (const fromCache of [cached.validatorOf(key)!, withCode.validatorOf(key)!]) {
          expect(fromCache).not.toBe(compiled);
          expect(fromCache(value), context).toBe(expected);
          expect(fromCache.errors ?? [], context).toEqual(expectedErrors);
        }
        // What the render reports (objectRef needs metadata).
        if (typeof (value as K8sObject).metadata === 'object') expect(cached.validate(value as K8sObject), context).toEqual(runtime.validate(value as K8sObject));
        if (name === 'as committed') expect(expected, context).toBe(true);
        else if (!expected) invalid++;
        checked++;
      }
    });
    // The mutations must mostly break the objects, or this test would compare only successes.
    expect(invalid).toBeGreaterThan(checked / 2);
  });
});

describe('validation results cache', () => {
  const service = golden.find(({ object }) => object.kind === 'Service')!.object;
  const broken = { ...service, spec: { ...(service as unknown as { spec: object }).spec, tipe: 'ClusterIP' } } as K8sObject;
  const first = new SchemaValidator('v1.32', schemas);
  const firstErrors = first.validate(broken);
  expect(first.validate(service)).toEqual([]);
  first.saveResults();
  const before = { ...validatorCacheStats };
  const second = new SchemaValidator('v1.32', schemas);
  const again = second.validate(service);
  const afterValid = { ...validatorCacheStats };
  const secondErrors = second.validate(broken);
  const afterBroken = { ...validatorCacheStats };

  it('skips an object found valid by an earlier run, without loading its validator', () => {
    expect(again).toEqual([]);
    expect(afterValid).toEqual(before);
  });

  it('never remembers an invalid object: it is checked again and reported the same', () => {
    expect(firstErrors.map((e) => e.message)).toContain('spec: unknown field "tipe"');
    expect(secondErrors).toEqual(firstErrors);
    expect(afterBroken.loaded + afterBroken.compiled).toBe(before.loaded + before.compiled + 1);
  });

  it('ignores damaged result files', () => {
    const dir = join(scratch, 'valid');
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), 'not a hash\n\u0000\n12ab\n');
    const third = new SchemaValidator('v1.32', schemas);
    expect(third.validate(broken)).toEqual(firstErrors);
    expect(third.validate(service)).toEqual([]);
  });
});
