/**
 * Core, delivery and the platform know no engine: no engine name, engine API group or engine
 * kind in their sources (generated imports and the test helpers of src/testing aside). What
 * they need of an engine comes through the `Engine` contract (its config syntax included, such
 * as a credential detector), and the engine list is its own package (@db/engines).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/paths.ts';

const ENGINE_WORDS = /postgres|postgis|pgbouncer|mysql|innodb|mariadb|redis|sentinel|haproxy|sqlite|vault|cnpg|cloudnative|oracle\.com|external-?secrets|redhat-?cop|zalando|kopf/i;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'imports' || e.name === 'testing' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('core, delivery and platform name no engine', () => {
  const files = ['core', 'delivery', 'platform'].flatMap((p) => sources(join(REPO_ROOT, 'packages', p, 'src')));
  const found: string[] = [];
  for (const file of files) {
    const rel = relative(REPO_ROOT, file);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!ENGINE_WORDS.test(line)) return;
        found.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
  }

  it('in any source line', () => {
    expect(files.length).toBeGreaterThan(20);
    // The pattern finds what it is for (a control: a test that cannot fail proves nothing).
    for (const w of ['postgresql.cnpg.io/Cluster', "kind: 'InnoDBCluster'", 'external-secrets.io', '@db/redis', 'SQLite']) expect(ENGINE_WORDS.test(w), w).toBe(true);
    expect(found).toEqual([]);
  });
});
