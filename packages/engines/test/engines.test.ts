/** The engine list: unique ids, every engine with its part of platform.yaml, the rotator last. */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/index.ts';

describe('the engine list', () => {
  it('names each engine once, each with a section of platform.yaml', () => {
    const ids = ENGINES.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of ENGINES) expect(e.schema?.section, e.id).toBeDefined();
  });
  it('puts the engine that provides credential rotation after every engine whose logins it rotates', () => {
    const rotator = ENGINES.findIndex((e) => e.provides !== undefined);
    expect(rotator).toBeGreaterThanOrEqual(0);
    const rotated = ENGINES.flatMap((e, i) => (e.credentials ? [i] : []));
    expect(rotated.length).toBeGreaterThan(0);
    for (const i of rotated) expect(i).toBeLessThan(rotator);
  });
});
