import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scratchCacheDir } from '../src/testing/index.ts';
import { loadCrdVersions } from '../src/validate.ts';

const crdDir = join(fileURLToPath(new URL('.', import.meta.url)), '../../../schemas/crds');
const scratch = scratchCacheDir('db-platform-cache-test-');

const crdEntries = () => readdirSync(scratch).filter((f) => /^crds-[0-9a-f]{64}\.json$/.test(f));

describe('CRDs read through the JSON cache', () => {
  const first = loadCrdVersions(crdDir);

  it('parses every served CRD version from the vendored YAML', () => {
    const kinds = new Set<string>();
    for (const dir of readdirSync(crdDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const file of readdirSync(join(crdDir, dir.name)).filter((f) => f.endsWith('.yaml'))) {
        for (const doc of parseAllDocuments(readFileSync(join(crdDir, dir.name, file), 'utf8'))) {
          const crd = doc.toJS();
          for (const v of crd?.kind === 'CustomResourceDefinition' ? crd.spec.versions : []) if (v.served && v.schema?.openAPIV3Schema) kinds.add(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`);
        }
      }
    }
    expect(new Set(first.map((c) => `${c.group}/${c.version}/${c.kind}`))).toEqual(kinds);
    expect(crdEntries()).toHaveLength(1);
  });

  it('reads the same CRDs back from the cache', () => {
    expect(loadCrdVersions(crdDir)).toEqual(first);
  });

  it('falls back to the YAML when the cache entry is damaged, and repairs it', () => {
    const entry = join(scratch, crdEntries()[0]!);
    for (const damage of ['{"trunc', '{}', '']) {
      writeFileSync(entry, damage);
      expect(loadCrdVersions(crdDir)).toEqual(first);
      expect(JSON.parse(readFileSync(entry, 'utf8'))).toEqual(first);
    }
  });

  it('works when the cache cannot be written', () => {
    const file = join(scratch, 'not-a-folder');
    writeFileSync(file, '');
    process.env.DB_PLATFORM_CACHE_DIR = join(file, 'cache');
    try {
      expect(loadCrdVersions(crdDir)).toEqual(first);
    } finally {
      process.env.DB_PLATFORM_CACHE_DIR = scratch;
    }
  });
});
