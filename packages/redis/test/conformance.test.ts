/** The conformance suite every engine passes (core/src/testing/conformance.ts), for both topologies. */
import { describeEngineConformance } from '@db/core/testing';
import { redisEngine } from '../src/engine.ts';
import { DEFAULT_TENANTS, platformText } from './helpers.ts';

describeEngineConformance({ engine: redisEngine, platformYaml: platformText('{ topology: standalone }', DEFAULT_TENANTS) });
describeEngineConformance({ engine: redisEngine, platformYaml: platformText('{ topology: sentinel }', DEFAULT_TENANTS) });
