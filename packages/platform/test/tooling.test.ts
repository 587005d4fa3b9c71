/** The published input schema is in sync, and kustomize builds every rendered cluster. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { platformJsonSchema } from '@db/core';
import { requirePrograms, run } from '@db/core/testing';
import { GITOPS_COMPONENTS } from '@db/delivery';
import { REPO_ROOT, platformFileOf, outputDirOf } from '../src/paths.ts';
import { INPUT_SCHEMA } from '../src/engines.ts';
import { appClusters } from './helpers.ts';

const clusters = appClusters();

describe('schemas/platform.schema.json', () => {
  it('is the schema the loader enforces (run npm run synth to regenerate)', () => {
    expect(JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/platform.schema.json'), 'utf8'))).toEqual(platformJsonSchema(INPUT_SCHEMA.schema));
  });
  it('is referenced by every platform.yaml through a yaml-language-server modeline', () => {
    for (const c of clusters) expect(readFileSync(platformFileOf(c), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/platform.schema.json');
  });
});

const kubectl = requirePrograms('kubectl kustomize', ['kubectl'], 'install kubectl');
describe.skipIf(!kubectl.available)('kubectl kustomize', () => {
  /** Object files below `dir`, leaving out the GitOps folders, which are bootstrapped on their own. */
  const objectFiles = (dir: string, skip: ReadonlySet<string>): string[] => {
    const files: string[] = [];
    const walk = (d: string, rel: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (!skip.has(path)) walk(join(d, e.name), path);
        } else if (e.name !== 'kustomization.yaml' && e.name.endsWith('.yaml')) files.push(path);
      }
    };
    walk(dir, '');
    return files;
  };
  const count = (out: string) => {
    const docs = parseAllDocuments(out);
    return (Array.isArray(docs) ? docs : [docs]).length;
  };

  it.each(clusters)('builds clusters/%s with every rendered object', (cluster) => {
    const out = run('kubectl', ['kustomize', outputDirOf(cluster)]);
    expect(count(out)).toBe(objectFiles(outputDirOf(cluster), GITOPS_COMPONENTS).length);
  });

  it.each(clusters)('builds each GitOps folder of clusters/%s on its own', (cluster) => {
    const folders = [...GITOPS_COMPONENTS].filter((c) => existsSync(join(outputDirOf(cluster), c)));
    expect(folders.length, `apps/${cluster}/platform.yaml declares delivery`).toBeGreaterThan(0);
    for (const folder of folders) {
      const out = run('kubectl', ['kustomize', join(outputDirOf(cluster), folder)]);
      expect(count(out), folder).toBe(objectFiles(join(outputDirOf(cluster), folder), new Set(['operators', 'bootstrap'])).length);
    }
  });
});
