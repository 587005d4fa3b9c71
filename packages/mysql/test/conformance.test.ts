/** The conformance suite every engine passes (core/src/testing/conformance.ts), for both topologies. */
import { describeEngineConformance } from '@db/core/testing';
import { mysqlEngine } from '../src/engine.ts';
import { BASE } from './helpers.ts';

const tenants = `tenants:
  - { name: nextcloud, mysql: { database: nextcloud } }
  - { name: speedtest, mysql: { database: speedtest, rotate: false, rotateReason: "kept by hand in this test fixture" } }
`;
describeEngineConformance({ engine: mysqlEngine, platformYaml: `${BASE}mysql: { topology: standalone }\n${tenants}` });
describeEngineConformance({ engine: mysqlEngine, platformYaml: `${BASE}mysql: { topology: innodb-cluster }\n${tenants}` });
