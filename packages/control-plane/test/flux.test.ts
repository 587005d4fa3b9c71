/**
 * Our rendered Flux wiring (clusters/prod/flux) run by the real kustomize-controller (built by
 * scripts/install-flux.sh) against the real control plane, once per built Kubernetes version.
 * Only prod: lab has no Flux wiring.
 *
 * Around the controller, and nothing else:
 * - source-controller's part: the GitRepository our wiring names gets status Ready with an
 *   artifact, a tar.gz of the committed tree (HEAD) served on 127.0.0.1 (src/flux.ts);
 * - helm-controller's part: HelmStandIn (flux-standins.ts) installs each chart's CRDs and marks
 *   the HelmRepositories and HelmReleases Ready; no operator runs;
 * - the operators' part, for readiness only: CNPG's Cluster and every ExternalSecret get their
 *   `Ready` condition a few seconds after they appear (ReadinessStandIn below), as CNPG and
 *   External Secrets write it once the database is up or the Secret is synced;
 * - prerequisites our docs list as installed before (Prometheus operator CRDs), the apps'
 *   namespaces and Vault's (`vault`), which the platform writes into but does not create, and
 *   flux-system (Flux's bootstrap creates it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, type KubeVersion } from '../src/index.ts';
import { ArtifactServer, installFluxCrds, KustomizeController, requireFlux, setSourceArtifact, tarGz, type Artifact, type ArtifactFile, type FluxBuild } from '../src/flux.ts';
import { committedTree, dollarBraces, HelmStandIn, kubectlRef, renderedObjects, stringsOf, writeFiles, type ObjectRef } from './flux-standins.ts';

const check = requireFlux('Flux kustomize-controller tests');

const REPO = resolve(import.meta.dirname, '../../..');
const CLUSTER = 'prod';
const WIRING = `clusters/${CLUSTER}/flux`;
const FLUX_NS = 'flux-system';
/** The GPU node apps/prod/platform.yaml avoids, and two others. */
const NODES = [{ name: 'k8s-node1', labels: { 'nvidia.com/gpu.present': 'true' } }, { name: 'k8s-node2' }, { name: 'k8s-node3' }];
/** The classes of apps/prod/platform.yaml's claims: kwok provisions them. */
const STORAGE_CLASSES = ['proxmox-lvm', 'proxmox-lvm-encrypted'];

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Kustomization {
  metadata: { name: string; generation: number; annotations?: Record<string, string> };
  spec: {
    path: string;
    dependsOn?: { name: string }[];
    healthChecks?: { apiVersion: string; kind: string; name: string; namespace?: string }[];
    wait?: boolean;
    prune?: boolean;
    sourceRef: { kind: string; name: string; namespace?: string };
  };
  status?: { observedGeneration?: number; conditions?: Condition[]; lastAppliedRevision?: string; lastHandledReconcileAt?: string; inventory?: { entries: { id: string; v: string }[] } };
}
interface Job {
  metadata: { uid: string; name: string };
  spec: { ttlSecondsAfterFinished?: number };
  status: { succeeded?: number; failed?: number; conditions?: Condition[] };
}

const cond = (k: { status?: { conditions?: Condition[] } }, type: string) => k.status?.conditions?.find((c) => c.type === type);
const isReadyAt = (k: Kustomization, revision: string) => cond(k, 'Ready')?.status === 'True' && k.status?.lastAppliedRevision === revision && k.status.observedGeneration === k.metadata.generation;

/**
 * Plays CNPG and External Secrets for one thing: their `Ready` condition, written `delayMs`
 * after the resource appears (a database takes time to start, a Secret to sync), so a test can
 * tell a Kustomization that waited for it from one that did not.
 */
class ReadinessStandIn {
  /** When each resource was marked Ready (`Kind/namespace/name` → ms since epoch). */
  readonly readyAt = new Map<string, number>();
  readonly errors: string[] = [];
  private stopped = false;
  private loop?: Promise<void>;
  private readonly firstSeen = new Map<string, number>();
  constructor(
    private readonly cp: ControlPlane,
    private readonly kinds: readonly { group: string; version: string; plural: string; kind: string }[],
    private readonly delayMs = 5_000,
  ) {}
  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        for (const k of this.kinds) {
          try {
            const r = await this.cp.request('GET', `/apis/${k.group}/${k.version}/${k.plural}`);
            if (r.status !== 200) continue;
            for (const o of (JSON.parse(r.body) as { items: { metadata: { name: string; namespace: string }; status?: { conditions?: Condition[] } }[] }).items) {
              const key = `${k.kind}/${o.metadata.namespace}/${o.metadata.name}`;
              if (this.readyAt.has(key)) continue;
              const seen = this.firstSeen.get(key) ?? Date.now();
              this.firstSeen.set(key, seen);
              if (Date.now() - seen < this.delayMs) continue;
              const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
              const put = await this.cp.request('PUT', `/apis/${k.group}/${k.version}/namespaces/${o.metadata.namespace}/${k.plural}/${o.metadata.name}/status`, {
                ...o,
                status: {
                  ...o.status,
                  conditions: [{ type: 'Ready', status: 'True', reason: 'StandIn', message: `Ready (set by the test, playing the ${k.kind}'s operator)`, lastTransitionTime: now }],
                },
              });
              if (put.status === 200) this.readyAt.set(key, Date.now());
              else if (put.status !== 409 && put.status !== 429) this.errors.push(`${key}: HTTP ${put.status} ${put.body}`);
            }
          } catch (err) {
            if (!this.stopped) this.errors.push((err as Error).message);
          }
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    return this;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

function suite(version: KubeVersion, flux: FluxBuild): void {
  describe(`Flux kustomize-controller ${flux.kustomizeController.version} on Kubernetes ${version.version} (${CLUSTER})`, () => {
    let cp: ControlPlane;
    let kc: KustomizeController;
    let server: ArtifactServer;
    let helm: HelmStandIn;
    let readiness: ReadinessStandIn;
    let tree: { commit: string; files: Map<string, ArtifactFile> };
    let artifact: Artifact;
    let gitRepository: string;
    /** When each Kustomization was first seen Ready at the first artifact's revision (ms since epoch). */
    const readyAt = new Map<string, number>();
    let watching = true;
    let watcher: Promise<void> | undefined;
    let controllerReadyAt = 0;
    let t0 = 0;

    const kustomizations = () => cp.getJson<{ items: Kustomization[] }>(['kustomizations.kustomize.toolkit.fluxcd.io', '-n', FLUX_NS]).items;
    const kustomization = (name: string) => cp.getJson<Kustomization>(['kustomizations.kustomize.toolkit.fluxcd.io', name, '-n', FLUX_NS]);

    /** Each Kustomization's Ready condition, for failure messages. */
    const summary = () =>
      kustomizations()
        .map((k) => `  ${k.metadata.name}: Ready=${cond(k, 'Ready')?.status} ${cond(k, 'Ready')?.reason}: ${cond(k, 'Ready')?.message} (applied ${k.status?.lastAppliedRevision})`)
        .join('\n');
    /** kc.waitFor, with the Kustomizations' state in the error. */
    async function waitFlux(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
      try {
        await kc.waitFor(predicate, timeoutMs, what);
      } catch (err) {
        const helmState = cp.kubectl(['get', 'helmreleases,helmrepositories', '-n', FLUX_NS]).stdout;
        throw new Error(`${(err as Error).message}\nKustomizations:\n${summary()}\nHelm stand-in errors: ${JSON.stringify(helm.errors)}\n${helmState}`);
      }
    }

    /** Asks for a reconcile as `flux reconcile ks` does and waits until it was handled and the Kustomization is Ready. */
    async function reconcile(name: string, revision: string): Promise<Kustomization> {
      const at = new Date().toISOString();
      cp.kubectlOk(['annotate', '--overwrite', 'kustomizations.kustomize.toolkit.fluxcd.io', name, '-n', FLUX_NS, `reconcile.fluxcd.io/requestedAt=${at}`]);
      let k: Kustomization | undefined;
      await waitFlux(
        () => {
          k = kustomization(name);
          return k.status?.lastHandledReconcileAt === at && isReadyAt(k, revision);
        },
        120_000,
        `Kustomization ${name} reconciled at ${at} and Ready`,
      );
      return k as Kustomization;
    }

    beforeAll(async () => {
      t0 = Date.now();
      const steps: string[] = [];
      let last = Date.now();
      const step = (what: string) => {
        steps.push(`${what} ${((Date.now() - last) / 1000).toFixed(1)} s`);
        last = Date.now();
      };
      cp = await ControlPlane.start({ version, name: `flux-${version.version}`, nodes: NODES, storageClasses: STORAGE_CLASSES });
      step('control plane');
      await installFluxCrds(cp, join(REPO, 'schemas/crds/flux'), flux);
      step('Flux CRDs');
      // Prerequisites (clusters/prod/README.md "Installed before, by you"): the Prometheus operator CRDs.
      await cp.applyServerSide({ paths: [join(REPO, 'schemas/crds/prometheus-operator')] });
      cp.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd']);

      step('prerequisite CRDs');
      tree = committedTree(REPO);
      // Namespaces the components write into that no rendered object creates: the apps' own and Vault's.
      const created = new Set<string>();
      const used = new Set<string>([FLUX_NS]);
      for (const folder of new Set(
        [...tree.files.keys()].filter((p) => p.startsWith(`clusters/${CLUSTER}/`) && p.endsWith('/kustomization.yaml')).map((p) => p.slice(0, -'/kustomization.yaml'.length)),
      )) {
        // The cluster's root kustomization lists folders; Argo CD's wiring is not applied here.
        if (folder === `clusters/${CLUSTER}` || folder.startsWith(`clusters/${CLUSTER}/argocd`)) continue;
        for (const o of renderedObjects(tree.files, folder)) {
          if (o.kind === 'Namespace') created.add(o.name);
          if (o.namespace) used.add(o.namespace);
        }
      }
      const prerequisite = [...used].filter((n) => !created.has(n)).sort();
      cp.kubectlOk(['apply', '-f', '-'], { input: prerequisite.map((n) => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${n} }\n`).join('---\n') });

      step('committed tree, namespaces');
      server = await ArtifactServer.start();
      artifact = server.publish(`main@sha1:${tree.commit}`, tarGz(tree.files));

      // Bootstrap as the README says (kubectl apply -k clusters/prod/flux), from the committed tree.
      const scratch = mkdtempSync(join(tmpdir(), 'flux-wiring-'));
      try {
        writeFiles(tree.files, `${WIRING}/`, scratch);
        cp.kubectlOk(['apply', '-k', join(scratch, WIRING)]);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      const sources = new Set(kustomizations().map((k) => `${k.spec.sourceRef.kind}/${k.spec.sourceRef.namespace ?? FLUX_NS}/${k.spec.sourceRef.name}`));
      expect([...sources]).toHaveLength(1);
      gitRepository = [...sources][0]!.split('/')[2]!;
      await setSourceArtifact(cp, { kind: 'GitRepository', namespace: FLUX_NS, name: gitRepository }, artifact);

      helm = new HelmStandIn(cp, join(REPO, 'schemas/crds')).start();
      readiness = new ReadinessStandIn(cp, [
        { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', kind: 'Cluster' },
        { group: 'external-secrets.io', version: 'v1', plural: 'externalsecrets', kind: 'ExternalSecret' },
      ]).start();
      watcher = (async () => {
        while (watching) {
          try {
            const r = await cp.request('GET', `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${FLUX_NS}/kustomizations`);
            for (const k of (JSON.parse(r.body) as { items: Kustomization[] }).items) {
              if (!readyAt.has(k.metadata.name) && isReadyAt(k, artifact.revision)) readyAt.set(k.metadata.name, Date.now());
            }
          } catch {
            /* stopping */
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      kc = await KustomizeController.start(cp, { requeueDependency: '1s' }, flux);
      controllerReadyAt = Date.now();
      step('artifact, bootstrap, controller');
      console.log(`Kubernetes ${version.version}: set-up ${steps.join(', ')}`);
      console.log(
        `Kubernetes ${version.version}: control plane in ${cp.startupMs} ms, kustomize-controller ready in ${kc.startupMs} ms; artifact ${artifact.revision} (${tree.files.size} files, ${artifact.size} bytes gzip)`,
      );
    }, 180_000);

    afterAll(async () => {
      const t = Date.now();
      watching = false;
      await watcher;
      await helm?.stop();
      await readiness?.stop();
      await kc?.stop();
      await server?.stop();
      await cp?.stop();
      console.log(`Kubernetes ${version.version}: tear-down ${((Date.now() - t) / 1000).toFixed(1)} s`);
      console.log(`Kubernetes ${version.version}: Flux suite took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    it('reconciles every Kustomization in dependsOn order until all are Ready, operators first', async () => {
      const names = kustomizations()
        .map((k) => k.metadata.name)
        .sort();
      await waitFlux(() => names.every((n) => readyAt.has(n)), 180_000, `every Kustomization Ready at ${artifact.revision}`);
      expect(helm.errors).toEqual([]);
      const all = kustomizations();
      const order = [...readyAt].sort((a, b) => a[1] - b[1]);
      console.log(`Kubernetes ${version.version}: Ready at (s after the controller was ready): ${order.map(([n, t]) => `${n} ${((t - controllerReadyAt) / 1000).toFixed(1)}`).join(', ')}`);

      // The controller's own account: each Kustomization with dependencies was held back
      // ("Dependencies do not meet ready condition"), went on only once they were ready, and
      // applied only after each dependency had finished its reconciliation (health checks included).
      const lines = kc.logLines();
      const first = (name: string, msg: (m: string) => boolean) => lines.find((l) => l.name === name && msg(l.msg))?.ts;
      const finished = (name: string) => first(name, (m) => m.startsWith('Reconciliation finished'));
      for (const k of all) {
        const deps = (k.spec.dependsOn ?? []).map((d) => d.name);
        for (const d of deps) {
          expect(names, `${k.metadata.name} depends on ${d}, which the wiring defines`).toContain(d);
          expect(readyAt.get(k.metadata.name)!, `${k.metadata.name} Ready after its dependency ${d}`).toBeGreaterThan(readyAt.get(d)!);
        }
        if (deps.length === 0) continue;
        const blocked = first(k.metadata.name, (m) => m.startsWith('Dependencies do not meet ready condition'));
        const proceeded = first(k.metadata.name, (m) => m === 'All dependencies are ready, proceeding with reconciliation');
        const applied = first(k.metadata.name, (m) => m.startsWith('server-side apply'));
        expect(blocked, `${k.metadata.name} held back by its dependencies`).toBeDefined();
        expect(proceeded && applied).toBeTruthy();
        for (const d of deps) {
          expect(Date.parse(proceeded!), `${k.metadata.name} proceeds after ${d} finished`).toBeGreaterThanOrEqual(Date.parse(finished(d)!));
          expect(Date.parse(applied!), `${k.metadata.name} applies after ${d} finished`).toBeGreaterThanOrEqual(Date.parse(finished(d)!));
        }
      }
      // The operators Kustomization (wait: true) really waited for helm-controller: a new HelmRelease
      // has the CRD's default status, observedGeneration -1, which kstatus reads as InProgress
      // (generation 1 not observed), and it became Ready only after the stand-in released them.
      for (const [hr, seen] of helm.firstSeen) expect(seen, `HelmRelease ${hr} as created`).toEqual({ generation: 1, status: { observedGeneration: -1 } });
      for (const [hr, at] of helm.releasedAt) expect(at, `HelmRelease ${hr} released before db-platform-operators Ready`).toBeLessThan(readyAt.get('db-platform-operators')!);
      expect([...helm.releasedAt.keys()].sort()).toEqual(['cloudnative-pg', 'external-secrets', 'vault-config-operator']);
    });

    // helm-controller would install each chart's CRDs with the chart; where the API server refuses
    // one, the install fails, the HelmRelease is never Ready and the operators Kustomization
    // (wait: true) fails its health check: nothing downstream is applied. The stand-in records
    // the refusal and installs the CRD adapted, so the tests after this one still run there.
    it("installs every CRD of the operators' charts as published (else the HelmRelease fails and nothing after the operators is applied)", () => {
      expect(readyAt.has('db-platform-operators')).toBe(true);
      expect(helm.refusals).toEqual([]);
    });

    it("creates every object of every component; the workloads' health checks pass on their real status", async () => {
      for (const k of kustomizations()) {
        const folder = k.spec.path.replace(/^\.\//, '');
        const expected = renderedObjects(tree.files, folder);
        // Flux's inventory: exactly the rendered objects.
        const id = (o: ObjectRef) => `${o.namespace ?? ''}_${o.name}_${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}_${o.kind}`;
        expect((k.status?.inventory?.entries ?? []).map((e) => e.id).sort(), `inventory of ${k.metadata.name}`).toEqual(expected.map(id).sort());
        // And each exists in the cluster.
        const byNs = new Map<string, ObjectRef[]>();
        for (const o of expected) byNs.set(o.namespace ?? '', [...(byNs.get(o.namespace ?? '') ?? []), o]);
        for (const [ns, objs] of byNs) {
          const got = cp
            .kubectlOk(['get', ...(ns ? ['-n', ns] : []), '-o', 'name', ...objs.map(kubectlRef)])
            .trim()
            .split('\n');
          expect(got, `${k.metadata.name}: objects in ${ns || 'the cluster scope'}`).toHaveLength(objs.length);
        }
        // Health: Healthy condition where the Kustomization has health checks or waits.
        if ((k.spec.healthChecks?.length ?? 0) > 0 || k.spec.wait) expect(cond(k, 'Healthy'), `${k.metadata.name} Healthy`).toMatchObject({ status: 'True' });
      }
      // What the health checks saw: real workload status from the controllers and kwok.
      const sts = (ns: string, name: string) => cp.getJson<{ spec: { replicas: number }; status: { readyReplicas?: number; updatedReplicas?: number } }>(['statefulset', name, '-n', ns]);
      for (const [ns, name] of [
        ['dbaas', 'mysql'],
        ['redis', 'redis-v2'],
      ] as const) {
        const s = sts(ns, name);
        expect(s.status.readyReplicas, `${ns}/${name} ready replicas`).toBe(s.spec.replicas);
      }
      const job = cp.getJson<{ items: Job[] }>(['jobs', '-n', 'dbaas', '-l', 'app.kubernetes.io/component=provisioning']).items;
      expect(job.map((j) => j.status.succeeded)).toEqual([1]);
    });

    // kstatus, which Flux uses, counts a resource without status conditions as Current
    // (fluxcd/cli-utils pkg/kstatus/status/status.go:130-138), so a health check alone passes
    // before the operator has looked at the resource. Our Kustomizations carry a CEL check
    // (spec.healthCheckExprs) of the operator's Ready condition, which stays InProgress until it
    // holds (fluxcd/pkg/runtime cel/status_evaluator.go:104-125).
    it("waits for the operators: postgres and vault become Ready only after CNPG's Cluster and every ExternalSecret reported Ready", () => {
      expect(readiness.errors).toEqual([]);
      for (const [name, kind] of [
        ['db-platform-postgres', 'Cluster'],
        ['db-platform-vault', 'ExternalSecret'],
      ] as const) {
        const k = kustomization(name) as Kustomization & { spec: { healthCheckExprs?: { kind: string; current: string }[] } };
        expect(
          k.spec.healthCheckExprs?.map((e) => e.kind),
          name,
        ).toEqual([kind]);
        // Only this Kustomization's own objects: the secrets component has ExternalSecrets too.
        const checks = (k.spec.healthChecks ?? []).filter((h) => h.kind === kind);
        const marked = checks.flatMap((h) => readiness.readyAt.get(`${kind}/${h.namespace}/${h.name}`) ?? []);
        expect(marked.length, `${kind}s marked Ready`).toBe(checks.length);
        expect(readyAt.get(name)!, `${name} Ready after the last ${kind} was`).toBeGreaterThan(Math.max(...marked));
      }
    });

    it('runs the MySQL provisioning Job once: reconciles do not re-run it, a deleted Job (what a TTL does) is re-created and re-run', async () => {
      const files = [...tree.files.keys()].filter((p) => new RegExp(`^clusters/${CLUSTER}/mysql/job-mysql-provision-[0-9a-f]+\\.yaml$`).test(p));
      expect(files).toHaveLength(1);
      const name = files[0]!.replace(/^.*\/job-(.*)\.yaml$/, '$1');
      const job = () => cp.getJson<Job>(['job', name, '-n', 'dbaas']);
      const pods = () => cp.getJson<{ items: { metadata: { uid: string; name: string }; status: { phase: string } }[] }>(['pods', '-n', 'dbaas', '-l', `job-name=${name}`]).items;
      const first = job();
      expect(first.status.succeeded).toBe(1);
      expect(first.spec.ttlSecondsAfterFinished).toBeUndefined();
      const firstPods = pods();
      expect(firstPods.map((p) => p.status.phase)).toEqual(['Succeeded']);

      for (let i = 0; i < 3; i++) {
        await reconcile('db-platform-mysql', artifact.revision);
        const j = job();
        expect(j.metadata.uid, `reconcile ${i + 1}: same Job`).toBe(first.metadata.uid);
        expect(j.status.succeeded).toBe(1);
        expect(
          pods().map((p) => p.metadata.uid),
          `reconcile ${i + 1}: no new pod`,
        ).toEqual(firstPods.map((p) => p.metadata.uid));
      }

      // What ttlSecondsAfterFinished would do (the old render had 604800): the TTL controller
      // deletes the finished Job. Flux sees it missing from the cluster and creates it again.
      cp.kubectlOk(['delete', 'job', name, '-n', 'dbaas', '--cascade=foreground', '--wait=true']);
      expect(cp.kubectl(['get', 'job', name, '-n', 'dbaas']).status).not.toBe(0);
      await reconcile('db-platform-mysql', artifact.revision);
      const again = job();
      expect(again.metadata.uid).not.toBe(first.metadata.uid);
      // Ready includes the Job's health check: it ran to completion, in a new pod.
      expect(again.status.succeeded).toBe(1);
      const newPods = pods();
      expect(newPods).toHaveLength(1);
      expect(newPods[0]!.metadata.uid).not.toBe(firstPods[0]!.metadata.uid);
      expect(newPods[0]!.status.phase).toBe('Succeeded');
    });

    it('applies ${...} verbatim: no postBuild substitution', async () => {
      let checked = 0;
      for (const k of kustomizations()) {
        expect(k.spec).not.toHaveProperty('postBuild');
        for (const o of renderedObjects(tree.files, k.spec.path.replace(/^\.\//, ''))) {
          const expected = dollarBraces(tree.files.get(o.file)!.data.toString('utf8'));
          if (expected.size === 0) continue;
          const live = cp.getJson<Record<string, unknown>>(['-n', o.namespace ?? 'default', kubectlRef(o)]);
          const got = dollarBraces(stringsOf({ data: live.data, spec: live.spec }).join('\n'));
          expect(Object.fromEntries(got), `${o.file}`).toEqual(Object.fromEntries(expected));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
      const policy = cp.getJson<{ spec: { policy: string } }>(['policies.redhatcop.redhat.io', 'db-tenant-static-creds', '-n', 'vault']);
      expect(policy.spec.policy).toContain('{{identity.entity.aliases.${auth/kubernetes/@accessor}.metadata.service_account_namespace}}');
      const fields = cp.getJson<{ data: Record<string, string> }>(['configmap', 'technitium-mysql-push-password-fields', '-n', 'technitium']);
      expect(Object.values(fields.data).join('\n')).toContain('Pwd=${password};');
      const script = cp.getJson<{ data: Record<string, string> }>(['configmap', 'technitium-mysql-push-password-script', '-n', 'technitium']);
      expect(Object.values(script.data).join('\n')).toContain('"${password}"');
    });

    it('prunes a ConfigMap removed from the source, but never a claim or a namespace (prune: disabled by our patches)', async () => {
      const claim = { file: `clusters/${CLUSTER}/mysql/persistentvolumeclaim-mysql-backup.yaml`, ns: 'dbaas', name: 'mysql-backup' };
      const configMap = { file: `clusters/${CLUSTER}/mysql/configmap-mysql-backup-script.yaml`, ns: 'dbaas', name: 'mysql-backup-script' };
      const namespace = { file: `clusters/${CLUSTER}/platform/namespace-redis.yaml`, name: 'redis' };
      // As applied: our patches put the annotation on every claim and namespace the components render.
      const ann = (args: string[]) => cp.getJson<{ metadata: { annotations?: Record<string, string>; uid: string; deletionTimestamp?: string }; status?: { phase?: string } }>(args);
      const rendered = kustomizations().flatMap((k) => renderedObjects(tree.files, k.spec.path.replace(/^\.\//, '')));
      const protectedKinds = rendered.filter((o) => o.kind === 'PersistentVolumeClaim' || o.kind === 'Namespace');
      expect(protectedKinds.filter((o) => o.kind === 'PersistentVolumeClaim').length).toBeGreaterThan(0);
      for (const o of protectedKinds) {
        expect(ann([...(o.namespace ? ['-n', o.namespace] : []), kubectlRef(o)]).metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'], `${o.kind} ${o.namespace ?? ''}/${o.name}`).toBe(
          'disabled',
        );
      }
      // And on nothing else: the other objects stay prunable.
      const others = rendered.filter((o) => !protectedKinds.includes(o) && o.kind !== 'Kustomization' && o.kind !== 'GitRepository');
      for (const o of others.slice(0, 20))
        expect(ann([...(o.namespace ? ['-n', o.namespace] : []), kubectlRef(o)]).metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'], `${o.kind} ${o.name}`).toBeUndefined();
      const claimUid = ann(['pvc', claim.name, '-n', claim.ns]).metadata.uid;
      const nsUid = ann(['namespace', namespace.name]).metadata.uid;
      expect(ann(['configmap', configMap.name, '-n', configMap.ns]).metadata.uid).toBeTruthy();

      // A second revision without them (their kustomization.yaml no longer lists them).
      const files = new Map(tree.files);
      for (const f of [claim.file, configMap.file, namespace.file]) {
        expect(files.delete(f), f).toBe(true);
        const k = `${f.slice(0, f.lastIndexOf('/'))}/kustomization.yaml`;
        const text = files.get(k)!.data.toString('utf8');
        const line = `  - ${f.slice(f.lastIndexOf('/') + 1)}\n`;
        expect(text).toContain(line);
        files.set(k, { ...files.get(k)!, data: Buffer.from(text.replace(line, '')) });
      }
      const tarball = tarGz(files);
      const second = server.publish(`main@sha1:${'f'.repeat(40)}`, tarball);
      await setSourceArtifact(cp, { kind: 'GitRepository', namespace: FLUX_NS, name: gitRepository }, second);
      // A new revision reaches every Kustomization (they watch their source).
      await waitFlux(() => kustomizations().every((k) => isReadyAt(k, second.revision)), 240_000, `every Kustomization Ready at ${second.revision}`);

      expect(cp.kubectl(['get', 'configmap', configMap.name, '-n', configMap.ns]).stderr).toContain('NotFound');
      const c = ann(['pvc', claim.name, '-n', claim.ns]);
      expect(c.metadata.uid).toBe(claimUid);
      expect(c.metadata.deletionTimestamp).toBeUndefined();
      const n = ann(['namespace', namespace.name]);
      expect(n.metadata.uid).toBe(nsUid);
      expect(n.metadata.deletionTimestamp).toBeUndefined();
      expect(n.status?.phase).toBe('Active');
      // No longer in Flux's inventory: left alone from now on.
      const mysql = kustomization('db-platform-mysql').status?.inventory?.entries.map((e) => e.id) ?? [];
      expect(mysql).not.toContain(`${claim.ns}_${claim.name}__PersistentVolumeClaim`);
      expect(mysql).not.toContain(`${configMap.ns}_${configMap.name}__ConfigMap`);
      // The controller says what it did.
      const said = kc
        .logLines()
        .filter((l) => l.name === 'db-platform-mysql' || l.name === 'db-platform-platform')
        .map((l) => JSON.stringify(l))
        .join('\n');
      expect(said).toContain(`ConfigMap/${configMap.ns}/${configMap.name}`);
    });
  });
}

if (check.available && check.flux) for (const v of check.versions) suite(v, check.flux);
else it.skip(check.reason, () => {});
