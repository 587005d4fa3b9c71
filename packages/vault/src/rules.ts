/** Guardrails of credential rotation, checked on the rendered objects. */
import { durationSeconds, objectRef, type Finding, type K8sObject, type Rule } from '@db/core';

const STATIC_ROLE = 'DatabaseSecretEngineStaticRole';
const CONNECTION = 'DatabaseSecretEngineConfig';

function ofKind(objects: readonly { object: K8sObject }[], kind: string): K8sObject[] {
  return objects.map((r) => r.object).filter((o) => o.kind === kind);
}

/** Host of a Vault connection URL (`...@host:port/...`). */
function urlHost(url: string): string | undefined {
  return /@(?:tcp\()?([a-z0-9.-]+):\d+/.exec(url)?.[1];
}

export const onePasswordOwner: Rule = {
  id: 'vault-one-password-owner',
  severity: 'error',
  title: 'A database password has exactly one owner',
  reason:
    'CNPG re-applies a managed role\'s password from its passwordSecret on every reconcile; a role Vault also rotates flips between two passwords and its app loses its login after each rotation (seed 000: "a role\'s password must have exactly one owner").',
  check({ objects }): Finding[] {
    const findings: Finding[] = [];
    const roles = ofKind(objects, STATIC_ROLE);
    const connections = new Map(ofKind(objects, CONNECTION).map((c) => [String(c.spec?.name ?? c.metadata.name), c]));

    // Two static roles for one login: Vault itself would be two owners.
    const seen = new Map<string, string>();
    for (const r of roles) {
      const key = `${r.spec?.dBName}/${r.spec?.username}`;
      const first = seen.get(key);
      if (first) findings.push({ object: objectRef(r), message: `rotates ${key}, which ${first} rotates too`, path: ['tenants'] });
      else seen.set(key, objectRef(r));
    }

    // A CNPG role with a passwordSecret that a static role also rotates.
    for (const cluster of ofKind(objects, 'Cluster').filter((o) => o.apiVersion.startsWith('postgresql.cnpg.io/'))) {
      const rw = `${cluster.metadata.name}-rw.${cluster.metadata.namespace}.svc.cluster.local`;
      const rotatedHere = new Set(roles.filter((r) => urlHost(String(connections.get(String(r.spec?.dBName))?.spec?.connectionURL ?? '')) === rw).map((r) => String(r.spec?.username)));
      for (const role of (cluster.spec?.managed?.roles ?? []) as { name: string; passwordSecret?: { name: string } }[]) {
        if (role.passwordSecret && rotatedHere.has(role.name)) {
          findings.push({ object: objectRef(cluster), message: `role ${role.name} takes its password from Secret ${role.passwordSecret.name} and is rotated by Vault`, path: ['tenants'] });
        }
      }
    }
    return findings;
  },
};

export const refreshBelowRotation: Rule = {
  id: 'vault-refresh-interval',
  severity: 'error',
  title: 'External Secrets refreshes a password well within its rotation period (at most 1/24 of it, and at most 1h)',
  reason:
    "A static role's old password stops working the moment Vault rotates it; until External Secrets refreshes the Secret, new connections fail. Seed 000 refreshes every 15 minutes against a 7-day rotation.",
  check({ objects }): Finding[] {
    const periods = new Map<string, number>();
    for (const r of ofKind(objects, STATIC_ROLE)) periods.set(String(r.spec?.name ?? r.metadata.name), Number(r.spec?.rotationPeriod));
    const findings: Finding[] = [];
    for (const es of ofKind(objects, 'ExternalSecret')) {
      const refresh = String(es.spec?.refreshInterval ?? '1h');
      const seconds = /^\d+(s|m|h|d)$/.test(refresh) ? durationSeconds(refresh) : Number.POSITIVE_INFINITY;
      for (const d of (es.spec?.data ?? []) as { remoteRef: { key: string } }[]) {
        const role = d.remoteRef.key.split('/').pop() ?? '';
        const period = periods.get(role);
        if (period === undefined) continue;
        const limit = Math.min(period / 24, 3600);
        if (seconds > limit) {
          findings.push({
            object: objectRef(es),
            message: `refreshes every ${refresh} but ${role} rotates every ${period}s: at most ${limit}s between rotation and refresh`,
            path: ['vault', 'refreshInterval'],
          });
          break;
        }
      }
    }
    return findings;
  },
};

export const VAULT_RULES: readonly Rule[] = [onePasswordOwner, refreshBelowRotation];
