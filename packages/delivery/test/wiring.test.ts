/**
 * The GitOps wiring is derived from the engines: a new engine with its own phase and
 * operators (here a stand-in for the Vault engine: tenants phase, External Secrets and
 * vault-config-operator) is ordered, installed and validated without a change in this package.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KUBERNETES_VERSIONS, SchemaValidator, type Engine, type K8sObject, type RenderedObject } from '@db/core';
// Real operator pins, from the engines that need them (test-only dependencies: delivery itself names no engine).
import { cloudnativePgOperator } from '@db/postgres';
import { externalSecretsOperator, vaultConfigOperator, vaultEngine } from '@db/vault';
import { modelFromYaml } from '@db/core/testing';
import { APPLICATION_HEALTH_KEY, applicationHealthCheckScript } from '../src/argocd-health.ts';
import { checkDelivery } from '../src/model.ts';
import { deliveryObjects } from '../src/delivery.ts';
import { operatorsOf } from '../src/plan.ts';

const SCHEMAS = resolve(import.meta.dirname, '../../../schemas');
const validators = new Map<string, SchemaValidator>();
/** One validator per Kubernetes version for the whole file: building one loads every CRD. */
const validatorFor = (version: (typeof KUBERNETES_VERSIONS)[number]) => {
  if (!validators.has(version)) validators.set(version, new SchemaValidator(version, SCHEMAS));
  return validators.get(version)!;
};

const base = (delivery: string, extra = '') => `cluster: test
${extra}storage: { block: ceph-rbd }
backups: { nfs: { server: nfs.lan, path: /srv } }
monitoring: { pushgateway: "http://pgw:9091", runbookBaseUrl: "https://example.org/runbooks" }
tenants: []
delivery:
${delivery}`;

const BOTH = `  tools: [argocd, flux]
  repository: { url: https://git.example.org/platform/db.git, revision: release }
`;

function engine(id: string, phase: Engine['phase'], operators: Engine['operators'], resources?: Engine['resources']): Engine {
  return { id, phase, operators, resources, enabled: () => true, check: () => [], namespaces: () => [], build: () => undefined, rules: [], alerts: () => [] };
}
const databases = engine('pgx', undefined, () => [cloudnativePgOperator('cnpg-system')]);
// What the wiring knows of a custom resource comes from the engine that renders it (here the vault engine's facts about ExternalSecrets).
const secrets = engine('secrets', 'tenants', () => [externalSecretsOperator(), vaultConfigOperator('http://vault.vault.svc.cluster.local:8200')], vaultEngine([]).resources);
const ENGINES = [databases, secrets];

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, annotations?: Record<string, string>): K8sObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), ...(annotations ? { annotations } : {}) },
});
const OBJECTS: RenderedObject[] = [
  { component: 'platform', object: obj('v1', 'Namespace', 'dbaas') },
  { component: 'pgx', object: obj('apps/v1', 'StatefulSet', 'db', 'dbaas') },
  { component: 'pgx', object: obj('v1', 'PersistentVolumeClaim', 'grows', 'dbaas', { 'resize.topolvm.io/storage_limit': '20Gi' }) },
  { component: 'pgx', object: obj('v1', 'PersistentVolumeClaim', 'fixed', 'dbaas') },
  { component: 'secrets', object: obj('external-secrets.io/v1', 'ExternalSecret', 'app-db', 'app') },
];

const find = (list: RenderedObject[], kind: string, name: string) => {
  const r = list.find((x) => x.object.kind === kind && x.object.metadata.name === name);
  if (!r) throw new Error(`no ${kind} ${name} among ${list.map((x) => `${x.component}:${x.object.kind}/${x.object.metadata.name}`).join(', ')}`);
  return r;
};

describe('wiring of a cluster with Argo CD and Flux', () => {
  const model = modelFromYaml(base(BOTH));
  const out = deliveryObjects(model, ENGINES, OBJECTS, 'platform');
  const wave = (name: string) => find(out, 'Application', name).object.metadata.annotations?.['argocd.argoproj.io/sync-wave'];

  it('puts Argo CD objects in argocd/, Flux objects in flux/ and the HelmReleases in flux/operators/', () => {
    expect([...new Set(out.map((r) => r.component))].sort()).toEqual(['argocd', 'argocd/bootstrap', 'flux', 'flux/operators']);
    expect(
      out
        .filter((r) => r.component === 'flux/operators')
        .map((r) => `${r.object.kind}/${r.object.metadata.name}`)
        .sort(),
    ).toEqual([
      'HelmRelease/cloudnative-pg',
      'HelmRelease/external-secrets',
      'HelmRelease/vault-config-operator',
      'HelmRepository/cloudnative-pg',
      'HelmRepository/external-secrets',
      'HelmRepository/vault-config-operator',
    ]);
  });

  it('orders Argo CD Applications by sync wave: project, operators, platform, generated secrets, databases, tenants', () => {
    expect(find(out, 'AppProject', 'db-platform').object.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe('-1');
    expect(['cloudnative-pg', 'external-secrets', 'vault-config-operator'].map(wave)).toEqual(['0', '0', '0']);
    // Wave 2 is the generated-secrets phase, empty here.
    expect([wave('db-platform-platform'), wave('db-platform-pgx'), wave('db-platform-secrets')]).toEqual(['1', '3', '4']);
    expect(find(out, 'Application', 'db-platform').object.spec.source).toEqual({ repoURL: 'https://git.example.org/platform/db.git', targetRevision: 'release', path: 'clusters/test/argocd' });
  });

  it('orders Flux Kustomizations with dependsOn, each phase on the one before', () => {
    const dependsOn = (name: string) => find(out, 'Kustomization', name).object.spec.dependsOn?.map((d: { name: string }) => d.name);
    expect(dependsOn('db-platform-operators')).toBeUndefined();
    expect(dependsOn('db-platform-platform')).toEqual(['db-platform-operators']);
    expect(dependsOn('db-platform-pgx')).toEqual(['db-platform-platform']);
    expect(dependsOn('db-platform-secrets')).toEqual(['db-platform-pgx']);
    expect(find(out, 'Kustomization', 'db-platform-secrets').object.spec.healthChecks).toEqual([{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'app-db', namespace: 'app' }]);
    expect(find(out, 'Kustomization', 'db-platform-operators').object.spec).toMatchObject({ prune: false, wait: true, path: './clusters/test/flux/operators' });
    expect(find(out, 'GitRepository', 'db-platform').object.spec.ref).toEqual({ branch: 'release' });
  });

  it('never prunes or deletes claims and namespaces', () => {
    const pgxApp = find(out, 'Application', 'db-platform-pgx').object.spec;
    expect(pgxApp.source.kustomize.patches).toEqual([{ target: { kind: 'PersistentVolumeClaim' }, patch: expect.stringContaining('argocd.argoproj.io/sync-options: "Prune=false,Delete=false"') }]);
    expect(find(out, 'Application', 'db-platform-platform').object.spec.source.kustomize.patches[0].target).toEqual({ kind: 'Namespace' });
    const pgxFlux = find(out, 'Kustomization', 'db-platform-pgx').object.spec;
    expect(pgxFlux.patches).toEqual([{ target: { kind: 'PersistentVolumeClaim' }, patch: expect.stringContaining('kustomize.toolkit.fluxcd.io/prune: "disabled"') }]);
    expect(pgxFlux.deletionPolicy).toBe('Orphan');
    expect(find(out, 'Application', 'db-platform-secrets').object.spec.source.kustomize).toBeUndefined();
    for (const r of out.filter((x) => x.object.kind === 'Application')) expect((r.object.metadata as { finalizers?: string[] }).finalizers, r.object.metadata.name).toBeUndefined();
  });

  it('ignores only the fields operators own, naming the claims pvc-autoresizer grows', () => {
    const ignored = find(out, 'Application', 'db-platform-pgx').object.spec.ignoreDifferences;
    expect(ignored.map((i: { kind: string; name?: string }) => `${i.kind}/${i.name ?? '*'}`)).toEqual(['PersistentVolumeClaim/grows', 'StatefulSet/*']);
    expect(find(out, 'Application', 'db-platform-secrets').object.spec.ignoreDifferences[0].jqPathExpressions).toContain('.spec.data[]?.remoteRef.conversionStrategy');
    expect(find(out, 'Application', 'db-platform-pgx').object.spec.syncPolicy.syncOptions).toEqual(expect.arrayContaining(['ServerSideApply=true', 'RespectIgnoreDifferences=true']));
  });

  it('limits the AppProject to the namespaces and kinds in use', () => {
    const spec = find(out, 'AppProject', 'db-platform').object.spec;
    expect(spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual(['app', 'argocd', 'cnpg-system', 'dbaas', 'external-secrets', 'vault-config-operator']);
    expect(spec.namespaceResourceWhitelist).toContainEqual({ group: 'external-secrets.io', kind: 'ExternalSecret' });
    expect(spec.namespaceResourceWhitelist).toContainEqual({ group: 'cert-manager.io', kind: 'Certificate' });
    expect(spec.clusterResourceWhitelist).toContainEqual({ group: '', kind: 'Namespace' });
    expect(spec.clusterResourceWhitelist).not.toContainEqual({ group: '', kind: 'Node' });
    expect(spec.sourceRepos).toEqual([
      'https://charts.external-secrets.io',
      'https://cloudnative-pg.github.io/charts',
      'https://git.example.org/platform/db.git',
      'https://redhat-cop.github.io/vault-config-operator',
    ]);
  });

  it('installs operators at their pinned chart versions, from upstream', () => {
    const cnpg = find(out, 'Application', 'cloudnative-pg').object.spec;
    expect(cnpg.source).toMatchObject({ repoURL: 'https://cloudnative-pg.github.io/charts', chart: 'cloudnative-pg', targetRevision: '0.29.0' });
    expect(cnpg.syncPolicy.automated.prune).toBe(false);
    expect(find(out, 'HelmRelease', 'external-secrets').object.spec.chart.spec).toMatchObject({ chart: 'external-secrets', version: '2.9.0' });
    expect(find(out, 'HelmRelease', 'vault-config-operator').object.spec).toMatchObject({ targetNamespace: 'vault-config-operator', chart: { spec: { version: '0.8.52' } } });
  });

  it.each(KUBERNETES_VERSIONS)('validates every object against the pinned Argo CD and Flux CRDs (Kubernetes %s)', (version) => {
    const validator = validatorFor(version);
    for (const r of out) expect(validator.validate(r.object)).toEqual([]);
  });
});

describe('an air-gapped cluster', () => {
  const model = modelFromYaml(
    base('  tools: [argocd, flux]\n  repository: { url: https://git.lab/p/db.git }\n  operators: { chartMirror: oci://registry.lab:5000/charts }\n', 'imageRegistry: registry.lab:5000\n'),
  );
  const out = deliveryObjects(model, ENGINES, OBJECTS, 'platform');

  it('pulls charts from the OCI mirror and operator images from the registry', () => {
    expect(find(out, 'Application', 'cloudnative-pg').object.spec.source).toMatchObject({ repoURL: 'registry.lab:5000/charts', chart: 'cloudnative-pg' });
    expect(find(out, 'HelmRepository', 'cloudnative-pg').object.spec).toMatchObject({ url: 'oci://registry.lab:5000/charts', type: 'oci' });
    expect(find(out, 'HelmRelease', 'external-secrets').object.spec.values).toEqual({
      installCRDs: true,
      crds: { annotations: { 'helm.sh/resource-policy': 'keep' } },
      image: { repository: 'registry.lab:5000/external-secrets/external-secrets' },
      webhook: { image: { repository: 'registry.lab:5000/external-secrets/external-secrets' } },
      certController: { image: { repository: 'registry.lab:5000/external-secrets/external-secrets' } },
    });
    expect(find(out, 'GitRepository', 'db-platform').object.spec.ref).toEqual({ branch: 'main' });
  });
});

describe('choosing the tools', () => {
  it('renders only Argo CD objects for tools: [argocd]', () => {
    const out = deliveryObjects(modelFromYaml(base('  tools: [argocd]\n  repository: { url: https://git.lab/p/db.git }\n')), ENGINES, OBJECTS, 'platform');
    expect([...new Set(out.map((r) => r.component))]).toEqual(['argocd', 'argocd/bootstrap']);
  });
  it('renders no operator installs with operators.install: false', () => {
    const out = deliveryObjects(modelFromYaml(base('  tools: [flux]\n  repository: { url: https://git.lab/p/db.git }\n  operators: { install: false }\n')), ENGINES, OBJECTS, 'platform');
    expect([...new Set(out.map((r) => r.component))]).toEqual(['flux']);
    expect(find(out, 'Kustomization', 'db-platform-platform').object.spec.dependsOn).toBeUndefined();
  });
  it('renders nothing without a delivery section', () => {
    const text = base(BOTH).replace(/delivery:\n[\s\S]*$/, '');
    expect(deliveryObjects(modelFromYaml(text), ENGINES, OBJECTS, 'platform')).toEqual([]);
  });
  it('lists each needed operator once', () => {
    expect(operatorsOf(modelFromYaml(base(BOTH)), [...ENGINES, databases]).map((o) => o.id)).toEqual(['cloudnative-pg', 'external-secrets', 'vault-config-operator']);
  });
});

describe('semantic checks of delivery, with positions', () => {
  it('refuses settings of a tool that is not chosen', () => {
    const model = modelFromYaml(base('  tools: [flux]\n  repository: { url: https://git.lab/p/db.git }\n  argocd: { namespace: gitops }\n'));
    const [p, ...rest] = checkDelivery(model, ENGINES);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ field: 'delivery.argocd', line: 9, message: expect.stringContaining('not in delivery.tools') });
  });
  it('refuses a chart mirror without an image registry', () => {
    const model = modelFromYaml(base('  tools: [argocd]\n  repository: { url: https://git.lab/p/db.git }\n  operators: { chartMirror: "https://charts.lab" }\n'));
    expect(checkDelivery(model, ENGINES)).toEqual([expect.objectContaining({ field: 'delivery.operators.chartMirror', line: 9, hint: expect.stringContaining('imageRegistry') })]);
  });
  it('refuses one operator needed in two namespaces', () => {
    const other = engine('other', undefined, () => [cloudnativePgOperator('postgres-operator')]);
    const problems = checkDelivery(modelFromYaml(base(BOTH)), [databases, other]);
    expect(problems).toEqual([expect.objectContaining({ field: 'delivery.operators', message: expect.stringContaining('cnpg-system and postgres-operator') })]);
  });
});

describe('the vendored CRDs this package types its objects with', () => {
  it('are the ones the validator loads', () => {
    const validator = validatorFor('v1.32');
    const unknownField = { ...obj('argoproj.io/v1alpha1', 'Application', 'x', 'argocd'), spec: { project: 'p', destination: {}, sourcee: {} } };
    expect(validator.validate(unknownField).map((e) => e.message)).toContain('spec: unknown field "sourcee"');
  });
});

describe('Argo CD waits between sync waves (Application health in argocd-cm)', () => {
  const out = deliveryObjects(modelFromYaml(base(BOTH)), ENGINES, OBJECTS, 'platform');
  const inArgo = (kind: string) => out.filter((r) => r.component === 'argocd' && r.object.kind === kind).map((r) => r.object);

  it('renders the argocd-cm key of Argo CD 3.5.1 docs (health.md:35-59) for bootstrap, outside the root Application', () => {
    const cm = find(out, 'ConfigMap', 'argocd-cm');
    expect(cm.component).toBe('argocd/bootstrap');
    expect(cm.object.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'argocd' });
    expect(Object.keys(cm.object.data)).toEqual([APPLICATION_HEALTH_KEY]);
    expect(cm.object.data[APPLICATION_HEALTH_KEY]).toContain('hs.status = obj.status.health.status');
  });

  it('checks it before every sync: a PreSync hook that may read argocd-cm and nothing else', () => {
    const job = inArgo('Job')[0]!;
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-1' });
    for (const kind of ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'NetworkPolicy']) expect(inArgo(kind)[0]!.metadata.annotations?.['argocd.argoproj.io/sync-wave'], kind).toBe('-2');
    expect(inArgo('Role')[0]!.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['argocd-cm'], verbs: ['get'] }]);
    const pod = job.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes.find((v: { name: string }) => v.name === 'token').projected.sources[0].serviceAccountToken.expirationSeconds).toBe(600);
    expect(inArgo('ConfigMap')[0]!.data['check.sh']).toBe(applicationHealthCheckScript());
    // The project lets the root Application create them.
    const project = find(out, 'AppProject', 'db-platform').object;
    for (const kind of ['Job', 'Role', 'RoleBinding', 'NetworkPolicy'])
      expect(
        project.spec.namespaceResourceWhitelist.some((k: { kind: string }) => k.kind === kind),
        kind,
      ).toBe(true);
  });
});
