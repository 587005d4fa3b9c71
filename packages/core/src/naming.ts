/** Names that are not valid in every place they end up are refused at input. */

/** PostgreSQL and MySQL keywords and system names a tenant may not take. */
export const RESERVED_SQL_NAMES: ReadonlySet<string> = new Set([
  'postgres',
  'template0',
  'template1',
  'app',
  'streaming_replica',
  'cnpg_pooler_pgbouncer',
  'db_backup',
  'mysql',
  'information_schema',
  'performance_schema',
  'sys',
  'root',
  'mysql_sys',
  'admin',
  'user',
  'select',
  'insert',
  'update',
  'delete',
  'drop',
  'table',
  'grant',
  'all',
  'public',
  'default',
  'role',
  'database',
]);

/** Role names that start with `pg_` are reserved by PostgreSQL itself. */
export function isReservedSqlName(name: string): boolean {
  return RESERVED_SQL_NAMES.has(name) || name.startsWith('pg_');
}

/** The kebab-case form of an identifier, for object names (`claude_memory` → `claude-memory`). */
export function kebab(name: string): string {
  return name.replace(/_/g, '-');
}

/** Reads `"15m"`, `"6h"`, `"7d"` as seconds. */
export function durationSeconds(d: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
