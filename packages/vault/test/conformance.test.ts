/** The conformance suite every engine passes (core/src/testing/conformance.ts); Vault with the engines whose logins it rotates. */
import { describeEngineConformance } from '@db/core/testing';
import { BASE, DATABASE_ENGINES, TENANTS, vault } from './helpers.ts';

describeEngineConformance({ engine: vault, with: DATABASE_ENGINES, platformYaml: `${BASE}vault: {}\n${TENANTS}` });
