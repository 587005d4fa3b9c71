/**
 * Desired state → validated input. Parses platform.yaml keeping source positions, checks
 * it against the JSON Schema with every error at once, and maps each error back to the
 * line and column of the offending key or value.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TObject, TSchema } from '@sinclair/typebox';
import { LineCounter, parseDocument, isMap, isPair, isScalar, visit, type Document, type Node } from 'yaml';
import { SHARED_PATTERN_HINTS, DeliveryHints, type PlatformInput } from './schema.ts';
import { fieldPath, type Problem } from './problems.ts';
import { cachedValidator, type CachedValidatorSpec } from './ajv-cache.ts';

export type Path = readonly (string | number)[];

/** Turns a field path of the input into a positioned Problem. */
export class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  /** Position of the value at `path`, or of the key `key` inside it, or of the closest existing parent. */
  locate(path: Path, key?: string): { line: number; column: number } {
    if (!this.doc) return { line: 0, column: 0 };
    if (key !== undefined) {
      const parent = this.doc.getIn(path, true) as Node | undefined;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        const keyNode = pair?.key as Node | undefined;
        if (keyNode?.range) return this.pos(keyNode.range[0]);
      }
    }
    for (let depth = path.length; depth >= 0; depth--) {
      const sub = path.slice(0, depth);
      const node = (sub.length === 0 ? this.doc.contents : this.doc.getIn(sub, true)) as Node | null | undefined;
      if (depth === path.length || depth === 0 || node) {
        // Prefer the key of the field (what a reader looks for) over its value.
        const parent = depth > 0 ? (this.doc.getIn(sub.slice(0, -1), true) as Node | undefined) : undefined;
        const last = sub[sub.length - 1];
        if (isMap(parent) && typeof last === 'string') {
          const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
          const keyNode = pair?.key as Node | undefined;
          if (keyNode?.range) return this.pos(keyNode.range[0]);
        }
        if (node?.range) return this.pos(node.range[0]);
      }
    }
    return { line: 1, column: 1 };
  }

  problem(path: Path, message: string, hint?: string, key?: string): Problem {
    const { line, column } = this.locate(path, key);
    const field = fieldPath(key === undefined ? path : [...path, key]);
    return hint === undefined ? { file: this.file, line, column, field, message } : { file: this.file, line, column, field, message, hint };
  }

  private pos(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }
}

export interface LoadedInput {
  readonly input: PlatformInput;
  readonly source: SourceMap;
}

export type LoadResult = { ok: true; value: LoadedInput } | { ok: false; problems: Problem[] };

/** `verbose`: errors carry the schema and the value, which the hints below read. */
const AJV_OPTIONS = { allErrors: true, strict: true, verbose: true, allowUnionTypes: true } as const;

const inputAjv = () => new Ajv({ ...AJV_OPTIONS, code: { source: true } });

/**
 * The desired-state schema the loader enforces: composed by the platform from the shared
 * sections and every engine's (core knows no engine), with the hints of every pattern it uses.
 */
export interface InputSchema {
  readonly schema: TObject;
  readonly patternHints: Readonly<Record<string, string>>;
}

/** The input schema compiled by ajv now, never from the cache (what the cached validator is compared with). */
export function compileInputValidator(schema: TSchema): ValidateFunction {
  return inputAjv().compile(schema);
}

/** The input schema's validator: compiled, or loaded from the cache (see ajv-cache.ts). */
export function inputValidatorSpec(schema: TSchema): CachedValidatorSpec {
  return {
    key: ['platform-input', JSON.stringify(AJV_OPTIONS), JSON.stringify(schema)],
    compile: () => {
      const ajv = inputAjv();
      return { ajv, validate: ajv.compile(schema) };
    },
  };
}

const inputValidators = new WeakMap<TSchema, ValidateFunction>();
function inputValidatorOf(schema: TSchema): ValidateFunction {
  let v = inputValidators.get(schema);
  if (!v) {
    v = cachedValidator(inputValidatorSpec(schema));
    inputValidators.set(schema, v);
  }
  return v;
}

/** Parse and schema-check one platform.yaml. Semantic checks are the engines' (see checks.ts). */
export function loadPlatformFile(file: string, displayName: string, input: InputSchema): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    return { ok: false, problems: [{ file: displayName, line: 0, column: 0, field: '', message: `cannot read the desired state: ${reason}` }] };
  }
  return loadPlatformText(text, displayName, input);
}

export function loadPlatformText(text: string, file: string, input: InputSchema): LoadResult {
  const parsed = parseYamlText(text, file, 'the desired state', 'start from apps/prod/platform.yaml');
  if (!parsed.ok) return parsed;
  const { value, source } = parsed;
  const validate = inputValidatorOf(input.schema);
  if (!validate(value)) {
    return { ok: false, problems: schemaProblems(validate.errors ?? [], source, { ...SHARED_PATTERN_HINTS, ...DeliveryHints, ...input.patternHints }) };
  }
  return { ok: true, value: { input: value as PlatformInput, source } };
}

const fileValidators = new WeakMap<TSchema, ValidateFunction>();
let fileAjv: Ajv | undefined;

/**
 * Any other YAML file the project reads (the workload waivers), with the same promises as
 * platform.yaml: YAML errors, every schema error at once with line and column, a hint for
 * unknown fields.
 */
export function loadYamlFile<T>(file: string, displayName: string, schema: TSchema, what: string): { ok: true; value: T; source: SourceMap } | { ok: false; problems: Problem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ file: displayName, line: 0, column: 0, field: '', message: `cannot read ${what}: ${(err as Error).message}` }] };
  }
  const parsed = parseYamlText(text, displayName, what, `see ${displayName} in the repository`);
  if (!parsed.ok) return parsed;
  let validate = fileValidators.get(schema);
  if (!validate) {
    fileAjv ??= new Ajv(AJV_OPTIONS);
    validate = fileAjv.compile(schema);
    fileValidators.set(schema, validate);
  }
  if (!validate(parsed.value)) return { ok: false, problems: schemaProblems(validate.errors ?? [], parsed.source, SHARED_PATTERN_HINTS) };
  return { ok: true, value: parsed.value as T, source: parsed.source };
}

/** YAML text → plain value with its source map; YAML errors, alias bombs and an empty file become positioned problems. */
function parseYamlText(text: string, file: string, what: string, emptyHint: string): { ok: true; value: unknown; source: SourceMap } | { ok: false; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  const source = new SourceMap(file, doc, lines);
  const problems: Problem[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const at = lines.linePos(e.pos[0]);
    const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const message =
      e.code === 'DUPLICATE_KEY'
        ? 'duplicate key: the second value would silently replace the first'
        : /call stack/i.test(first)
          ? 'nesting too deep to be a desired state (brackets or indentation nested thousands of levels)'
          : first;
    problems.push({ file, line: at.line, column: at.col, field: '', message: `YAML ${e.code === 'DUPLICATE_KEY' ? '' : 'syntax '}error: ${message}`.replace('YAML error: ', 'YAML: ') });
  }
  if (problems.length > 0) return { ok: false, problems };

  let value: unknown;
  try {
    // A small alias budget defeats "billion laughs" documents without limiting real files,
    // which use an anchor or two at most.
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    // Point at the first alias: that is where the expansion starts.
    let at = { line: 1, col: 1 };
    visit(doc, {
      Alias(_, node) {
        if (node.range) at = lines.linePos(node.range[0]);
        return visit.BREAK;
      },
    });
    return { ok: false, problems: [{ file, line: at.line, column: at.col, field: '', message: `YAML: ${(err as Error).message}`, hint: 'aliases (*name) may be used at most 50 times in total' }] };
  }
  if (value === null || value === undefined) {
    return { ok: false, problems: [{ file, line: 1, column: 1, field: '', message: `${what} is empty`, hint: emptyHint }] };
  }
  return { ok: true, value, source };
}

/** A value as an error message quotes it: JSON-escaped, and cut when long. */
function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function toPath(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function schemaProblems(errors: ErrorObject[], source: SourceMap, hints: Readonly<Record<string, string>>): Problem[] {
  const problems: Problem[] = [];
  // Unions of literals fail once per branch; report them once, as the list of allowed values.
  const enumUnions = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'anyOf') {
      const branches = (e.schema as { const?: unknown }[]) ?? [];
      if (branches.every((b) => b && 'const' in b)) {
        enumUnions.add(e.instancePath);
        problems.push(source.problem(toPath(e.instancePath), `must be one of ${branches.map((b) => JSON.stringify(b.const)).join(', ')} (got ${JSON.stringify(e.data)})`));
      }
    }
  }
  for (const e of errors) {
    const path = toPath(e.instancePath);
    if (enumUnions.has(e.instancePath) && (e.keyword === 'const' || e.keyword === 'anyOf' || e.keyword === 'type')) continue;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const keyPattern = Object.keys((e.parentSchema as { patternProperties?: Record<string, unknown> }).patternProperties ?? {})[0];
        if (keyPattern !== undefined) {
          problems.push(source.problem(path, `key ${quote(key)} is not valid`, hints[keyPattern] ?? `keys must match ${keyPattern}`, key));
          break;
        }
        const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> }).properties ?? {});
        const near = closest(key, known);
        problems.push(source.problem(path, 'unknown field', near ? `did you mean "${near}"? known fields: ${known.join(', ')}` : `known fields: ${known.join(', ')}`, key));
        break;
      }
      case 'required': {
        const key = (e.params as { missingProperty: string }).missingProperty;
        problems.push({ ...source.problem(path, `missing required field "${key}"`), field: fieldPath([...path, key]) });
        break;
      }
      case 'pattern': {
        const pattern = (e.params as { pattern: string }).pattern;
        problems.push(source.problem(path, `${quote(e.data)} is not valid`, hints[pattern] ?? `must match ${pattern}`));
        break;
      }
      case 'type':
        problems.push(source.problem(path, `must be ${(e.params as { type: string }).type} (got ${describe(e.data)})`));
        break;
      default:
        problems.push(source.problem(path, `${e.message ?? 'is not valid'}${e.keyword === 'uniqueItems' ? '' : ` (got ${describe(e.data)})`}`));
    }
  }
  return problems;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${quote(v)}`;
}

/** The known key closest to a typo, if it is close enough to be what was meant. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
