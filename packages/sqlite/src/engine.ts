import type { Engine } from '@db/core';
import { SqliteVolume, sqliteVolumes } from './volume.ts';
import { sqliteDocs } from './docs.ts';

export const sqliteEngine: Engine = {
  id: 'sqlite',
  description: 'SQLite volumes of the apps',
  enabled: (model) => (model.input.sqlite ?? []).length > 0,
  // Duplicate apps are checked with the shared settings (core checks.ts).
  check: () => [],
  // The claims live in the apps' own namespaces, which the apps own.
  namespaces: () => [],
  build(scope, model) {
    for (const v of sqliteVolumes(model)) new SqliteVolume(scope, v.app, v);
  },
  rules: [],
  alerts: () => [],
  docs: sqliteDocs,
};
