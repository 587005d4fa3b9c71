/**
 * Property-based tests (fast-check) over thousands of random and mutated platform.yaml
 * files: every run ends either in output whose every object is schema-valid and meets the
 * posture rules, or in problems that each carry file, line, column and a message; never a
 * throw, a hang or partially written output.
 *
 * Generators: structural mutations of the real prod and lab files (keys dropped, renamed or
 * duplicated, values replaced by wrong types, huge numbers, unicode and injection strings),
 * raw line and byte mutations of their text (half-edited files), and arbitrary YAML values.
 * A smaller number of cases go through synthToDisk into a scratch folder to prove a refused
 * render leaves the previous output byte for byte and an accepted one writes exactly its
 * files. One process, one schema validator: the run stays within seconds on 2 cores.
 *
 * The seed is fixed so CI is reproducible; FUZZ_SEED=<n> explores others, FUZZ_SCALE=<k>
 * multiplies the case counts.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkPosture, readTree, type Problem } from '@db/core';
import { outputDirOf, platformFileOf } from '../src/paths.ts';
import { renderText, schemaValidators, type Rendered, type Refused } from '../src/render.ts';
import { synthToDisk } from '../src/synth.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const FILE = 'apps/fuzz/platform.yaml';
/** A bound per property, far above its run time on 2 busy cores: a hang fails instead of stalling CI. */
const FUZZ_TIMEOUT_MS = 300_000 * SCALE;

const SOURCES = ['prod', 'lab'].map((c) => ({ cluster: c, text: readFileSync(platformFileOf(c), 'utf8') }));

const stats = { cases: 0, accepted: 0, refused: 0, disk: 0, slowestMs: 0, started: Date.now() };
afterAll(() => {
  console.log(
    `fuzz: ${stats.cases} platform.yaml cases (${stats.accepted} accepted and checked, ${stats.refused} refused with positioned problems, ${stats.disk} through synthToDisk) ` +
      `in ${((Date.now() - stats.started) / 1000).toFixed(1)} s, slowest case ${stats.slowestMs} ms, seed ${SEED}`,
  );
});

function checkProblem(p: Problem): void {
  expect(p.file).toBe(FILE);
  expect(Number.isInteger(p.line) && p.line >= 1, `line of ${JSON.stringify(p)}`).toBe(true);
  expect(Number.isInteger(p.column) && p.column >= 1, `column of ${JSON.stringify(p)}`).toBe(true);
  expect(typeof p.message === 'string' && p.message.length > 0).toBe(true);
  expect(typeof p.field).toBe('string');
}

/** The property: never a throw; accepted output is valid and hardened; refusals are positioned. */
function renderChecked(text: string): Rendered | Refused {
  const t0 = Date.now();
  let r: Rendered | Refused;
  try {
    r = renderText(text, FILE);
  } catch (err) {
    throw new Error(`renderText threw on:\n${text.slice(0, 2000)}\n${(err as Error).stack}`);
  }
  stats.slowestMs = Math.max(stats.slowestMs, Date.now() - t0);
  stats.cases++;
  if (r.ok) {
    stats.accepted++;
    expect(r.files.size).toBeGreaterThan(0);
    for (const { object } of r.objects) for (const v of schemaValidators()) expect(v.validate(object)).toEqual([]);
    expect(checkPosture(r.objects.map((o) => o.object))).toEqual([]);
  } else {
    stats.refused++;
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) checkProblem(p);
  }
  return r;
}

// Values that are wrong, extreme or hostile in some place of the file.
const INJECTIONS = [
  "x'; DROP DATABASE postgres; --",
  '$(rm -rf /)',
  '`id`',
  '{{ .Values.secret }}',
  '}}{{',
  'a: b',
  '- x',
  '&a *a',
  '!!python/object:os.system',
  '../../etc/passwd',
  'x\n---\nkind: Secret',
  '\u0000',
  'ｌinkwarden',
  '🐘',
  'DROP',
  'pg_read_server_files',
  'root',
  'latest',
];
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, NaN, Infinity, '', ' ', '0', '1e3', 'yes', 'null'),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.nat(200).map((n) => 'a'.repeat(n * 50)),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

type Json = any;
/** Every path in a value: object keys and array indexes. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) for (const [i, x] of v.entries()) out.push(...paths(x, [...at, i]));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push(...paths(v[k], [...at, k]));
  return out;
}
function parentOf(root: Json, path: (string | number)[]): Json {
  let v = root;
  for (const k of path.slice(0, -1)) v = v?.[k];
  return v;
}

type Op = { kind: 'drop' | 'set' | 'rename' | 'duplicate'; at: number; value: unknown; name: string };
const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('drop', 'set', 'set', 'rename', 'duplicate'),
  at: fc.nat(),
  value: nasty,
  name: fc.oneof(fc.constantFrom('name', 'database', 'postgres', 'tenants', 'rotate', 'instances'), fc.string({ maxLength: 10 })),
});

function mutate(source: string, ops: readonly Op[]): string {
  const root: Json = parse(source);
  for (const o of ops) {
    const all = paths(root).filter((p) => p.length > 0);
    if (all.length === 0) break;
    const path = all[o.at % all.length]!;
    const parent = parentOf(root, path);
    const key = path[path.length - 1]!;
    if (parent === null || typeof parent !== 'object') continue;
    if (o.kind === 'drop') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (o.kind === 'set') parent[key] = o.value;
    else if (o.kind === 'rename' && !Array.isArray(parent)) {
      parent[o.name] = parent[key];
      if (o.name !== key) delete parent[key];
    } else if (o.kind === 'duplicate' && Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
  }
  return stringify(root, { lineWidth: 0 });
}

type RawOp = { kind: 'delete' | 'duplicate' | 'swap' | 'insert' | 'truncate' | 'char' | 'indent'; a: number; b: number; text: string };
const rawOp: fc.Arbitrary<RawOp> = fc.record({
  kind: fc.constantFrom('delete', 'duplicate', 'swap', 'insert', 'truncate', 'char', 'indent'),
  a: fc.nat(),
  b: fc.nat(),
  text: fc.oneof(
    fc.constantFrom(...INJECTIONS, ':', '- ', '  ', '\t', '"', "'", '[', '{', '&x', '*x', '#', '|', '>', '%YAML 1.1', '---', '...', '<<: *x', '? '),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
  ),
});

function rawMutate(source: string, ops: readonly RawOp[]): string {
  let lines = source.split('\n');
  for (const o of ops) {
    const i = o.a % lines.length;
    const j = o.b % lines.length;
    switch (o.kind) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, lines[i]!);
        break;
      case 'swap':
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        break;
      case 'insert': {
        const line = lines[i]!;
        const at = o.b % (line.length + 1);
        lines[i] = line.slice(0, at) + o.text + line.slice(at);
        break;
      }
      case 'truncate': {
        const text = lines.join('\n');
        lines = text.slice(0, o.a % (text.length + 1)).split('\n');
        break;
      }
      case 'char': {
        const line = lines[i]!;
        if (line.length > 0) {
          const at = o.b % line.length;
          lines[i] = line.slice(0, at) + (o.text[0] ?? '') + line.slice(at + 1);
        }
        break;
      }
      case 'indent':
        lines[i] = o.b % 2 === 0 ? `  ${lines[i]}` : lines[i]!.replace(/^ {1,2}/, '');
        break;
    }
    if (lines.length === 0) lines = [''];
  }
  return lines.join('\n');
}

const source = fc.constantFrom(...SOURCES.map((s) => s.text));

describe('fuzzing platform.yaml: valid output or positioned problems, never a crash', () => {
  it('the unmutated sources render (the generators start from accepted files)', () => {
    for (const s of SOURCES) expect(renderChecked(s.text).ok).toBe(true);
  });

  it(
    'structural mutations of the prod and lab files: dropped, renamed, duplicated and mistyped values, injection strings',
    () => {
      fc.assert(
        fc.property(source, fc.array(op, { minLength: 1, maxLength: 4 }), (text, ops) => {
          renderChecked(mutate(text, ops));
        }),
        { numRuns: runs(1200), seed: SEED },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'raw line and byte mutations: half-edited, mis-indented and truncated files',
    () => {
      fc.assert(
        fc.property(source, fc.array(rawOp, { minLength: 1, maxLength: 3 }), (text, ops) => {
          renderChecked(rawMutate(text, ops));
        }),
        { numRuns: runs(1500), seed: SEED + 1 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'arbitrary YAML documents and arbitrary text',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.anything({ maxDepth: 4 }).map((v) => stringify(v, { lineWidth: 0 }) ?? ''),
            fc.string({ maxLength: 300 }),
            fc.string({ unit: 'binary', maxLength: 300 }),
          ),
          (text) => {
            renderChecked(text);
          },
        ),
        { numRuns: runs(800), seed: SEED + 2 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('fuzzing synthToDisk: a refused render changes nothing, an accepted one writes exactly its files', () => {
  const root = mkdtempSync(join(tmpdir(), 'db-platform-fuzz-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'never leaves partial output',
    () => {
      const apps = join(root, 'apps', 'prod');
      const out = join(root, 'clusters', 'prod');
      mkdirSync(apps, { recursive: true });
      cpSync(outputDirOf('prod'), out, { recursive: true });
      fc.assert(
        fc.property(
          fc.oneof(
            fc.array(op, { minLength: 1, maxLength: 3 }).map((ops) => mutate(SOURCES[0]!.text, ops)),
            fc.array(rawOp, { minLength: 1, maxLength: 2 }).map((ops) => rawMutate(SOURCES[0]!.text, ops)),
          ),
          (text) => {
            const file = join(apps, 'platform.yaml');
            writeFileSync(file, text);
            const before = readTree(out);
            const r = synthToDisk(file, out, 'prod');
            stats.disk++;
            const after = readTree(out);
            if (r.ok) expect([...after].sort()).toEqual([...r.files].sort());
            else expect(after).toEqual(before);
            expect(readdirSync(join(root, 'clusters')).filter((f) => f.startsWith('.'))).toEqual([]);
          },
        ),
        { numRuns: runs(60), seed: SEED + 3 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
