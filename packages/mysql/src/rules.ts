/** Guardrails specific to MySQL. */
import { objectRef, type Finding, type Rule } from '@db/core';

export const innodbClusterSoftAntiAffinity: Rule = {
  id: 'mysql-soft-anti-affinity',
  severity: 'error',
  title: 'InnoDB Cluster members are kept one per node by a required anti-affinity',
  reason:
    'On 2026-04-22 a soft (preferred) anti-affinity let the scheduler put two of three Redis pods on one node; when it went NotReady the group lost its majority. Group Replication has the same majority rule.',
  check({ objects }): Finding[] {
    return objects
      .map((r) => r.object)
      .filter((o) => o.kind === 'InnoDBCluster' && (o.spec?.instances ?? 1) > 1)
      .filter((o) => {
        const terms: any[] = o.spec?.podSpec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
        return !terms.some((t) => t.topologyKey === 'kubernetes.io/hostname');
      })
      .map((o) => ({ object: objectRef(o), message: 'members may share a node: add a required pod anti-affinity on kubernetes.io/hostname to spec.podSpec.affinity', path: ['mysql'] }));
  },
};

export const MYSQL_RULES: readonly Rule[] = [innodbClusterSoftAntiAffinity];
