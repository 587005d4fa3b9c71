/** Targeted assertions on what the PostgreSQL engine renders (the golden files cover the rest). */
import { describe, expect, it } from 'vitest';
import { synthEngine, findObject, modelFromYaml as modelFromYamlOf } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { PROD_LIKE, prodLike } from './helpers.ts';

/** A model checked against this package's schema (other engines' sections pass unchecked). */
const modelFromYaml = (text: string) => modelFromYamlOf(text, [postgresEngine], { othersOpaque: true });

const objects = synthEngine(postgresEngine, prodLike());
const cluster = findObject(objects, 'Cluster', 'pg-cluster');
const roles: any[] = cluster.spec.managed.roles;

describe('CNPG Cluster', () => {
  it('pins the PostGIS 16 image, keeps superuser access off and uses block storage', () => {
    expect(cluster.spec.imageName).toBe('ghcr.io/cloudnative-pg/postgis:16-3.4-49');
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
    expect(cluster.spec.storage.storageClass).toBe('proxmox-lvm');
    expect(cluster.spec.instances).toBe(2);
  });

  it('keeps instances off the GPU node and apart from each other', () => {
    expect(cluster.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['k8s-node1'] },
    ]);
    expect(cluster.spec.affinity.podAntiAffinityType).toBe('required');
  });

  it('gives Vault sole ownership of rotated roles: no passwordSecret', () => {
    for (const name of ['linkwarden', 'health', 'lumen']) expect(roles.find((r) => r.name === name)).not.toHaveProperty('passwordSecret');
    expect(roles.find((r) => r.name === 'authentik').passwordSecret).toEqual({ name: 'authentik-db' });
  });

  it('opts pods out of Keel and Diun', () => {
    expect(cluster.spec.inheritedMetadata.annotations).toEqual({ 'keel.sh/policy': 'never', 'diun.enable': 'false' });
    expect(cluster.spec.inheritedMetadata.labels['keel.sh/policy']).toBe('never');
  });

  it('sets requests and a memory limit, and sizes shared_buffers from it', () => {
    expect(cluster.spec.resources.limits.memory).toBe('2Gi');
    expect(cluster.spec.postgresql.parameters.shared_buffers).toBe('512MB');
  });
});

describe('PgBouncer', () => {
  const pooler = findObject(objects, 'Pooler', 'pgbouncer');
  it('runs 3 rw instances with a PDB that keeps 2', () => {
    expect(pooler.spec.instances).toBe(3);
    expect(pooler.spec.type).toBe('rw');
    const pdb = findObject(objects, 'PodDisruptionBudget', 'pgbouncer');
    expect(pdb.spec.minAvailable).toBe(2);
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });

  it('has no PDB when it runs a single instance', () => {
    const single = synthEngine(postgresEngine, modelFromYaml(PROD_LIKE.replace('postgres: { instances: 2 }', 'postgres: { instances: 2, pooler: { instances: 1 } }')));
    expect(single.find((o) => o.kind === 'PodDisruptionBudget')).toBeUndefined();
  });
});

describe('services', () => {
  it('the postgresql compatibility service selects only the primary', () => {
    expect(findObject(objects, 'Service', 'postgresql').spec.selector).toEqual({ 'cnpg.io/cluster': 'pg-cluster', 'cnpg.io/instanceRole': 'primary' });
  });
});

describe('tenants', () => {
  it('get a Database each, owned by their role, retained on delete', () => {
    const db = findObject(objects, 'Database', 'pg-cluster-health');
    expect(db.spec).toMatchObject({ name: 'health', owner: 'health', cluster: { name: 'pg-cluster' }, databaseReclaimPolicy: 'retain' });
  });
});

describe('network policy', () => {
  const pooler = findObject(objects, 'NetworkPolicy', 'pgbouncer');
  const instances = findObject(objects, 'NetworkPolicy', 'pg-cluster-instances');
  const namespacesIn = (rule: any) => rule.from.map((p: any) => p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']).filter(Boolean);

  it('lets pooler tenants reach PgBouncer on 5432, selecting namespaces by matchLabels only', () => {
    const rule = pooler.spec.ingress.find((r: any) => r.ports[0].port === 5432);
    expect(namespacesIn(rule)).toEqual(['apple-health-data', 'authentik', 'linkwarden']);
    expect(JSON.stringify(pooler)).not.toContain('matchExpressions');
  });

  it('lets direct tenants reach the instances, and only them', () => {
    const rule = instances.spec.ingress.find((r: any) => r.ports.length === 1 && r.ports[0].port === 5432);
    expect(namespacesIn(rule)).toEqual(['lumen']);
  });

  it('lets the CNPG operator reach 8000 and instances reach the API server', () => {
    expect(instances.spec.ingress.some((r: any) => r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'cnpg-system' && r.ports.some((p: any) => p.port === 8000))).toBe(true);
    expect(instances.spec.egress.some((r: any) => r.to === undefined && r.ports.map((p: any) => p.port).join() === '443,6443')).toBe(true);
  });

  it('never renders an empty peer list (which would mean "everyone")', () => {
    const noTenants = synthEngine(postgresEngine, modelFromYaml(PROD_LIKE.replace(/tenants:[\s\S]*$/, 'tenants: []\n')));
    const policy = findObject(noTenants, 'NetworkPolicy', 'pgbouncer');
    expect(policy.spec.ingress).toHaveLength(1); // only Prometheus
    for (const p of noTenants.filter((o) => o.kind === 'NetworkPolicy')) for (const r of p.spec.ingress ?? []) expect(r.from?.length ?? 1).toBeGreaterThan(0);
  });
});

describe('backup job pod', () => {
  it('meets Pod Security restricted with a read-only root filesystem', () => {
    const pod = findObject(objects, 'CronJob', 'pg-cluster-backup').spec.jobTemplate.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 26, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(JSON.stringify(pod.containers[0].env)).not.toMatch(/PGPASSWORD","value"/);
  });
});

describe('lab variant', () => {
  it('renders PostgreSQL 18 from a private registry', () => {
    const lab = synthEngine(
      postgresEngine,
      modelFromYaml(PROD_LIKE.replace('cluster: test', 'cluster: test\nimageRegistry: registry.lab.internal:5000').replace('postgres: { instances: 2 }', 'postgres: { instances: 3, version: 18 }')),
    );
    const c = findObject(lab, 'Cluster', 'pg-cluster');
    expect(c.spec.imageName).toBe('registry.lab.internal:5000/cloudnative-pg/postgresql:18.1-standard-trixie');
    expect(findObject(lab, 'Pooler', 'pgbouncer').spec.pgbouncer.image).toMatch(/^registry\.lab\.internal:5000\//);
  });
});
