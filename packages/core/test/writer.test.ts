import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTree, writeTreeAtomically } from '../src/writer.ts';
import type { RenderedObject } from '../src/objects.ts';

const obj = (kind: string, name: string, namespace?: string): RenderedObject => ({ component: 'c', object: { apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) } } });
const dir = mkdtempSync(join(tmpdir(), 'writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('renderTree', () => {
  it('is independent of object order and names files after kind and name', () => {
    const a = renderTree([obj('Service', 'a', 'n'), obj('ConfigMap', 'b', 'n')], '# h\n');
    const b = renderTree([obj('ConfigMap', 'b', 'n'), obj('Service', 'a', 'n')], '# h\n');
    expect([...a]).toEqual([...b]);
    expect([...a.keys()]).toEqual(['c/configmap-b.yaml', 'c/kustomization.yaml', 'c/service-a.yaml', 'kustomization.yaml']);
  });
  it('qualifies names with the namespace only where two objects would collide', () => {
    const t = renderTree([obj('NetworkPolicy', 'allow-dns', 'a'), obj('NetworkPolicy', 'allow-dns', 'b'), obj('Service', 's', 'a')], '');
    expect([...t.keys()]).toContain('c/networkpolicy-a-allow-dns.yaml');
    expect([...t.keys()]).toContain('c/service-s.yaml');
  });
});

describe('writeTreeAtomically', () => {
  const out = join(dir, 'clusters/prod');
  it('replaces the tree exactly, removing stale files', () => {
    mkdirSync(join(out, 'old'), { recursive: true });
    writeFileSync(join(out, 'old/stale.yaml'), 'x');
    writeTreeAtomically(out, new Map([['c/a.yaml', 'a\n']]));
    expect(readdirSync(out)).toEqual(['c']);
    expect(readFileSync(join(out, 'c/a.yaml'), 'utf8')).toBe('a\n');
    expect(readdirSync(join(dir, 'clusters'))).toEqual(['prod']); // no staging left behind
  });
  it('writes only the files whose content changed; the others keep their inode and time', () => {
    const tree = join(dir, 'incremental/prod');
    writeTreeAtomically(
      tree,
      new Map([
        ['c/same.yaml', 'same\n'],
        ['c/changed.yaml', 'before\n'],
        ['c/gone.yaml', 'gone\n'],
      ]),
    );
    const before = { same: statSync(join(tree, 'c/same.yaml')), changed: statSync(join(tree, 'c/changed.yaml')) };
    writeTreeAtomically(
      tree,
      new Map([
        ['c/same.yaml', 'same\n'],
        ['c/changed.yaml', 'after\n'],
        ['d/new.yaml', 'new\n'],
      ]),
    );
    expect(readdirSync(join(tree, 'c')).sort()).toEqual(['changed.yaml', 'same.yaml']);
    expect(readFileSync(join(tree, 'c/changed.yaml'), 'utf8')).toBe('after\n');
    expect(readFileSync(join(tree, 'd/new.yaml'), 'utf8')).toBe('new\n');
    const same = statSync(join(tree, 'c/same.yaml'));
    expect([same.ino, same.mtimeMs, same.nlink]).toEqual([before.same.ino, before.same.mtimeMs, 1]);
    expect(statSync(join(tree, 'c/changed.yaml')).ino).not.toBe(before.changed.ino);
    expect(readdirSync(join(dir, 'incremental'))).toEqual(['prod']); // no staging or previous tree left behind
  });
  it('leaves the previous tree intact when writing fails', () => {
    // A path that cannot be created (a file where a folder must go) fails mid-write.
    expect(() =>
      writeTreeAtomically(
        out,
        new Map([
          ['x', 'file'],
          ['x/y.yaml', 'nested under a file'],
        ]),
      ),
    ).toThrow();
    expect(readFileSync(join(out, 'c/a.yaml'), 'utf8')).toBe('a\n');
    expect(existsSync(join(out, 'x'))).toBe(false);
    expect(readdirSync(join(dir, 'clusters'))).toEqual(['prod']);
  });
});
