/**
 * Golden files: the committed clusters/<cluster>/ trees are the snapshots. Each cluster is
 * rendered in memory and compared file by file, both ways, so a changed, added or deleted
 * object all fail until `npm run synth` is run and the output committed.
 */
import { readTree } from '@db/core';
import { describe, expect, it } from 'vitest';
import { renderFile } from '../src/render.ts';
import { platformFileOf, outputDirOf } from '../src/paths.ts';
import { appClusters } from './helpers.ts';

const clusters = appClusters();

describe.each(clusters)('cluster %s', (cluster) => {
  const rendered = renderFile(platformFileOf(cluster), cluster);
  if (!rendered.ok) throw new Error(`apps/${cluster}/platform.yaml is refused: ${JSON.stringify(rendered.problems, null, 2)}`);

  it('matches the committed output, file for file (added, changed and deleted objects)', () => {
    const committed = readTree(outputDirOf(cluster));
    expect([...committed.keys()].sort(), 'run `npm run synth` and commit clusters/').toEqual([...rendered.files.keys()].sort());
    for (const [path, content] of rendered.files) expect(committed.get(path), `clusters/${cluster}/${path} differs: run npm run synth`).toBe(content);
  });

  it('renders deterministically, byte for byte', () => {
    const again = renderFile(platformFileOf(cluster), cluster);
    expect(again.ok && [...again.files]).toEqual([...rendered.files]);
  });

  it('names every file after the one object it holds', () => {
    for (const r of rendered.objects) expect(r.object.metadata.name).toBeTruthy();
    const objectFiles = [...rendered.files.keys()].filter((f) => f.includes('/') && !f.endsWith('kustomization.yaml') && f.endsWith('.yaml'));
    expect(objectFiles).toHaveLength(rendered.objects.length);
  });
});
