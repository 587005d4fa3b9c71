/** Guardrails specific to PostgreSQL. */
import { objectRef, type Finding, type Rule } from '@db/core';

export const writeServiceSelectsPrimary: Rule = {
  id: 'write-service-selects-replica',
  severity: 'error',
  title: 'A service that selects database instances selects only the primary',
  reason: 'On 2026-04-04 a service selector matched the master and a replica, and writes that landed on the replica failed with READONLY.',
  check({ objects }): Finding[] {
    return objects
      .map((r) => r.object)
      .filter((o) => o.kind === 'Service' && o.spec?.selector?.['cnpg.io/cluster'] !== undefined)
      .filter((o) => o.spec.selector['cnpg.io/instanceRole'] !== 'primary')
      .map((o) => ({
        object: objectRef(o),
        message: `selects every instance of ${o.spec.selector['cnpg.io/cluster']} (add cnpg.io/instanceRole: primary, or use the operator's -ro service for reads)`,
        path: ['postgres'],
      }));
  },
};

export const POSTGRES_RULES: readonly Rule[] = [writeServiceSelectsPrimary];
