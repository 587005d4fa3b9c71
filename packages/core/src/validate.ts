/**
 * Checks rendered objects against the schema of their kind: Kubernetes core kinds against
 * the maintained JSON Schemas of the kubernetes-validate project (vendored under
 * schemas/kubernetes/<version>), custom kinds against the pinned upstream CRDs (vendored
 * under schemas/crds). Unknown kinds fail, and so do fields a schema does not declare:
 * CRD schemas are closed here (`additionalProperties: false`) except where they say
 * `x-kubernetes-preserve-unknown-fields`, because the API server would silently prune a
 * typo instead of refusing it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './objects.ts';
import { objectRef } from './objects.ts';
import { cacheDir, readCache, sha256, writeCache } from './cache.ts';
import { cachedValidator, saveValidatorCode, validatorCacheName, type CachedValidatorSpec } from './ajv-cache.ts';

export const KUBERNETES_VERSIONS = ['v1.32', 'v1.37'] as const;
export type KubernetesVersion = (typeof KUBERNETES_VERSIONS)[number];

const SCHEMA_BASE = 'https://db-platform.dev/k8s';

/**
 * CRD patterns are Go RE2 expressions; JavaScript lacks RE2's inline flags such as `(?i)`.
 * An inline flag group becomes a flag of the whole RegExp (the CRDs use it only that way); the rest of RE2 syntax the CRDs use
 * is valid JavaScript.
 *
 * Written as JavaScript source because the cached validators embed it (see ajv-cache.ts):
 * the source is part of their cache key, and every process evaluates the same text.
 */
const RE2_COMPATIBLE_SOURCE = String.raw`function re2Compatible(pattern, flags) {
  let extra = '';
  const body = pattern.replace(/\(\?([ims]+)\)/g, (_, f) => {
    extra += f;
    return '';
  });
  const all = [...new Set((flags ?? '') + 'u' + extra)].join('');
  try {
    return new RegExp(body, all);
  } catch {
    return new RegExp(body, all.replace('u', ''));
  }
}`;
const re2Compatible = Object.assign(new Function(`return ${RE2_COMPATIBLE_SOURCE}`)() as (pattern: string, flags?: string) => RegExp, { code: 're2Compatible' });

/** The options of the rendered objects' validators (`code` aside), part of their cache key. */
const AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: true } as const;
/** Formats Kubernetes schemas name but do not check. */
const UNCHECKED_FORMATS = ['int32', 'int64', 'double', 'float'];

export interface ValidationError {
  readonly object: string;
  readonly kubernetesVersion: string;
  readonly message: string;
}

type Json = Record<string, any>;

/** Makes a CRD's structural schema strict and valid JSON Schema for ajv. */
export function closeCrdSchema(schema: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v as Json).map(([name, s]) => [name, closeCrdSchema(s as Json)]));
    } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && v && typeof v === 'object') {
      out[k] = closeCrdSchema(v as Json);
    } else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) {
      // Structural schemas use these only for value constraints; each branch sees the whole object.
      out[k] = v.map((s: Json) => closeCrdSchema({ ...s, 'x-db-platform-branch': true }));
    } else if (!k.startsWith('x-kubernetes-') && k !== 'nullable' && k !== 'x-db-platform-branch') {
      out[k] = v;
    }
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [...(out.anyOf ?? []), { type: 'integer' }, { type: 'string' }];
  }
  if (schema.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  const isObject = out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object'));
  if (isObject && !schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties === undefined && !schema['x-db-platform-branch']) {
    out.additionalProperties = false;
    out.properties ??= {};
  }
  return out;
}

export interface CrdVersion {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly schema: Json;
}

/** Bump when what loadCrdVersions derives from the YAML changes. */
const CRD_CACHE_FORMAT = 'crds-1';

/**
 * Every served version of the pinned CRDs (schemas/crds/<source>/*.yaml), with its OpenAPI
 * schema. The vendored YAML is the source; parsing it is slow (~1 s), so its result is cached
 * as JSON under the hash of the files' names and content, and read back with JSON.parse.
 */
export function loadCrdVersions(dir: string): CrdVersion[] {
  const files: string[] = [];
  for (const sub of readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const file of readdirSync(join(dir, sub))
      .filter((f) => f.endsWith('.yaml'))
      .sort())
      files.push(join(sub, file));
  }
  // The files' names, sizes and times name the content hash they had when last read, so an
  // unchanged tree is not read and hashed again (a checkout changes the times: one more read).
  const stamps = `crds-stamps-${sha256(
    CRD_CACHE_FORMAT,
    ...files.map((f) => {
      const st = statSync(join(dir, f));
      return `${f}:${st.size}:${st.mtimeMs}`;
    }),
  )}.txt`;
  const fromCache = (entry: string | undefined): CrdVersion[] | undefined => {
    const cached = entry && /^crds-[0-9a-f]{64}\.json$/.test(entry) ? readCache(entry) : undefined;
    if (cached === undefined) return undefined;
    try {
      const parsed = JSON.parse(cached) as unknown;
      return Array.isArray(parsed) ? (parsed as CrdVersion[]) : undefined;
    } catch {
      return undefined; // A damaged entry: parse the YAML again (and replace the entry).
    }
  };
  const known = fromCache(readCache(stamps)?.trim());
  if (known) return known;
  const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  const entry = `crds-${sha256(CRD_CACHE_FORMAT, ...files.flatMap((f, i) => [f, texts[i]!]))}.json`;
  const cached = fromCache(entry);
  if (cached) {
    writeCache(stamps, entry);
    return cached;
  }
  const versions: CrdVersion[] = [];
  for (const text of texts) {
    for (const d of parseAllDocuments(text)) {
      const crd = d.toJS() as Json | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions ?? []) {
        if (!v.served || !v.schema?.openAPIV3Schema) continue;
        versions.push({ group: crd.spec.group, kind: crd.spec.names.kind, version: v.name, schema: v.schema.openAPIV3Schema });
      }
    }
  }
  writeCache(entry, JSON.stringify(versions));
  writeCache(stamps, entry);
  return versions;
}

/**
 * Validates objects against one Kubernetes version's core schemas and the pinned CRDs. Each
 * kind's validator is compiled on first use, or loaded from the cache (see ajv-cache.ts).
 */
export class SchemaValidator {
  private readonly definitionsText: string;
  private readonly definitionsHash: string;
  private readonly coreKinds = new Map<string, string>();
  private crdKinds: Map<string, Json> | undefined;
  private ajv: Ajv2020 | undefined;
  /** Per kind: its validator's spec and cache name (undefined for unknown kinds), and the validator once loaded. */
  private readonly kinds = new Map<string, { spec: CachedValidatorSpec; name: string; fn?: ValidateFunction } | undefined>();
  /** Per validator cache name: hashes of objects it found valid, from earlier runs and (`added`) this one. */
  private readonly knownValid = new Map<string, { known: Set<string>; added: Set<string> }>();

  constructor(
    readonly kubernetesVersion: KubernetesVersion,
    private readonly schemaRoot: string,
  ) {
    this.definitionsText = readFileSync(join(schemaRoot, 'kubernetes', kubernetesVersion, '_definitions.json'), 'utf8');
    this.definitionsHash = sha256(this.definitionsText);
    const definitions = JSON.parse(this.definitionsText) as Json;
    for (const [name, def] of Object.entries(definitions.$defs as Json)) {
      for (const gvk of (def as Json)['x-kubernetes-group-version-kind'] ?? []) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        this.coreKinds.set(`${apiVersion}/${gvk.kind}`, name);
      }
    }
  }

  /**
   * Every schema error of one object; empty when it is valid. An object this kind's exact
   * validator found valid before (in this run or one whose results were saved) is not checked
   * again: see saveResults.
   */
  validate(o: K8sObject): ValidationError[] {
    const key = `${o.apiVersion}/${o.kind}`;
    const kind = this.kind(key);
    const ref = objectRef(o);
    if (!kind)
      return [{ object: ref, kubernetesVersion: this.kubernetesVersion, message: `unknown kind ${o.kind} (${o.apiVersion}): neither a Kubernetes ${this.kubernetesVersion} kind nor a pinned CRD` }];
    const results = this.resultsOf(kind.name);
    const hash = results && sha256(JSON.stringify(o));
    if (hash !== undefined && (results!.known.has(hash) || results!.added.has(hash))) return [];
    const fn = this.validatorOf(key)!;
    if (fn(o)) {
      if (hash !== undefined) results!.added.add(hash);
      return [];
    }
    return dedupe(fn.errors ?? []).map((e) => ({ object: ref, kubernetesVersion: this.kubernetesVersion, message: describeError(e) }));
  }

  /**
   * Keeps what this run learned: V8's compiled code of the validators it loaded (see
   * saveValidatorCode), and the hashes of the objects found valid, per validator, in the cache
   * (valid/<validator's cache name>), so a later run skips them and loads only the validators
   * of objects that changed. An entry names the exact validator (ajv, options, schema), so it
   * cannot outlive a schema change; it only ever says "valid", and a lost or damaged entry
   * only means checking again.
   */
  saveResults(): void {
    saveValidatorCode();
    for (const [name, results] of this.knownValid) {
      if (results.added.size === 0) continue;
      // Merge with what parallel runs saved meanwhile; keep the newest entries when it grows large.
      const all = [...new Set([...readValid(name), ...results.known, ...results.added])].slice(-MAX_VALID_RESULTS);
      writeCache(validEntryOf(name), `${all.join('\n')}\n`);
      for (const h of results.added) results.known.add(h);
      results.added.clear();
    }
  }

  private resultsOf(name: string): { known: Set<string>; added: Set<string> } | undefined {
    if (!cacheDir()) return undefined;
    let results = this.knownValid.get(name);
    if (!results) {
      results = { known: new Set(readValid(name)), added: new Set() };
      this.knownValid.set(name, results);
    }
    return results;
  }

  /**
   * The JSON Schema of a kind (`apiVersion/kind`), as given to ajv: a reference into the
   * Kubernetes definitions, or the closed schema of a CRD version. Undefined for unknown kinds.
   */
  schemaOf(key: string): Json | undefined {
    const core = this.coreKinds.get(key);
    if (core) return { $ref: `${SCHEMA_BASE}/api/_definitions.json#/$defs/${core}` };
    if (!this.crdKinds) {
      this.crdKinds = new Map();
      for (const crd of loadCrdVersions(join(this.schemaRoot, 'crds'))) this.crdKinds.set(`${crd.group}/${crd.version}/${crd.kind}`, crd.schema);
    }
    const crd = this.crdKinds.get(key);
    if (!crd) return undefined;
    const closed = closeCrdSchema(crd);
    const [apiVersion, kind] = [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
    closed.properties = {
      ...closed.properties,
      apiVersion: { const: apiVersion },
      kind: { const: kind },
      metadata: { $ref: `${SCHEMA_BASE}/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` },
    };
    closed.required = [...new Set([...(closed.required ?? []), 'apiVersion', 'kind', 'metadata'])];
    return closed;
  }

  /** The validator of a kind (`apiVersion/kind`): loaded from the cache, or compiled. Undefined for unknown kinds. */
  validatorOf(key: string): ValidateFunction | undefined {
    const kind = this.kind(key);
    if (kind) kind.fn ??= cachedValidator(kind.spec, kind.name);
    return kind?.fn;
  }

  /** A validator compiled by ajv now, never from the cache (what the cached ones are compared with). */
  compile(key: string): ValidateFunction | undefined {
    const schema = this.schemaOf(key);
    return schema && this.runtimeAjv().compile(schema);
  }

  private runtimeAjv(): Ajv2020 {
    if (!this.ajv) {
      this.ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, regExp: re2Compatible } });
      addFormats.default(this.ajv);
      for (const f of UNCHECKED_FORMATS) this.ajv.addFormat(f, true);
      this.ajv.addSchema({ ...(JSON.parse(this.definitionsText) as Json), $id: `${SCHEMA_BASE}/api/_definitions.json` });
    }
    return this.ajv;
  }

  private kind(key: string): { spec: CachedValidatorSpec; name: string; fn?: ValidateFunction } | undefined {
    if (this.kinds.has(key)) return this.kinds.get(key);
    const schema = this.schemaOf(key);
    let kind: { spec: CachedValidatorSpec; name: string } | undefined;
    if (schema) {
      const spec: CachedValidatorSpec = {
        key: ['kubernetes-kind', JSON.stringify(AJV_OPTIONS), UNCHECKED_FORMATS.join(), this.definitionsHash, JSON.stringify(schema)],
        prelude: `const re2Compatible = ${RE2_COMPATIBLE_SOURCE};`,
        compile: () => {
          const ajv = this.runtimeAjv();
          return { ajv, validate: ajv.compile(schema) };
        },
      };
      kind = { spec, name: validatorCacheName(spec) };
    }
    this.kinds.set(key, kind);
    return kind;
  }
}

/** At most this many valid object hashes are kept per validator (about 65 bytes each). */
const MAX_VALID_RESULTS = 50_000;
const validEntryOf = (validatorName: string) => `valid/${validatorName.replace(/^ajv\//, '').replace(/\.cjs$/, '')}.txt`;
const HASH = /^[0-9a-f]{64}$/;

/** Hashes of objects the validator `name` found valid, as saved by earlier runs. */
function readValid(name: string): string[] {
  return (readCache(validEntryOf(name)) ?? '').split('\n').filter((h) => HASH.test(h));
}

/** oneOf/anyOf failures repeat the same fact per branch; keep the most specific ones. */
function dedupe(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return false;
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(root)';
  if (e.keyword === 'additionalProperties') return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${at}: ${e.message ?? e.keyword}`;
}
