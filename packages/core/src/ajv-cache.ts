/**
 * Schema validators compiled once, not per run. Compiling a JSON Schema with ajv is the
 * slowest part of a render (~2 s for the kinds prod renders); ajv can instead emit the
 * compiled validator as standalone JavaScript. That code is cached under the hash of all it
 * depends on (ajv and ajv-formats versions, the options, the exact schema, any code it
 * embeds) and evaluated on later runs in a few milliseconds.
 *
 * A missing, damaged or unloadable entry means compiling as before; the freshly compiled
 * (not the cached) function serves the run that compiled it. test/validate-standalone.test.ts
 * checks that a cached validator gives the same verdict and the same errors as ajv's own.
 */
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import type { AnySchema, ValidateFunction } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { readCache, readCacheBytes, sha256, writeCache } from './cache.ts';

/** Bump when the way entries are written or evaluated changes. */
const FORMAT = 'ajv-standalone-1';

const requireHere = createRequire(import.meta.url);

let versions: string | undefined;
/** ajv's and ajv-formats' versions: the generated code requires their runtime helpers. */
function libraryVersions(): string {
  versions ??= ['ajv', 'ajv-formats'].map((p) => `${p}@${(requireHere(`${p}/package.json`) as { version: string }).version}`).join(' ');
  return versions;
}

/** What an ajv instance must offer to compile a validator with its code kept (`code: { source: true }`). */
export interface SourceAjv {
  compile(schema: AnySchema): ValidateFunction;
}

export interface CachedValidatorSpec {
  /** Everything the compiled code depends on besides ajv itself: options, schema (as text), referenced schemas. */
  readonly key: readonly string[];
  /** Compiles the validator with an ajv instance created with `code: { source: true }`. */
  readonly compile: () => { ajv: SourceAjv; validate: ValidateFunction };
  /** JavaScript placed before the generated code: definitions the generated code refers to (such as a `code.regExp` function). */
  readonly prelude?: string;
}

/** How many validators this process loaded from the cache and compiled. */
export const validatorCacheStats = { loaded: 0, compiled: 0 };

/** The cache entry of the validator `spec` describes: the hash of all it depends on. */
export function validatorCacheName(spec: CachedValidatorSpec): string {
  return `ajv/${sha256(FORMAT, libraryVersions(), spec.prelude ?? '', ...spec.key)}.cjs`;
}

/** The validator `spec` describes: from the cache, or compiled (and then cached). */
export function cachedValidator(spec: CachedValidatorSpec, name = validatorCacheName(spec)): ValidateFunction {
  const prelude = spec.prelude ?? '';
  const trailer = `\n//# db-platform ${name}\n`;
  const text = readCache(name);
  if (text?.endsWith(trailer)) {
    const loaded = evaluate(text, name);
    if (loaded) {
      validatorCacheStats.loaded++;
      return loaded;
    }
  }
  validatorCacheStats.compiled++;
  const { ajv, validate } = spec.compile();
  let code: string;
  try {
    code = standalone.default(ajv as Parameters<typeof standalone.default>[0], validate);
  } catch {
    return validate;
  }
  writeCache(name, `"use strict";\n${prelude}\n${code}${trailer}`);
  return validate;
}

/** Scripts evaluated without V8's compiled code (none cached yet, or refused), to cache after they ran. */
const codeToCache = new Map<string, Script>();

/**
 * Runs a cached CommonJS module; undefined when it does not load or export a function. V8's
 * compiled code of it is cached beside it (`<name>.<V8 version>.v8`): V8 refuses code of
 * another version, flags or source, and the module is then compiled from its text.
 */
function evaluate(text: string, name: string): ValidateFunction | undefined {
  try {
    const codeName = `${name}.${process.versions.v8}.v8`;
    const cachedData = readCacheBytes(codeName);
    const script = new Script(`(function (module, exports, require) {${text}\n})`, { filename: name, ...(cachedData ? { cachedData } : {}) });
    if (!cachedData || script.cachedDataRejected) codeToCache.set(codeName, script);
    const module = { exports: {} as unknown };
    (script.runInThisContext() as (module: unknown, exports: unknown, require: NodeJS.Require) => void)(module, module.exports, requireHere);
    return typeof module.exports === 'function' ? (module.exports as ValidateFunction) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Caches V8's compiled code of the validators this process loaded without it. Called after
 * they ran, so it holds the functions V8 compiled lazily on first use too: loading and first
 * use then cost about a quarter.
 */
export function saveValidatorCode(): void {
  for (const [name, script] of codeToCache) {
    try {
      writeCache(name, script.createCachedData());
    } catch {
      // Not cached: compiled again next time.
    }
  }
  codeToCache.clear();
}
