/** The published input schema is in sync, and kustomize builds every rendered cluster. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { platformJsonSchema } from '@db/core';
import { requirePrograms, run } from '@db/core/testing';
import { REPO_ROOT, APPS_DIR, platformFileOf, outputDirOf } from '../src/index.ts';

const clusters = readdirSync(APPS_DIR).filter((c) => existsSync(platformFileOf(c)));

describe('schemas/platform.schema.json', () => {
  it('is the schema the loader enforces (run npm run synth to regenerate)', () => {
    expect(JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/platform.schema.json'), 'utf8'))).toEqual(platformJsonSchema());
  });
  it('is referenced by every platform.yaml through a yaml-language-server modeline', () => {
    for (const c of clusters) expect(readFileSync(platformFileOf(c), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/platform.schema.json');
  });
});

const kubectl = requirePrograms('kubectl kustomize', ['kubectl'], 'install kubectl');
describe.skipIf(!kubectl.available)('kubectl kustomize', () => {
  it.each(clusters)('builds clusters/%s with every rendered object', (cluster) => {
    const out = run('kubectl', ['kustomize', outputDirOf(cluster)]);
    const docs = parseAllDocuments(out);
    const objectFiles = [] as string[];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name !== 'kustomization.yaml' && e.name.endsWith('.yaml')) objectFiles.push(e.name);
      }
    };
    walk(outputDirOf(cluster));
    expect((Array.isArray(docs) ? docs : [docs]).length).toBe(objectFiles.length);
  });
});
