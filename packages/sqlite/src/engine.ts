import type { Engine, Problem } from '@db/core';
import { SqliteVolume, sqliteVolumes } from './volume.ts';
import { sqliteDocs } from './docs.ts';
import { SqliteSection, sqliteSection } from './schema.ts';

export const sqliteEngine: Engine = {
  id: 'sqlite',
  description: 'SQLite volumes of the apps',
  // A list of volumes of its own, after `tenants` in the file.
  schema: { section: SqliteSection, afterTenants: true },
  enabled: (model) => (sqliteSection(model.input) ?? []).length > 0,
  check(model) {
    const problems: Problem[] = [];
    const apps = new Map<string, number>();
    (sqliteSection(model.input) ?? []).forEach((s, i) => {
      const seen = apps.get(s.app);
      if (seen !== undefined) problems.push(model.source.problem(['sqlite', i, 'app'], `SQLite volume for "${s.app}" is declared twice (first at sqlite[${seen}])`));
      else apps.set(s.app, i);
    });
    return problems;
  },
  // The claims live in the apps' own namespaces, which the apps own.
  namespaces: () => [],
  build(scope, model) {
    for (const v of sqliteVolumes(model)) new SqliteVolume(scope, v.app, v);
  },
  rules: [],
  alerts: () => [],
  docs: sqliteDocs,
};
