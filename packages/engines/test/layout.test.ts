/**
 * Engine packages look alike: the same file for the same role, so a reader who knows one knows
 * them all (the layout is written down in the README, "Engine packages"). A file for an optional
 * role exists exactly when the engine has that role.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/index.ts';

const PACKAGES = resolve(import.meta.dirname, '../..');

/** Every engine has these: its contract, public API, part of platform.yaml, resolved model, checks and docs facts; and the conformance suite. */
const REQUIRED = ['src/engine.ts', 'src/index.ts', 'src/schema.ts', 'src/model.ts', 'src/checks.ts', 'src/docs.ts', 'test/conformance.test.ts'];

describe.each(ENGINES.map((e) => [e.id, e] as const))('engine package %s', (id, engine) => {
  const dir = join(PACKAGES, id);
  const has = (file: string) => existsSync(join(dir, file));

  it('lives in packages/<id>', () => {
    expect(existsSync(join(dir, 'package.json')), dir).toBe(true);
  });

  it.each(REQUIRED)('has %s', (file) => {
    expect(has(file), join(dir, file)).toBe(true);
  });

  it('keeps its guardrails in src/rules.ts exactly when it has some', () => {
    expect(has('src/rules.ts')).toBe(engine.rules.length > 0);
  });

  it('pins its operators in src/operator.ts, with what we rely on of them in src/operator-contract.ts, exactly when it needs one', () => {
    expect(has('src/operator.ts')).toBe(engine.operators !== undefined);
    expect(has('src/operator-contract.ts')).toBe(engine.operators !== undefined);
  });

  it('names its shared test setup test/helpers.ts', () => {
    expect(has('test/fixture.ts') || has('test/fixtures.ts')).toBe(false);
  });
});
