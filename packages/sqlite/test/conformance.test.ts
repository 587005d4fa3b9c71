/** The conformance suite every engine passes (core/src/testing/conformance.ts). */
import { describeEngineConformance } from '@db/core/testing';
import { sqliteEngine } from '../src/engine.ts';
import { platformYaml } from './helpers.ts';

describeEngineConformance({ engine: sqliteEngine, platformYaml: platformYaml('  - { app: headscale, namespace: vpn, size: 2Gi }\n') });
