/**
 * Every engine the platform can render, in output order. A new engine is a new package
 * exporting an `Engine`, added here. Vault comes last: it rotates the passwords of every
 * database engine that declares `credentials`.
 */
import type { Engine } from '@db/core';
import { postgresEngine } from '@db/postgres';
import { mysqlEngine } from '@db/mysql';
import { redisEngine } from '@db/redis';
import { sqliteEngine } from '@db/sqlite';
import { vaultEngine } from '@db/vault';

const DATABASE_ENGINES: readonly Engine[] = [postgresEngine, mysqlEngine, redisEngine, sqliteEngine];

export const ENGINES: readonly Engine[] = [...DATABASE_ENGINES, vaultEngine(DATABASE_ENGINES)];
