/**
 * CloudNativePG 1.30.0, as its source behaves (cloudnative-pg/cloudnative-pg@v1.30.0, see
 * src/operator-contract.ts), applied to what we render: which pods our selectors reach, where
 * our tenants' and the initdb owner's logins land in pg_hba.conf, and the affinity the
 * instance pods get. The control-plane suite runs the same stand-in against a real API server.
 */
import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import type { K8sObject } from '@db/core';
import { postgresEngine } from '../src/engine.ts';
import { resolvePostgres } from '../src/model.ts';
import { CNPG_INITDB, cnpgClusterServices, cnpgGeneratedAntiAffinity, cnpgInstancePodLabels, cnpgPgHba, cnpgPoolerPodLabels } from '../src/operator-contract.ts';
import { prodLike } from './helpers.ts';

const model = prodLike();
const pg = resolvePostgres(model);
const chart = Testing.chart();
postgresEngine.build(chart, model);
const objects = Testing.synth(chart) as K8sObject[];
const cluster = objects.find((o) => o.kind === 'Cluster')!;

const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const instance = cnpgInstancePodLabels(pg.name, `${pg.name}-1`, 16, 'primary');
const replica = cnpgInstancePodLabels(pg.name, `${pg.name}-2`, 16, 'replica');
const bouncer = cnpgPoolerPodLabels(pg.name, pg.pooler.name);

/** First matching pg_hba line for a TCP login of `user` to `database` (CNPG order, pkg/postgres/configuration.go:98-131). */
function hbaVerdict(user: string, database: string): string {
  const lines = cnpgPgHba(cluster.spec.postgresql.pg_hba).filter((l) => l.startsWith('host'));
  for (const l of lines) {
    const [type, db, u, , method] = l.split(/\s+/);
    if (type === 'hostssl' && u !== user) continue;
    if ((db === 'all' || db === database) && (u === 'all' || u === user)) return method!;
  }
  return 'no rule';
}

describe('CloudNativePG 1.30.0 contract', () => {
  it('PodMonitor and NetworkPolicies that mean the instances select instance pods, never PgBouncer pods (pkg/specs/pgbouncer/deployments.go:56-63)', () => {
    const meantForInstances = [
      ...objects.filter((o) => o.kind === 'PodMonitor' && o.metadata.name === pg.name).map((o) => o.spec.selector.matchLabels),
      ...objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === `${pg.name}-instances`).map((o) => o.spec.podSelector.matchLabels),
    ];
    expect(meantForInstances).toHaveLength(2);
    for (const selector of meantForInstances) {
      expect(selects(selector, instance)).toBe(true);
      expect(selects(selector, replica)).toBe(true);
      expect(selects(selector, bouncer)).toBe(false);
    }
  });

  it("the postgresql service selects the primary only, as CNPG's own -rw (pkg/specs/services.go:151-154)", () => {
    const compat = objects.find((o) => o.kind === 'Service' && o.metadata.name === pg.services.compat)!;
    expect(compat.spec.selector).toEqual(cnpgClusterServices(pg.name).find((s) => s.name.endsWith('-rw'))!.selector);
    expect(selects(compat.spec.selector, instance)).toBe(true);
    expect(selects(compat.spec.selector, replica)).toBe(false);
  });

  it('instance pods get one required anti-affinity term per node and our node affinity verbatim (pkg/specs/pods.go:353-445)', () => {
    expect(cluster.spec.affinity).toMatchObject({ enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' });
    const generated = cnpgGeneratedAntiAffinity(pg.name, 'required') as {
      requiredDuringSchedulingIgnoredDuringExecution: { labelSelector: { matchExpressions: { key: string; values: string[] }[] } }[];
    };
    const exprs = generated.requiredDuringSchedulingIgnoredDuringExecution[0]!.labelSelector.matchExpressions;
    expect(exprs.every((e) => e.values.includes(instance[e.key]!))).toBe(true);
    expect(cluster.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toEqual({
      key: 'kubernetes.io/hostname',
      operator: 'NotIn',
      values: ['k8s-node1'],
    });
  });

  it('the initdb owner CNPG always creates cannot log in: NOLOGIN managed role, rejected in pg_hba (api/v1/cluster_defaults.go:234-251)', () => {
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: CNPG_INITDB.database, owner: CNPG_INITDB.owner } });
    const app = cluster.spec.managed.roles.find((r: { name: string }) => r.name === CNPG_INITDB.owner);
    expect(app).toMatchObject({ login: false, ensure: 'present' });
    expect(app.passwordSecret).toBeUndefined();
    expect(hbaVerdict('app', 'app')).toBe('reject');
    expect(hbaVerdict('app', 'postgres')).toBe('reject');
  });

  it('tenants reach their own database only; the catch-all still serves the platform roles (pkg/postgres/configuration.go:98-131)', () => {
    expect(hbaVerdict('linkwarden', 'linkwarden')).toBe('scram-sha-256');
    expect(hbaVerdict('linkwarden', 'health')).toBe('reject');
    expect(hbaVerdict('linkwarden', 'postgres')).toBe('reject');
    expect(hbaVerdict(pg.backupRole, 'linkwarden')).toBe('scram-sha-256');
  });
});
