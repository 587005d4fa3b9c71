/**
 * Core, delivery and the platform know no engine: no engine name, engine API group or engine
 * kind in their sources (generated imports and the test helpers of src/testing aside). What they need of an engine comes through
 * the `Engine` contract, and the engine list is its own package (@db/engines). The exceptions are listed here, each with why; a new occurrence
 * anywhere else fails, and so does an exception that no longer matches.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/index.ts';

const ENGINE_WORDS = /postgres|postgis|pgbouncer|mysql|innodb|mariadb|redis|sentinel|haproxy|sqlite|vault|cnpg|cloudnative|oracle\.com|external-?secrets|redhat-?cop|zalando|kopf/i;

const EXCEPTIONS: { file: string; line: RegExp; why: string }[] = [
  { file: 'packages/core/src/credential-scan.ts', line: /requirepass\|masterauth/, why: 'config directives that carry a password literal; the scanner looks for them in any file of the repository' },
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'imports' || e.name === 'testing' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('core, delivery and platform name no engine', () => {
  const files = ['core', 'delivery', 'platform'].flatMap((p) => sources(join(REPO_ROOT, 'packages', p, 'src')));
  const used = new Set<number>();
  const found: string[] = [];
  for (const file of files) {
    const rel = relative(REPO_ROOT, file);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!ENGINE_WORDS.test(line)) return;
        const e = EXCEPTIONS.findIndex((x) => x.file === rel && x.line.test(line));
        if (e >= 0) used.add(e);
        else found.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
  }

  it('in any source line outside the listed exceptions', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(found).toEqual([]);
  });

  it('with every exception still needed', () => {
    expect(EXCEPTIONS.filter((_, i) => !used.has(i)).map((e) => e.file)).toEqual([]);
  });
});
