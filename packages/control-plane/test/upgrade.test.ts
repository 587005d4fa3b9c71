/**
 * Upgrades are safe as `npm run diff` says, proven against the real API server of every built
 * Kubernetes version:
 *  - the previous render (clusters/ at $UPGRADE_FROM, else at the parent of the newest commit
 *    that changed clusters/) is applied with what its operators create, then the committed
 *    render: every object the API server refuses is one diffTrees names as needing a replace,
 *    and every object diffTrees names is refused (both directions); replacing exactly those as
 *    the README says (a StatefulSet with --cascade=orphan, keeping its pods and claims) makes
 *    the full apply succeed;
 *  - each rule of IMMUTABLE_RULES (@db/delivery), on a minimal object: a field the rules call
 *    immutable is refused in place, a field they call mutable is accepted (and really changed).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTree, type K8sObject } from '@db/core';
import { committedTrees, diffTrees, immutableChanges, IMMUTABLE_RULES, type ObjectChange } from '@db/delivery';
import { ControlPlane, requireControlPlane, type KubeVersion, type ObjectApplyResult } from '../src/index.ts';
import { discoverClusters, ref, ROOT, writeTree, type ClusterInfo, type Obj } from './lib/desired.ts';
import { Operators } from './lib/operators.ts';
import { applyGitopsFolder, bootstrap, createArgoCdConfigMap, namespacesFor, readRendered, waitAllReady, type RenderedCluster } from './lib/platform.ts';
import { KNOWN_RULE_DISAGREEMENTS } from './lib/known-defects.ts';

const check = requireControlPlane('control-plane suite (upgrade safety)');
const CLUSTERS = check.available ? discoverClusters() : [];

const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
function previousRef(): { ref: string; why: string } {
  if (process.env.UPGRADE_FROM) return { ref: process.env.UPGRADE_FROM, why: 'UPGRADE_FROM' };
  const last = git(['log', '-1', '--format=%H', '--', 'clusters']);
  return { ref: `${last}~1`, why: `parent of ${last.slice(0, 10)}, the newest commit that changed clusters/` };
}
const FROM = check.available ? previousRef() : { ref: '', why: '' };
const OLD = check.available ? committedTrees(ROOT, FROM.ref) : new Map<string, Map<string, string>>();
const cases = check.versions.flatMap((version) =>
  CLUSTERS.map((cluster) => ({ version, cluster, title: `Kubernetes ${version.version}, cluster ${cluster.name}: upgrade from ${FROM.ref.slice(0, 12)} to the committed render` })),
);

/** The render's objects in apply order: platform, then the GitOps folders (with their field managers). */
function applyPlan(r: RenderedCluster): { obj: Obj; manager: string }[] {
  return [
    ...r.objects.map((obj) => ({ obj, manager: 'db-platform' })),
    ...r.gitops.flatMap((g) => g.objects.map((obj) => ({ obj, manager: g.name === 'argocd/bootstrap' ? 'db-platform-bootstrap' : 'db-platform-gitops' }))),
  ];
}

describe.each(cases)('$title', ({ version, cluster }: { version: KubeVersion; cluster: ClusterInfo }) => {
  const oldTree = OLD.get(cluster.name);
  let cp: ControlPlane;
  let before: RenderedCluster;
  let after: RenderedCluster;
  let changes: ObjectChange[] = [];
  let refused: ObjectApplyResult[] = [];
  let oldDir = '';

  beforeAll(async () => {
    if (!oldTree) return;
    oldDir = writeTree(cluster.name, oldTree);
    before = readRendered(cluster, oldDir);
    after = readRendered(cluster);
    changes = diffTrees(new Map([[cluster.name, oldTree]]), new Map([[cluster.name, readTree(cluster.dir)]]));
    const namespaces = [...new Set([...namespacesFor(before), ...namespacesFor(after)])];
    cp = (await bootstrap(version, `${cluster.name}-upgrade`, after.topology, namespaces)).cp;
  }, 180_000);
  afterAll(async () => {
    await cp?.stop();
    if (oldDir) rmSync(dirname(dirname(oldDir)), { recursive: true, force: true });
  });

  it('refuses in place exactly the objects npm run diff names as needing a replace (both directions)', async (ctx) => {
    if (!oldTree) {
      console.log(`[${version.version} ${cluster.name}] no clusters/${cluster.name} at ${FROM.ref}: nothing to upgrade from`);
      return ctx.skip();
    }
    // The cluster as the previous render left it: its objects, and what its operators made of them.
    if (before.gitops.some((g) => g.name === 'argocd/bootstrap') || after.gitops.some((g) => g.name === 'argocd/bootstrap')) createArgoCdConfigMap(cp);
    const old = await cp.applyServerSide(before.yaml, { fieldManager: 'db-platform', allowFailure: true });
    for (const g of before.gitops) await applyGitopsFolder(cp, g, { allowFailure: true });
    const oldOps = new Operators(cp);
    const oldStandIns = await oldOps.createAll();
    const oldRefusals = oldStandIns.filter((x) => !x.ok);

    // Then the committed render, object by object, as a sync applies it.
    const results: ObjectApplyResult[] = [];
    for (const { obj, manager } of applyPlan(after)) results.push(await cp.applyObject(obj, { fieldManager: manager, force: true }));
    refused = results.filter((x) => !x.ok);
    const minor = Number(version.version.split('.')[1]);
    // What this release refuses: a change a newer release accepts (mutableSince) is named for every supported one.
    const refusedHere = (c: (typeof changes)[number]) => c.replace.some((x) => x.mutableSince === undefined || minor < Number(x.mutableSince.split('.')[1]));
    const named = changes.filter((c) => c.change === 'changed' && refusedHere(c));
    const namedRefs = new Set(named.map((c) => c.object));
    const refusedRefs = new Set(refused.map((x) => x.ref));
    console.log(
      `[${version.version} ${cluster.name}] upgrade from ${FROM.ref} (${FROM.why}): ${changes.length} files differ (${changes.filter((c) => c.change === 'added').length} added, ${changes.filter((c) => c.change === 'changed').length} changed, ${changes.filter((c) => c.change === 'removed').length} removed)\n` +
        `  previous render applied: kubectl exit ${old.status}${
          old.status
            ? `: ${old.stderr
                .split('\n')
                .filter((l) => l.startsWith('Error'))
                .join(' | ')}`
            : ''
        }; its operator objects: ${oldStandIns.length - oldRefusals.length} accepted, ${oldRefusals.length} refused${oldRefusals.map((x) => `\n    ${x.ref}: ${x.message}`).join('')}\n` +
        `  npm run diff names ${named.length} for a replace${named.map((c) => `\n    ${c.object}: ${c.replace.map((x) => x.field).join(', ')}`).join('')}\n` +
        `  the API server refused ${refused.length} in place${refused.map((x) => `\n    ${x.ref}: ${x.message.split('\n')[0]}`).join('')}`,
    );
    expect([...refusedRefs].filter((x) => !namedRefs.has(x)).map((x) => `${x} refused but not named: ${refused.find((y) => y.ref === x)?.message}`)).toEqual([]);
    expect([...namedRefs].filter((x) => !refusedRefs.has(x)).map((x) => `${x} named for a replace but accepted in place`)).toEqual([]);
  });

  it('after replacing exactly those (a StatefulSet with --cascade=orphan, keeping its pods and claims), the full apply succeeds with zero errors', async (ctx) => {
    if (!oldTree) return ctx.skip();
    const claimsBefore = new Map((await cp.list('v1', 'PersistentVolumeClaim')).map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c.metadata.uid as string]));
    for (const x of refused) {
      const [kind, ...rest] = x.ref.split('/');
      const name = rest.pop()!;
      const ns = rest[0];
      const obj = applyPlan(after).find((p) => ref(p.obj) === x.ref)!.obj;
      const resource = `${kind!.toLowerCase()}.${obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : ''}`.replace(/\.$/, '');
      cp.kubectlOk(['delete', resource, name, ...(ns ? ['-n', ns] : []), ...(kind === 'StatefulSet' ? ['--cascade=orphan'] : []), '--wait=true']);
    }
    const res = await cp.applyServerSide(after.yaml, { fieldManager: 'db-platform', forceConflicts: true, allowFailure: true });
    expect(res.status, res.stderr).toBe(0);
    expect(res.warnings).toEqual([]);
    for (const g of after.gitops) {
      const r = await applyGitopsFolder(cp, g, { allowFailure: true, forceConflicts: true });
      expect(r.status, `${g.name}: ${r.stderr}`).toBe(0);
    }
    // What the operators make of the new custom resources is accepted too.
    const ops = new Operators(cp);
    expect((await ops.createAll()).filter((x) => !x.ok).map((x) => `${x.ref}: ${x.message}`)).toEqual([]);
    // A replaced StatefulSet kept its claims (the same objects), and everything runs again.
    const claimsAfter = new Map((await cp.list('v1', 'PersistentVolumeClaim')).map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c.metadata.uid as string]));
    for (const [k, uid] of claimsBefore) if (claimsAfter.has(k)) expect(claimsAfter.get(k), k).toBe(uid);
    await waitAllReady(cp, ops, 120_000, 'every pod Ready after the upgrade');
  });
});

// ---------------------------------------------------------------------------------------------
// IMMUTABLE_RULES, rule by rule.

const NS = 'immutable-rules';
const pod = (name: string) => ({ metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }] } });
const claimTemplate = (size: string) => [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } }];

interface RuleCase {
  /** `group/Kind` of IMMUTABLE_RULES. */
  readonly rule: string;
  /** What changes (a field path). */
  readonly field: string;
  /** The object as rendered before, last (after what it needs). */
  readonly base: (name: string) => Obj[];
  /** A JSON merge patch: the change, as the next render would make it. */
  readonly patch: Obj;
  /** Waits before the change (e.g. until a claim is bound). */
  readonly ready?: (cp: ControlPlane, name: string) => Promise<void>;
}

const meta = (kind: string, apiVersion: string, name: string, namespaced = true) => ({ apiVersion, kind, metadata: { name, ...(namespaced ? { namespace: NS } : {}) } });
const sts = (n: string) => [
  {
    ...meta('StatefulSet', 'apps/v1', n),
    spec: {
      serviceName: n,
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: n } },
      template: pod(n),
      volumeClaimTemplates: claimTemplate('1Gi'),
    },
  },
];
const workload = (kind: string) => (n: string) => [
  { ...meta(kind, 'apps/v1', n), spec: { ...(kind === 'DaemonSet' ? {} : { replicas: 1 }), selector: { matchLabels: { app: n } }, template: pod(n) } },
];
const job =
  (extra: Obj = {}) =>
  (n: string) => [{ ...meta('Job', 'batch/v1', n), spec: { completions: 1, parallelism: 1, backoffLimit: 0, ...extra, template: { ...pod(n), spec: { ...pod(n).spec, restartPolicy: 'Never' } } } }];
const service = (n: string) => [{ ...meta('Service', 'v1', n), spec: { selector: { app: n }, ports: [{ name: 'p', port: 80 }] } }];
const pv = (n: string) => [
  {
    ...meta('PersistentVolume', 'v1', n, false),
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'manual',
      mountOptions: ['hard'],
      volumeMode: 'Filesystem',
      nfs: { server: 'nfs.example.internal', path: '/a' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-a'] }] }] } },
    },
  },
];
/** A CSI volume: the only kind a volume attributes class applies to. */
const csiPv = (n: string) => [
  {
    ...meta('PersistentVolume', 'v1', n, false),
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'manual', csi: { driver: 'csi.example.com', volumeHandle: n } },
  },
];
/** A claim bound the way ours are (WaitForFirstConsumer: a pod uses it first); the claim is the case's object. */
const boundClaim = (n: string) => [
  { ...meta('Pod', 'v1', `${n}-user`), spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: n } }] } },
  { ...meta('PersistentVolumeClaim', 'v1', n), spec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
];
const waitBound = async (cp: ControlPlane, n: string) =>
  cp.waitFor(async () => (await cp.getPath<Obj>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/${n}`)).status?.phase === 'Bound', 60_000, `claim ${n} Bound`);
const configMap = (immutable: boolean) => (n: string) => [{ ...meta('ConfigMap', 'v1', n), immutable, data: { a: '1' } }];
const secret = (immutable: boolean) => (n: string) => [{ ...meta('Secret', 'v1', n), immutable, type: 'Opaque', stringData: { a: '1' } }];
const rbac = (kind: string) => (n: string) => {
  const cluster = kind === 'ClusterRoleBinding';
  return [
    { ...meta(cluster ? 'ClusterRole' : 'Role', 'rbac.authorization.k8s.io/v1', `${n}-a`, !cluster), rules: [] },
    { ...meta(cluster ? 'ClusterRole' : 'Role', 'rbac.authorization.k8s.io/v1', `${n}-b`, !cluster), rules: [] },
    {
      ...meta(kind, 'rbac.authorization.k8s.io/v1', n, !cluster),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: cluster ? 'ClusterRole' : 'Role', name: `${n}-a` },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NS }],
    },
  ];
};
const storageClass = (n: string) => [
  {
    ...meta('StorageClass', 'storage.k8s.io/v1', n, false),
    provisioner: 'example.com/a',
    parameters: { type: 'a' },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: false,
    mountOptions: ['hard'],
  },
];

const RULE_CASES: readonly RuleCase[] = [
  ...[
    'serviceName',
    'selector',
    'volumeClaimTemplates',
    'podManagementPolicy',
    'replicas',
    'template',
    'updateStrategy',
    'revisionHistoryLimit',
    'persistentVolumeClaimRetentionPolicy',
    'minReadySeconds',
    'ordinals',
  ].map(
    (f): RuleCase => ({
      rule: 'apps/StatefulSet',
      field: `spec.${f}`,
      base: sts,
      patch: {
        serviceName: { spec: { serviceName: 'other' } },
        selector: { spec: { selector: { matchLabels: { extra: 'x' } }, template: { metadata: { labels: { extra: 'x' } } } } },
        volumeClaimTemplates: { spec: { volumeClaimTemplates: claimTemplate('2Gi') } },
        podManagementPolicy: { spec: { podManagementPolicy: 'Parallel' } },
        replicas: { spec: { replicas: 2 } },
        template: { spec: { template: { metadata: { annotations: { changed: 'yes' } } } } },
        updateStrategy: { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: null } } },
        revisionHistoryLimit: { spec: { revisionHistoryLimit: 3 } },
        persistentVolumeClaimRetentionPolicy: { spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } } },
        minReadySeconds: { spec: { minReadySeconds: 5 } },
        ordinals: { spec: { ordinals: { start: 1 } } },
      }[f]!,
    }),
  ),
  ...['Deployment', 'DaemonSet', 'ReplicaSet'].flatMap((kind): RuleCase[] => [
    { rule: `apps/${kind}`, field: 'spec.selector', base: workload(kind), patch: { spec: { selector: { matchLabels: { extra: 'x' } }, template: { metadata: { labels: { extra: 'x' } } } } } },
    { rule: `apps/${kind}`, field: 'spec.template', base: workload(kind), patch: { spec: { template: { metadata: { annotations: { changed: 'yes' } } } } } },
  ]),
  { rule: 'batch/Job', field: 'spec.template', base: job(), patch: { spec: { template: { metadata: { annotations: { changed: 'yes' } } } } } },
  { rule: 'batch/Job', field: 'spec.selector', base: job(), patch: { spec: { selector: { matchLabels: { extra: 'x' } } } } },
  { rule: 'batch/Job', field: 'spec.completions', base: job(), patch: { spec: { completions: 2 } } },
  { rule: 'batch/Job', field: 'spec.completionMode', base: job(), patch: { spec: { completionMode: 'Indexed' } } },
  { rule: 'batch/Job', field: 'spec.podFailurePolicy', base: job(), patch: { spec: { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } } } },
  {
    rule: 'batch/Job',
    field: 'spec.backoffLimitPerIndex',
    base: job({ completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 1, backoffLimit: undefined }),
    patch: { spec: { backoffLimitPerIndex: 2 } },
  },
  {
    rule: 'batch/Job',
    field: 'spec.successPolicy',
    base: job({ completionMode: 'Indexed', completions: 2, parallelism: 2, successPolicy: { rules: [{ succeededIndexes: '0' }] } }),
    patch: { spec: { successPolicy: { rules: [{ succeededIndexes: '1' }] } } },
  },
  { rule: 'batch/Job', field: 'spec.managedBy', base: job({ managedBy: 'example.com/job-controller' }), patch: { spec: { managedBy: 'example.com/other-controller' } } },
  { rule: 'batch/Job', field: 'spec.parallelism', base: job(), patch: { spec: { parallelism: 2 } } },
  { rule: 'batch/Job', field: 'spec.activeDeadlineSeconds', base: job(), patch: { spec: { activeDeadlineSeconds: 600 } } },
  { rule: '/Service', field: 'spec.clusterIP', base: service, patch: { spec: { clusterIP: '10.96.200.200', clusterIPs: ['10.96.200.200'] } } },
  { rule: '/Service', field: 'spec.clusterIPs', base: service, patch: { spec: { clusterIPs: ['10.96.200.201'] } } },
  { rule: '/Service', field: 'spec.ports', base: service, patch: { spec: { ports: [{ name: 'p', port: 8080 }] } } },
  { rule: '/Service', field: 'spec.selector', base: service, patch: { spec: { selector: { app: 'other' } } } },
  { rule: '/PersistentVolume', field: 'spec.nfs', base: pv, patch: { spec: { nfs: { path: '/b' } } } },
  {
    rule: '/PersistentVolume',
    field: 'spec.nodeAffinity',
    base: pv,
    patch: { spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-b'] }] }] } } } },
  },
  { rule: '/PersistentVolume', field: 'spec.capacity', base: pv, patch: { spec: { capacity: { storage: '2Gi' } } } },
  { rule: '/PersistentVolume', field: 'spec.accessModes', base: pv, patch: { spec: { accessModes: ['ReadWriteMany'] } } },
  { rule: '/PersistentVolume', field: 'spec.claimRef', base: pv, patch: { spec: { claimRef: { namespace: NS, name: 'some-claim' } } } },
  { rule: '/PersistentVolume', field: 'spec.persistentVolumeReclaimPolicy', base: pv, patch: { spec: { persistentVolumeReclaimPolicy: 'Delete' } } },
  { rule: '/PersistentVolume', field: 'spec.storageClassName', base: pv, patch: { spec: { storageClassName: 'other' } } },
  { rule: '/PersistentVolume', field: 'spec.mountOptions', base: pv, patch: { spec: { mountOptions: ['soft'] } } },
  { rule: '/PersistentVolume', field: 'spec.volumeMode', base: pv, patch: { spec: { volumeMode: 'Block' } } },
  { rule: '/PersistentVolumeClaim', field: 'spec.storageClassName', base: boundClaim, ready: waitBound, patch: { spec: { storageClassName: 'other' } } },
  { rule: '/PersistentVolumeClaim', field: 'spec.accessModes', base: boundClaim, ready: waitBound, patch: { spec: { accessModes: ['ReadWriteMany'] } } },
  { rule: '/PersistentVolumeClaim', field: 'spec.resources', base: boundClaim, ready: waitBound, patch: { spec: { resources: { requests: { storage: '2Gi' } } } } },
  { rule: '/PersistentVolume', field: 'spec.volumeAttributesClassName', base: csiPv, patch: { spec: { volumeAttributesClassName: 'fast' } } },
  { rule: '/PersistentVolumeClaim', field: 'spec.volumeAttributesClassName', base: boundClaim, ready: waitBound, patch: { spec: { volumeAttributesClassName: 'fast' } } },
  { rule: '/ConfigMap', field: 'data (immutable: true)', base: configMap(true), patch: { data: { a: '2' } } },
  { rule: '/ConfigMap', field: 'binaryData (immutable: true)', base: configMap(true), patch: { binaryData: { b: 'AAE=' } } },
  { rule: '/ConfigMap', field: 'data', base: configMap(false), patch: { data: { a: '2' } } },
  { rule: '/Secret', field: 'data (immutable: true)', base: secret(true), patch: { data: { a: 'Mg==' } } },
  { rule: '/Secret', field: 'stringData (immutable: true)', base: secret(true), patch: { stringData: { a: '2' } } },
  { rule: '/Secret', field: 'data', base: secret(false), patch: { data: { a: 'Mg==' } } },
  { rule: '/Secret', field: 'type', base: secret(false), patch: { type: 'example.com/other' } },
  ...['RoleBinding', 'ClusterRoleBinding'].flatMap((kind): RuleCase[] => [
    { rule: `rbac.authorization.k8s.io/${kind}`, field: 'roleRef', base: rbac(kind), patch: { roleRef: { name: '__b' } } },
    { rule: `rbac.authorization.k8s.io/${kind}`, field: 'subjects', base: rbac(kind), patch: { subjects: [{ kind: 'ServiceAccount', name: 'other', namespace: NS }] } },
  ]),
  ...['parameters', 'provisioner', 'reclaimPolicy', 'volumeBindingMode', 'allowVolumeExpansion', 'mountOptions'].map(
    (f): RuleCase => ({
      rule: 'storage.k8s.io/StorageClass',
      field: f,
      base: storageClass,
      patch: {
        parameters: { parameters: { type: 'b' } },
        provisioner: { provisioner: 'example.com/b' },
        reclaimPolicy: { reclaimPolicy: 'Retain' },
        volumeBindingMode: { volumeBindingMode: 'WaitForFirstConsumer' },
        allowVolumeExpansion: { allowVolumeExpansion: true },
        mountOptions: { mountOptions: ['soft'] },
      }[f]!,
    }),
  ),
];

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Whether `stored` holds everything of `wanted` (the API server adds defaults). */
function subset(stored: unknown, wanted: unknown): boolean {
  if (wanted === undefined) return true;
  if (Array.isArray(wanted)) return Array.isArray(stored) && stored.length === wanted.length && wanted.every((w, i) => subset(stored[i], w));
  if (wanted !== null && typeof wanted === 'object') return stored !== null && typeof stored === 'object' && Object.entries(wanted).every(([k, v]) => subset((stored as Obj)[k], v));
  return stored === wanted;
}

const at = (o: unknown, path: string) => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Obj)[k] : undefined), o);

/** What the patch means for the rule's field, with `__b` names resolved to the case's objects. */
function resolvePatch(patch: Obj, name: string): Obj {
  return JSON.parse(JSON.stringify(patch).replaceAll('"__b"', JSON.stringify(`${name}-b`))) as Obj;
}

describe.each(check.versions)('Kubernetes $version: IMMUTABLE_RULES of @db/delivery against the API server', (version: KubeVersion) => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await ControlPlane.start({ version, name: 'immutable-rules', nodes: [{ name: 'node-a' }], storageClasses: ['standard', 'other'] });
    expect((await cp.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })).ok).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it('has a case for every rule, every field a rule names immutable, and every field it excepts', () => {
    const missing: string[] = [];
    for (const [rule, kinds] of Object.entries(IMMUTABLE_RULES)) {
      const mine = RULE_CASES.filter((c) => c.rule === rule);
      if (mine.length === 0) missing.push(`${rule}: no case`);
      for (const k of kinds) {
        for (const f of k.fields ?? []) if (!mine.some((c) => c.field === f || c.field.startsWith(`${f} `))) missing.push(`${rule}: ${f}`);
        for (const f of k.specExcept ?? []) if (!mine.some((c) => c.field === `spec.${f}`)) missing.push(`${rule}: spec.${f} (excepted: mutable)`);
      }
    }
    expect(missing).toEqual([]);
  });

  for (const [i, c] of RULE_CASES.entries()) {
    const name = `${c.rule.split('/')[1]!.toLowerCase()}-${i}`;
    const build = () => c.base(name);
    const target = () => build().at(-1)!;
    const patch = resolvePatch(c.patch, name);
    const minor = Number(version.version.split('.')[1]);
    // A change some supported release refuses is named; a newer release may accept it.
    const named = immutableChanges(target() as unknown as K8sObject, mergePatch(target(), patch) as K8sObject).filter(
      (x) => x.mutableSince === undefined || minor < Number(x.mutableSince.split('.')[1]),
    );
    const rulesSay = named.length > 0 ? 'refused' : 'accepted';
    const known = KNOWN_RULE_DISAGREEMENTS.find((d) => d.rule === c.rule && d.field === c.field && d.on(version.version));
    const title = `${c.rule} ${c.field}: the rules say ${rulesSay === 'refused' ? 'immutable (needs a replace)' : 'mutable'}`;
    (known ? (n: string, fn: (ctx: { skip: () => void }) => Promise<void>) => it.fails(`KNOWN DEFECT (lead): ${known.summary} [${known.id}]: ${n}`, fn) : it)(title, async (ctx) => {
      const t = target();
      const path = await cp.resourcePath(t.apiVersion, t.kind, t.metadata.namespace, t.metadata.name);
      let created: Obj = {};
      for (const o of build()) {
        const r = await cp.applyObject(o, { fieldManager: 'db-platform' });
        expect(r.ok, `${r.ref}: ${r.message}`).toBe(true);
        if (r.ref === ref(t)) created = r.object!;
      }
      await c.ready?.(cp, name);
      const field = c.field.split(' ')[0]!;
      // A field this version does not serve (a feature gate off) is dropped on create: nothing to prove here.
      if (field !== 'stringData' && at(t, field) !== undefined && at(created, field) === undefined) {
        console.log(`[${version.version}] ${c.rule} ${field}: not served by this version (dropped on create)`);
        return ctx.skip();
      }
      const res = await cp.request('PATCH', `${path}?fieldManager=db-platform`, patch, { contentType: 'application/merge-patch+json' });
      const api = res.status === 200 ? 'accepted' : res.status === 422 ? 'refused' : `HTTP ${res.status}: ${res.body}`;
      if (api === 'accepted' && (res.warnings ?? []).some((w) => w.includes('unknown field'))) {
        console.log(`[${version.version}] ${c.rule} ${field}: not served by this version (${res.warnings!.join('; ')})`);
        return ctx.skip();
      }
      if (api === 'accepted' && field !== 'stringData') {
        // Accepted must mean changed: a field the API server drops (a disabled feature) is not a mutable field.
        const stored = JSON.parse(res.body) as Obj;
        if (at(stored, field) === undefined && at(mergePatch(t, patch), field) !== undefined) {
          console.log(`[${version.version}] ${c.rule} ${field}: not served by this version (dropped on update)`);
          return ctx.skip();
        }
        expect(subset(at(stored, field), at(mergePatch(t, patch), field)), `${c.field} accepted but stored as ${JSON.stringify(at(stored, field))}`).toBe(true);
      }
      expect(api, `${c.rule} ${c.field}: the API server ${api}${res.status === 422 ? `: ${(JSON.parse(res.body) as Obj).message}` : ''}`).toBe(rulesSay);
    });
  }
});

if (cases.length === 0 && !check.available) it.skip(check.reason, () => {});
