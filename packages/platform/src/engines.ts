/**
 * Every engine the platform can render, in output order. A new engine is a new package
 * exporting an `Engine`, added here. Vault comes last: it rotates the passwords of every
 * database engine that declares `credentials`.
 */
import { customResourceFactsOf, inputSchemaOf, operatorNamespaceDefaultsOf, tenantFieldsOf, type CustomResourceFacts, type Engine, type InputSchema } from '@db/core';
import { postgresEngine } from '@db/postgres';
import { mysqlEngine } from '@db/mysql';
import { redisEngine } from '@db/redis';
import { sqliteEngine } from '@db/sqlite';
import { vaultEngine } from '@db/vault';

const DATABASE_ENGINES: readonly Engine[] = [postgresEngine, mysqlEngine, redisEngine, sqliteEngine];

export const ENGINES: readonly Engine[] = [...DATABASE_ENGINES, vaultEngine(DATABASE_ENGINES)];

/** What the pipeline needs of a list of engines, worked out once. */
export interface Composition {
  readonly engines: readonly Engine[];
  /** The desired-state schema: the shared sections and every engine's. */
  readonly inputSchema: InputSchema;
  /** The engines' tenant fields, one of which every tenant uses. */
  readonly tenantFields: readonly string[];
  /** `network.operatorNamespaces` defaults the engines ask for. */
  readonly operatorNamespaceDefaults: Readonly<Record<string, string>>;
  /** What the engines say about their custom resources. */
  readonly facts: CustomResourceFacts;
}

export function compose(engines: readonly Engine[]): Composition {
  return {
    engines,
    inputSchema: inputSchemaOf(engines),
    tenantFields: tenantFieldsOf(engines),
    operatorNamespaceDefaults: operatorNamespaceDefaultsOf(engines),
    facts: customResourceFactsOf(engines),
  };
}

/** The platform: every engine above. */
export const PLATFORM: Composition = compose(ENGINES);
/** The desired-state schema of the platform. */
export const INPUT_SCHEMA: InputSchema = PLATFORM.inputSchema;
