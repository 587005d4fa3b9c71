/**
 * A control plane shaped like one of our clusters (topologies.ts), with everything a real
 * cluster has before the platform is applied: the pinned CRDs of every operator, Argo CD, Flux
 * and the Prometheus operator (established), the storage classes, and the namespaces apps own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane, type ApplyResult, type KubeVersion } from '../../src/index.ts';
import { topologyFor, type Topology } from '../topologies.ts';
import { gitopsFolders, kustomize, parseObjects, prerequisiteNamespaces, ROOT, type ClusterInfo, type Obj } from './desired.ts';
import { isReady, type Operators } from './operators.ts';

/** Every pinned CRD file (schemas/crds/**.yaml). */
export function crdFiles(): string[] {
  const out: string[] = [];
  const walkDir = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walkDir(join(d, e.name));
      else if (e.name.endsWith('.yaml')) out.push(join(d, e.name));
    }
  };
  walkDir(join(ROOT, 'schemas', 'crds'));
  return out.sort();
}

export interface RenderedCluster {
  readonly info: ClusterInfo;
  readonly topology: Topology;
  /** `kubectl kustomize clusters/<cluster>` */
  readonly yaml: string;
  readonly objects: Obj[];
  readonly gitops: { name: string; dir: string; yaml: string; objects: Obj[] }[];
}

export function readRendered(info: ClusterInfo, dir = info.dir): RenderedCluster {
  const yaml = kustomize(dir);
  return {
    info,
    topology: topologyFor(info.name, info.platform),
    yaml,
    objects: parseObjects(yaml),
    gitops: gitopsFolders(dir).map((f) => {
      const y = kustomize(f.dir);
      return { ...f, yaml: y, objects: parseObjects(y) };
    }),
  };
}

/** A pinned CRD the API server refused as published, and what was changed so the suite could go on. */
export interface CrdAdaptation {
  readonly crd: string;
  readonly refusal: string;
  readonly adapted: string;
}

export interface Bootstrap {
  readonly cp: ControlPlane;
  readonly crdWarnings: string[];
  /** Pinned CRDs this API server refuses unchanged (then installed without the fields it cannot take). */
  readonly crdAdaptations: CrdAdaptation[];
  readonly namespaces: string[];
}

function stripKey(v: unknown, key: string): number {
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += stripKey(x, key);
  else if (v !== null && typeof v === 'object') {
    if (key in v) {
      delete (v as Obj)[key];
      n++;
    }
    for (const x of Object.values(v)) n += stripKey(x, key);
  }
  return n;
}

/**
 * Installs every pinned CRD server-side, one request per CRD (each refusal is the API server's
 * own, for exactly that CRD). A CRD this version refuses is installed again without what it
 * cannot take (`selectableFields`, then CEL rules over its cost budget), so the rest of the
 * suite still runs on it, and the refusal is returned: a defect of the pinned versions.
 */
export async function installCrds(cp: ControlPlane): Promise<{ warnings: string[]; adaptations: CrdAdaptation[] }> {
  const warnings: string[] = [];
  const adaptations: CrdAdaptation[] = [];
  const crds = crdFiles().flatMap((file) => parseObjects(readFileSync(file, 'utf8')).filter((o) => o.kind === 'CustomResourceDefinition'));
  const queue = [...crds];
  const names = crds.map((c) => c.metadata.name as string);
  // Eight at a time: the API server compiles each schema; the biggest take a second alone.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let crd = queue.shift(); crd; crd = queue.shift()) {
        const first = await cp.applyObject(crd, { fieldManager: 'crd-install' });
        warnings.push(...first.warnings.map((w) => `${crd!.metadata.name}: ${w}`));
        if (first.ok) continue;
        const adapted = structuredClone(crd);
        const removed: string[] = [];
        for (const step of ['selectableFields', 'x-kubernetes-validations']) {
          const n = stripKey(adapted.spec, step);
          if (n > 0) removed.push(`${n} × ${step}`);
          const again = await cp.applyObject(adapted, { fieldManager: 'crd-install' });
          if (again.ok) {
            adaptations.push({ crd: crd.metadata.name, refusal: first.message, adapted: `installed without ${removed.join(', ')}` });
            break;
          }
          if (step === 'x-kubernetes-validations') throw new Error(`CRD ${crd.metadata.name} refused even without ${removed.join(', ')}: ${again.message}`);
        }
      }
    }),
  );
  // Established = served: every CRD's kinds are in the discovery of each of its served versions.
  const expected = new Map<string, Set<string>>();
  for (const crd of crds)
    for (const v of crd.spec.versions.filter((x: Obj) => x.served))
      expected.set(`${crd.spec.group}/${v.name}`, new Set([...(expected.get(`${crd.spec.group}/${v.name}`) ?? []), crd.spec.names.plural]));
  await cp.waitFor(
    async () => {
      for (const [gv, plurals] of expected) {
        const r = await cp.request('GET', `/apis/${gv}`);
        if (r.status !== 200) return false;
        const served = new Set((JSON.parse(r.body) as { resources: { name: string }[] }).resources.map((x) => x.name));
        if (![...plurals].every((p) => served.has(p))) return false;
      }
      return true;
    },
    90_000,
    `every pinned CRD Established (${names.length})`,
  );
  return { warnings, adaptations };
}

/**
 * Starts a control plane with the cluster's nodes and storage, installs the CRDs (server-side,
 * waits until Established) and creates `namespaces` as a cluster's admin would: plain, with only
 * the label Kubernetes sets itself (kubernetes.io/metadata.name).
 */
export async function bootstrap(version: KubeVersion, name: string, topology: Topology, namespaces: readonly string[]): Promise<Bootstrap> {
  const cp = await ControlPlane.start({ version, name, nodes: topology.nodes, storageClasses: topology.storageClasses });
  try {
    // The NFS classes exist, with a provisioner nothing runs here: their claims stay Pending.
    for (const sc of topology.nfsClasses) {
      const r = await cp.applyObject({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: sc },
        provisioner: 'nfs.csi.k8s.io',
        reclaimPolicy: 'Retain',
        volumeBindingMode: 'Immediate',
      });
      if (!r.ok) throw new Error(`StorageClass ${sc}: ${r.message}`);
    }
    const crds = await installCrds(cp);
    for (const ns of namespaces) {
      const r = await cp.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { fieldManager: 'cluster-admin' });
      if (!r.ok) throw new Error(`Namespace ${ns}: ${r.message}`);
    }
    return { cp, crdWarnings: crds.warnings, crdAdaptations: crds.adaptations, namespaces: [...namespaces] };
  } catch (err) {
    await cp.stop();
    throw err;
  }
}

/** The namespaces a rendered cluster (and its GitOps folders) needs to exist beforehand. */
export function namespacesFor(r: RenderedCluster, extra: Iterable<string> = []): string[] {
  return prerequisiteNamespaces([...r.objects, ...r.gitops.flatMap((g) => g.objects)], r.info.platform, extra);
}

/**
 * `argocd-cm` as an Argo CD install leaves it: created client-side by another manager, with
 * Argo CD's label and a key of its own (`url`).
 */
export function createArgoCdConfigMap(cp: ControlPlane, namespace = 'argocd'): void {
  cp.kubectlOk(['create', 'configmap', 'argocd-cm', '-n', namespace, '--from-literal=url=https://argocd.example.internal']);
  cp.kubectlOk(['label', 'configmap', 'argocd-cm', '-n', namespace, 'app.kubernetes.io/name=argocd-cm', 'app.kubernetes.io/part-of=argocd']);
}

/** README's bootstrap: `kubectl apply --server-side --field-manager=db-platform-bootstrap -f argocd/bootstrap`, the others `kubectl apply -k`. */
export async function applyGitopsFolder(cp: ControlPlane, folder: { name: string; yaml: string }, opts: { allowFailure?: boolean; forceConflicts?: boolean } = {}): Promise<ApplyResult> {
  return cp.applyServerSide(folder.yaml, { fieldManager: folder.name === 'argocd/bootstrap' ? 'db-platform-bootstrap' : 'db-platform-gitops', ...opts });
}

const ownedByJob = (p: Obj) => (p.metadata.ownerReferences ?? []).some((o: Obj) => o.kind === 'Job');

/**
 * What is not yet scheduled and Ready: StatefulSets and Deployments short of their replicas,
 * CNPG instances the stand-in expects, any other pod not Running and Ready. Job pods are not
 * waited for (kwok completes them).
 */
export async function notReady(cp: ControlPlane, ops?: Operators): Promise<string[]> {
  const out: string[] = [];
  for (const s of await cp.list('apps/v1', 'StatefulSet')) {
    if ((s.status?.readyReplicas ?? 0) !== s.spec.replicas || (s.status?.replicas ?? 0) !== s.spec.replicas)
      out.push(`StatefulSet ${s.metadata.namespace}/${s.metadata.name} ready ${s.status?.readyReplicas ?? 0}/${s.spec.replicas}`);
  }
  for (const d of await cp.list('apps/v1', 'Deployment')) {
    const st = d.status ?? {};
    if ((st.readyReplicas ?? 0) !== d.spec.replicas || (st.updatedReplicas ?? 0) !== d.spec.replicas || (st.replicas ?? 0) !== d.spec.replicas)
      out.push(`Deployment ${d.metadata.namespace}/${d.metadata.name} ready ${st.readyReplicas ?? 0}/${d.spec.replicas}`);
  }
  const pods = await cp.list('v1', 'Pod');
  for (const state of ops?.cnpg.values() ?? []) {
    for (const s of state.serials) {
      const name = `${state.cluster.metadata.name}-${s}`;
      if (!pods.some((p) => p.metadata.namespace === state.cluster.metadata.namespace && p.metadata.name === name && isReady(p)))
        out.push(`CNPG instance ${state.cluster.metadata.namespace}/${name} not Ready`);
    }
  }
  for (const p of pods) {
    if (ownedByJob(p) || ['Succeeded', 'Failed'].includes(p.status?.phase)) continue;
    if (!isReady(p)) out.push(`Pod ${p.metadata.namespace}/${p.metadata.name} ${p.spec.nodeName ? `on ${p.spec.nodeName}` : 'unscheduled'} ${p.status?.phase ?? ''} not Ready`);
  }
  return out;
}

/** Waits until everything is scheduled and Ready, playing the operators' reactions meanwhile. */
export async function waitAllReady(cp: ControlPlane, ops: Operators | undefined, timeoutMs: number, what: string): Promise<void> {
  let last: string[] = [];
  await cp
    .waitFor(
      async () => {
        await ops?.reconcile();
        last = await notReady(cp, ops);
        return last.length === 0;
      },
      timeoutMs,
      what,
    )
    .catch((err: Error) => {
      throw new Error(`${err.message}\nstill not ready:\n  ${last.join('\n  ')}`);
    });
}
