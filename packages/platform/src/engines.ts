/**
 * The platform's composition: the engine list (@db/engines, the one place that names the
 * engines) and what the pipeline works out from it once.
 */
import {
  CORE_RULES,
  customResourceFactsOf,
  inputSchemaOf,
  withHistory,
  type Rule,
  type RuleHistory,
  operatorNamespaceDefaultsOf,
  tenantFieldsOf,
  type CustomResourceFacts,
  type Engine,
  type InputSchema,
} from '@db/core';
import { ENGINES, RULE_HISTORY } from '@db/engines';

export { ENGINES };

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
  /** The shared guardrails, told with the platform's history. */
  readonly sharedRules: readonly Rule[];
  /** Every guardrail: the shared ones and each engine's. */
  readonly rules: readonly Rule[];
}

export function compose(engines: readonly Engine[], history: RuleHistory = RULE_HISTORY): Composition {
  return {
    engines,
    inputSchema: inputSchemaOf(engines),
    tenantFields: tenantFieldsOf(engines),
    operatorNamespaceDefaults: operatorNamespaceDefaultsOf(engines),
    facts: customResourceFactsOf(engines),
    sharedRules: withHistory(CORE_RULES, history),
    rules: [...withHistory(CORE_RULES, history), ...engines.flatMap((e) => e.rules)],
  };
}

/** The platform: every engine above. */
export const PLATFORM: Composition = compose(ENGINES);
/** The desired-state schema of the platform. */
export const INPUT_SCHEMA: InputSchema = PLATFORM.inputSchema;
