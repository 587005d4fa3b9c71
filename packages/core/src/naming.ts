/** Names that are not valid in every place they end up are refused at input. */

/** SQL keywords and names no tenant may take on any SQL server; engines add their servers' own (`isReservedSqlName`). */
export const RESERVED_SQL_NAMES: ReadonlySet<string> = new Set([
  'information_schema',
  'performance_schema',
  'sys',
  'root',
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

/** What a SQL engine reserves besides the shared keywords: system names, and prefixes of system roles. */
export interface ReservedNames {
  readonly names: ReadonlySet<string>;
  readonly prefixes?: readonly string[];
}

export function isReservedSqlName(name: string, engine: ReservedNames): boolean {
  return RESERVED_SQL_NAMES.has(name) || engine.names.has(name) || (engine.prefixes ?? []).some((p) => name.startsWith(p));
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
