/**
 * Every engine the platform can render, in output order. A new engine is a new package
 * exporting an `Engine`, added here.
 */
import type { Engine } from '@db/core';
import { postgresEngine } from '@db/postgres';
import { mysqlEngine } from '@db/mysql';
import { redisEngine } from '@db/redis';
import { sqliteEngine } from '@db/sqlite';

export const ENGINES: readonly Engine[] = [postgresEngine, mysqlEngine, redisEngine, sqliteEngine];
