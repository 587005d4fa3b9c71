/** The conformance suite every engine passes (core/src/testing/conformance.ts). */
import { describeEngineConformance } from '@db/core/testing';
import { PLATFORM, secrets } from './helpers.ts';

describeEngineConformance({ engine: secrets, platformYaml: PLATFORM });
