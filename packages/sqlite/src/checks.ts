/** Semantic checks of the `sqlite:` section. */
import type { PlatformModel, Problem } from '@db/core';
import { sqliteSection } from './schema.ts';

export function checkSqlite(model: PlatformModel): Problem[] {
  const problems: Problem[] = [];
  const apps = new Map<string, number>();
  (sqliteSection(model.input) ?? []).forEach((s, i) => {
    const seen = apps.get(s.app);
    if (seen !== undefined) problems.push(model.source.problem(['sqlite', i, 'app'], `SQLite volume for "${s.app}" is declared twice (first at sqlite[${seen}])`));
    else apps.set(s.app, i);
  });
  return problems;
}
