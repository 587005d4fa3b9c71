import type { Engine } from '@db/core';
import { checkSqlite } from './checks.ts';
import { sqliteVolumes } from './model.ts';
import { SqliteVolume } from './volume.ts';
import { sqliteDocs } from './docs.ts';
import { SqliteSection, sqliteSection } from './schema.ts';

export const sqliteEngine: Engine = {
  id: 'sqlite',
  description: 'SQLite volumes of the apps',
  // A list of volumes of its own, after `tenants` in the file.
  schema: { section: SqliteSection, afterTenants: true },
  enabled: (model) => (sqliteSection(model.input) ?? []).length > 0,
  check: checkSqlite,
  // The claims live in the apps' own namespaces, which the apps own.
  namespaces: () => [],
  build(scope, model) {
    for (const v of sqliteVolumes(model)) new SqliteVolume(scope, v.app, v);
  },
  rules: [],
  alerts: () => [],
  docs: sqliteDocs,
};
