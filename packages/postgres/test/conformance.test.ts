/** The conformance suite every engine passes (core/src/testing/conformance.ts). */
import { describeEngineConformance } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { PROD_LIKE } from './helpers.ts';

describeEngineConformance({ engine: postgresEngine, platformYaml: PROD_LIKE });
