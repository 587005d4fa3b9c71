/**
 * A real Kubernetes control plane for tests: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler built from source (scripts/install-control-plane.sh), with kwok playing the
 * kubelets of fake nodes. Everything runs on 127.0.0.1 on free ports, in a scratch folder under
 * the OS temp dir, and is killed on stop(), on process exit, and by a watchdog if the test process
 * dies without either.
 *
 *   const [version] = builtKubeVersions();
 *   const cp = await ControlPlane.start({ version, nodes: [{ name: 'node-a' }] });
 *   try { await cp.applyServerSide(yamlText); cp.kubectl(['get', 'pods', '-A']); } finally { await cp.stop(); }
 *
 * Pods scheduled to a kwok node become Running and Ready at once (kwok's "fast" stages), get a
 * pod IP from 10.244.0.0/16, and Job pods complete; claims of the harness's StorageClasses are
 * bound to fresh volumes. As with a kubelet, a pod with readiness gates is Ready only while its
 * owner (an operator, or the test playing it) has set every gate's condition True. There are no
 * containers: no logs, no exec, no probes. The controllers are all the default ones (as the
 * admin, not per-controller service accounts); PodSecurity and the other default admission
 * plugins are on. The `kubernetes` Service has no endpoints
 * (a loopback address may not be one).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, freePort } from '@db/core/testing';

/** A Kubernetes release built in the cache. */
export interface KubeVersion {
  /** e.g. '1.37.2' */
  readonly version: string;
  /** Folder with kube-apiserver, kube-controller-manager and kube-scheduler. */
  readonly binDir: string;
}

/** A fake node, kept Ready by kwok. */
export interface NodeSpec {
  readonly name: string;
  /** Added to kubernetes.io/hostname=<name>, kubernetes.io/os=linux, kubernetes.io/arch=amd64, type=kwok. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** Capacity (= allocatable); defaults 32 CPUs, 128Gi, 110 pods. */
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: number;
  /** Extended resources in capacity (= allocatable), e.g. `{ 'nvidia.com/gpu': '1' }` for a GPU node. */
  readonly extendedResources?: Readonly<Record<string, string>>;
}

export interface StartOptions {
  readonly version: KubeVersion;
  /** Fake nodes to create; start() returns when they are Ready. */
  readonly nodes?: readonly NodeSpec[];
  /** In the scratch folder's name. */
  readonly name?: string;
  /**
   * StorageClasses (provisioner KWOK_PROVISIONER, WaitForFirstConsumer) whose claims kwok binds to
   * a fresh PersistentVolume, so StatefulSets with volumeClaimTemplates run; the first is the
   * default class. Default ['standard']; a claim of any other class stays Pending, as in a cluster
   * without that class.
   */
  readonly storageClasses?: readonly string[];
}

export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ApplyResult extends KubectlResult {
  /** Warnings the API server returned (kubectl's `Warning: ...` stderr lines), without the prefix. */
  readonly warnings: string[];
}

/** The API server's answer to a server-side apply of one object (ControlPlane.applyObject). */
export interface ObjectApplyResult {
  /** `Kind/namespace/name` or `Kind/name`. */
  readonly ref: string;
  readonly ok: boolean;
  readonly status: number;
  /** The API server's message when refused (e.g. `... field is immutable`). */
  readonly message: string;
  /** The Status reason when refused (Invalid, Conflict, Forbidden...). */
  readonly reason: string;
  /** The object as stored, when accepted. */
  readonly object?: Record<string, any>;
  readonly warnings: string[];
}

/** YAML text, or files / folders for `kubectl apply -f` (folders recursively with `recursive`). */
export type ApplySource = string | { readonly paths: readonly string[]; readonly recursive?: boolean };

// ---------------------------------------------------------------------------------------------
// What is built

/** ${DB_PLATFORM_CACHE:-~/.cache/db-platform}/control-plane, where the install script builds. */
export function controlPlaneCacheDir(): string {
  return join(process.env.DB_PLATFORM_CACHE ?? join(homedir(), '.cache', 'db-platform'), 'control-plane');
}

/** manifest.json of the install script: the pinned pieces it built. */
interface Manifest {
  readonly etcd: { readonly version: string; readonly bin: string };
  readonly kwok: { readonly version: string; readonly bin: string; readonly stages: string };
  readonly kubernetes: readonly KubeVersion[];
}

const KUBE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
const NODE_POD_STAGES = ['node-initialize.yaml', 'node-heartbeat-with-lease.yaml', 'pod-ready.yaml', 'pod-complete.yaml', 'pod-delete.yaml'];
const VOLUME_STAGES = ['pvc-provision.yaml', 'pvc-delete.yaml', 'pv-bind.yaml', 'pv-delete.yaml'];
const STAGES = [...NODE_POD_STAGES, ...VOLUME_STAGES];
/** Written by the harness: the kubelet's Ready = containers ready AND every readiness gate True. */
const READINESS_GATE_STAGES = ['pod-readiness-gates-met.yaml', 'pod-readiness-gates-unmet.yaml'];
/** The provisioner of the harness's StorageClasses: kwok "provisions" their claims. */
export const KWOK_PROVISIONER = 'kwok.x-k8s.io/volume';

/**
 * kwok's volume stages act on claims and volumes of its own `kwok-volume` class. Ours act, like
 * an external provisioner, on claims the PV controller hands to KWOK_PROVISIONER (annotation
 * volume.kubernetes.io/storage-provisioner, set for any class with that provisioner, after
 * scheduling for WaitForFirstConsumer) and on the volumes kwok provisioned.
 */
function volumeStage(text: string, file: string): string {
  const byClass = "self.spec.storageClassName == 'kwok-volume'";
  if (!text.includes(byClass)) throw new Error(`kwok stage ${file} no longer selects by storageClassName: adapt volumeStage()`);
  const annotation = (key: string) => `has(self.metadata.annotations) && '${key}' in self.metadata.annotations && self.metadata.annotations['${key}'] == '${KWOK_PROVISIONER}'`;
  return text.replace(byClass, annotation(file.startsWith('pvc-') ? 'volume.kubernetes.io/storage-provisioner' : 'pv.kubernetes.io/provisioned-by'));
}

/**
 * kwok's pod-ready stage marks every readiness gate True and the pod Ready at once. A kubelet
 * never sets a readiness gate (its owner, an operator, patches the pod's status) and reports
 * Ready only when every gate is True: ours leaves the gates alone and starts pods with gates
 * not Ready; READINESS_GATE_STAGES then follow the gates both ways, as the kubelet's status
 * manager does.
 */
function podReadyStage(text: string): string {
  const gates = /\n *\{\{ range \.spec\.readinessGates \}\}\n(?:.*\n)*? *\{\{ end \}\}\n/;
  const ready = '        status: "True"\n        type: Ready\n';
  if (!gates.test(text) || !text.includes(ready)) throw new Error('kwok stage pod-ready.yaml no longer sets readiness gates as expected: adapt podReadyStage()');
  return text.replace(gates, '\n').replace(ready, '        status: {{ if .spec.readinessGates }}"False"{{ else }}"True"{{ end }}\n        type: Ready\n');
}

function readinessGateStage(met: boolean): string {
  // jq (kwok's selectors; its CEL cannot iterate typed lists): "met" when every gate is True.
  const gates = `if ((.spec.readinessGates // []) | length) == 0 then "none" else ((.status.conditions // []) as $c | if all(.spec.readinessGates[]; .conditionType as $t | any($c[]; .type == $t and .status == "True")) then "met" else "unmet" end) end`;
  return [
    'apiVersion: kwok.x-k8s.io/v1alpha1',
    'kind: Stage',
    'metadata:',
    `  name: pod-readiness-gates-${met ? 'met' : 'unmet'}`,
    'spec:',
    '  resourceRef:',
    '    apiGroup: v1',
    '    kind: Pod',
    '  selector:',
    '    matchExpressions:',
    "    - key: '.metadata.deletionTimestamp'",
    "      operator: 'DoesNotExist'",
    "    - key: '.status.phase'",
    "      operator: 'In'",
    "      values: ['Running']",
    `    - key: '${gates}'`,
    "      operator: 'In'",
    `      values: ['${met ? 'met' : 'unmet'}']`,
    '    - key: \'.status.conditions.[] | select( .type == "Ready" ) | .status\'',
    `      operator: '${met ? 'NotIn' : 'In'}'`,
    "      values: ['True']",
    '  next:',
    '    statusTemplate: |',
    '      conditions:',
    '      - lastTransitionTime: {{ Now | Quote }}',
    `        status: "${met ? 'True' : 'False'}"`,
    '        type: Ready',
    '',
  ].join('\n');
}

function readManifest(): Manifest | undefined {
  const file = join(controlPlaneCacheDir(), 'manifest.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/** What is missing for a control plane of each version the manifest lists ([] = ready to start). */
function missingPieces(m: Manifest | undefined): string[] {
  if (!m) return ['etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok'];
  const missing = [m.etcd.bin, m.kwok.bin, ...STAGES.map((s) => join(m.kwok.stages, s))];
  for (const k of m.kubernetes) missing.push(...KUBE_BINARIES.map((b) => join(k.binDir, b)));
  return missing.filter((p) => !existsSync(p));
}

/** The Kubernetes versions built in the cache, newest first (empty when etcd or kwok is missing). */
export function builtKubeVersions(): KubeVersion[] {
  const m = readManifest();
  if (!m || !existsSync(m.etcd.bin) || !existsSync(m.kwok.bin)) return [];
  return m.kubernetes.filter((k) => KUBE_BINARIES.every((b) => existsSync(join(k.binDir, b)))).sort((a, b) => compareVersions(b.version, a.version));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * The versions to test, as `requirePrograms` of @db/core/testing decides: locally, a missing
 * build prints `SKIPPED <purpose>: ... not built (run scripts/install-control-plane.sh)` and
 * returns no versions; with CI=true anything missing (or kubectl) throws.
 */
export function requireControlPlane(purpose: string): { available: boolean; reason: string; versions: KubeVersion[] } {
  const missing = missingPieces(readManifest());
  const versions = builtKubeVersions();
  if (missing.length === 0 && versions.length > 0 && findProgram('kubectl')) return { available: true, reason: '', versions };
  const reason =
    missing.length > 0 || versions.length === 0
      ? `SKIPPED ${purpose}: ${missing.join(', ') || 'Kubernetes'} not built (run scripts/install-control-plane.sh; .ci/run builds it)`
      : `SKIPPED ${purpose}: kubectl not installed`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true: a skip in CI would hide a missing install step`);
  console.warn(reason);
  return { available: false, reason, versions: [] };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** API warnings in kubectl's stderr: `Warning: <text>` lines (kubectl's own skew notice reads `WARNING: version difference...`). */
export function apiWarnings(stderr: string): string[] {
  return (
    stderr
      .split('\n')
      .filter((l) => l.startsWith('Warning: '))
      .map((l) => l.slice('Warning: '.length))
      // Printed by kubectl itself (client-side apply), not by the API server.
      .filter((w) => !w.includes('kubectl.kubernetes.io/last-applied-configuration'))
  );
}

function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
  /** The API server's warnings (`Warning:` response headers), decoded. */
  readonly warnings?: string[];
}

interface Component {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly log: string;
  exited?: string;
}

/** Every live control plane of this process, killed on exit. */
const live = new Set<ControlPlane>();
let exitHookInstalled = false;

/** Kills the components if the test process dies without stop() or its exit hook (SIGKILL, crash). */
const WATCHDOG = `while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done
[ -d "$2" ] || exit 0
for f in "$2"/pids/*; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
[ -e "$2/keep" ] || rm -rf "$2"`;

const SERVICE_CIDR = '10.96.0.0/16';
const POD_CIDR = '10.244.0.0/16';

// ---------------------------------------------------------------------------------------------

export class ControlPlane {
  /** Path of an admin kubeconfig (system:masters, client certificate). */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Scratch folder: certificates, etcd data, one <component>.log per component. */
  readonly dir: string;
  readonly version: KubeVersion;
  /** Milliseconds from start() to every component ready and every node Ready. */
  startupMs = 0;
  /** Milliseconds from start() at which each start-up step was done. */
  readonly startupSteps: Record<string, number> = {};

  private readonly components: Component[] = [];
  private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer };
  private stopped = false;
  private nodeCount = 0;
  private readonly discovery = new Map<string, { plural: string; namespaced: boolean }>();

  private constructor(version: KubeVersion, dir: string, server: string) {
    this.version = version;
    this.dir = dir;
    this.server = server;
    this.kubeconfig = join(dir, 'admin.kubeconfig');
    this.tls = { ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(dir, 'admin.crt')), key: readFileSync(join(dir, 'admin.key')) };
  }

  /**
   * Starts etcd, the API server, the controller manager, the scheduler and kwok, creates the nodes
   * and waits until they are Ready. On failure everything started is stopped and the error carries
   * the tail of the failing component's log.
   */
  static async start(opts: StartOptions): Promise<ControlPlane> {
    const t0 = Date.now();
    const manifest = readManifest();
    const missing = missingPieces(manifest);
    if (!manifest || missing.length > 0) throw new Error(`control plane not built: ${missing.join(', ')} (run scripts/install-control-plane.sh)`);
    const name = opts.name ?? 'test';
    const dir = mkdtempSync(join(tmpdir(), `control-plane-${name.replace(/[^a-z0-9-]/gi, '-')}-`));
    mkdirSync(join(dir, 'pids'));
    if (process.env.CONTROL_PLANE_KEEP) writeFileSync(join(dir, 'keep'), '');
    spawn('sh', ['-c', WATCHDOG, 'control-plane-watchdog', String(process.pid), dir], { detached: true, stdio: 'ignore' }).unref();

    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedulerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    writeCertificates(dir);
    const server = `https://127.0.0.1:${apiPort}`;
    writeKubeconfig(dir, server);
    const cp = new ControlPlane(opts.version, dir, server);
    const step = (name: string) => (cp.startupSteps[name] = Date.now() - t0);
    step('certificates');
    live.add(cp);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const c of live) c.killNow();
      });
    }

    try {
      const bin = (b: string) => join(opts.version.binDir, b);
      const etcdUrl = `http://127.0.0.1:${etcdPort}`;
      const etcd = cp.spawn('etcd', manifest.etcd.bin, [
        '--name=etcd',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=etcd=http://127.0.0.1:${etcdPeerPort}`,
        '--initial-cluster-state=new',
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]);
      await cp.until(etcd, 'etcd health', async () => (await get(`${etcdUrl}/health`)).body.includes('"health":"true"'), 20_000);
      step('etcd');

      const k = (f: string) => join(dir, f);
      const apiserver = cp.spawn('kube-apiserver', bin('kube-apiserver'), [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${k('apiserver.crt')}`,
        `--tls-private-key-file=${k('apiserver.key')}`,
        `--client-ca-file=${k('ca.crt')}`,
        // Published in kube-system/extension-apiserver-authentication, as kubeadm does (the
        // controller manager and scheduler read it for their own authentication).
        `--requestheader-client-ca-file=${k('ca.crt')}`,
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--allow-privileged=true',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${k('sa.pub')}`,
        `--service-account-signing-key-file=${k('sa.key')}`,
        // Endpoints may not hold a loopback address: no `kubernetes` endpoints, no error loop.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ]);
      await cp.until(apiserver, 'kube-apiserver /readyz', async () => (await cp.request('GET', '/readyz')).status === 200, 60_000);
      step('kube-apiserver');

      const kcm = cp.spawn('kube-controller-manager', bin('kube-controller-manager'), [
        `--kubeconfig=${cp.kubeconfig}`,
        `--authentication-kubeconfig=${cp.kubeconfig}`,
        `--authorization-kubeconfig=${cp.kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        '--leader-elect=false',
        '--controllers=*',
        // Not per-controller service account credentials: fetching a token for each of ~45
        // controllers costs ~5 s of start-up; the controllers run as the admin instead.
        '--use-service-account-credentials=false',
        `--service-account-private-key-file=${k('sa.key')}`,
        `--root-ca-file=${k('ca.crt')}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--cluster-name=db-platform-test',
        '--profiling=false',
      ]);
      const scheduler = cp.spawn('kube-scheduler', bin('kube-scheduler'), [
        `--kubeconfig=${cp.kubeconfig}`,
        `--authentication-kubeconfig=${cp.kubeconfig}`,
        `--authorization-kubeconfig=${cp.kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${schedulerPort}`,
        '--leader-elect=false',
        '--profiling=false',
      ]);
      writeFileSync(
        k('kwok.yaml'),
        [
          'apiVersion: config.kwok.x-k8s.io/v1alpha1',
          'kind: KwokConfiguration',
          'options:',
          `  cidr: ${POD_CIDR}`,
          `  manageNodesWithAnnotationSelector: ${KWOK_ANNOTATION}=fake`,
          // kwok renews each node's Lease (the node lifecycle controller never marks them NotReady).
          '  nodeLeaseDurationSeconds: 40',
          // Not defaulted when the configuration comes from --config files.
          '  nodeLeaseParallelism: 4',
          '  nodePlayStageParallelism: 4',
          '  podPlayStageParallelism: 4',
          '  podsOnNodeSyncParallelism: 4',
          '',
        ].join('\n'),
      );
      const kwok = cp.spawn('kwok', manifest.kwok.bin, [
        `--kubeconfig=${cp.kubeconfig}`,
        `--config=${k('kwok.yaml')}`,
        ...NODE_POD_STAGES.map((s) => {
          if (s !== 'pod-ready.yaml') return `--config=${join(manifest.kwok.stages, s)}`;
          writeFileSync(k(s), podReadyStage(readFileSync(join(manifest.kwok.stages, s), 'utf8')));
          return `--config=${k(s)}`;
        }),
        ...READINESS_GATE_STAGES.map((s) => {
          writeFileSync(k(s), readinessGateStage(s.endsWith('-met.yaml')));
          return `--config=${k(s)}`;
        }),
        ...VOLUME_STAGES.map((s) => {
          writeFileSync(k(s), volumeStage(readFileSync(join(manifest.kwok.stages, s), 'utf8'), s));
          return `--config=${k(s)}`;
        }),
      ]);

      await Promise.all([
        cp.until(kcm, 'kube-controller-manager /healthz', async () => (await get(`https://127.0.0.1:${kcmPort}/healthz`)).status === 200, 30_000),
        cp.until(scheduler, 'kube-scheduler /healthz', async () => (await get(`https://127.0.0.1:${schedulerPort}/healthz`)).status === 200, 30_000),
        // The serviceaccount controller runs: pods can be admitted in new namespaces.
        cp.until(kcm, 'the default ServiceAccount', async () => (await cp.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200, 30_000),
      ]);
      step('controllers');
      for (const [i, sc] of (opts.storageClasses ?? ['standard']).entries()) {
        const r = await cp.request('POST', '/apis/storage.k8s.io/v1/storageclasses', {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: { name: sc, annotations: i === 0 ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
          provisioner: KWOK_PROVISIONER,
          reclaimPolicy: 'Delete',
          volumeBindingMode: 'WaitForFirstConsumer',
          allowVolumeExpansion: true,
        });
        if (r.status !== 201) throw new Error(`creating StorageClass ${sc}: HTTP ${r.status} ${r.body}`);
      }
      await cp.addNodes(opts.nodes ?? [], kwok);
      step('nodes');
      cp.startupMs = Date.now() - t0;
      return cp;
    } catch (err) {
      await cp.stop(true);
      throw err;
    }
  }

  /** Creates nodes (kwok marks them Ready; InternalIP 10.1.0.1, .2...) and waits until each is Ready. */
  async addNodes(nodes: readonly NodeSpec[], kwok = this.component('kwok')): Promise<void> {
    let ip = this.nodeCount;
    for (const n of nodes) {
      ip++;
      const capacity = { cpu: n.cpu ?? '32', memory: n.memory ?? '128Gi', pods: String(n.pods ?? 110), ...n.extendedResources };
      const node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: n.name,
          labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok', ...n.labels },
          annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        },
        spec: { taints: n.taints?.map((t) => ({ ...t })) },
        status: {
          capacity,
          allocatable: capacity,
          addresses: [
            { type: 'InternalIP', address: `10.1.${Math.floor((ip - 1) / 250)}.${((ip - 1) % 250) + 1}` },
            { type: 'Hostname', address: n.name },
          ],
          nodeInfo: {
            architecture: 'amd64',
            operatingSystem: 'linux',
            kubeletVersion: `v${this.version.version}`,
            kubeProxyVersion: '',
            containerRuntimeVersion: 'kwok',
            kernelVersion: 'kwok',
            osImage: 'kwok',
            machineID: '',
            systemUUID: '',
            bootID: '',
          },
        },
      };
      const r = await this.request('POST', '/api/v1/nodes', node);
      if (r.status !== 201) throw new Error(`creating node ${n.name}: HTTP ${r.status} ${r.body}`);
    }
    this.nodeCount = ip;
    for (const n of nodes) {
      await this.until(
        kwok,
        `node ${n.name} Ready (kwok)`,
        async () => {
          const r = await this.request('GET', `/api/v1/nodes/${n.name}`);
          const node = JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] }; spec?: { taints?: { key: string }[] } };
          const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
          // The node lifecycle controller lifts the not-ready taint once it sees the node Ready.
          const notReadyTaint = node.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready') ?? false;
          return ready && !notReadyTaint;
        },
        30_000,
      );
    }
  }

  /** Runs kubectl (the machine's) against this control plane. Never throws. */
  kubectl(args: readonly string[], opts: { input?: string } = {}): KubectlResult {
    const r = spawnSync(kubectlBin(), ['--kubeconfig', this.kubeconfig, ...args], { input: opts.input, encoding: 'utf8', env: this.kubectlEnv(), maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** kubectl, throwing with its output unless it exits 0; returns stdout. */
  kubectlOk(args: readonly string[], opts: { input?: string } = {}): string {
    const r = this.kubectl(args, opts);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** kubectl get -o json, parsed. */
  getJson<T = Record<string, unknown>>(args: readonly string[]): T {
    return JSON.parse(this.kubectlOk(['get', ...args, '-o', 'json'])) as T;
  }

  /**
   * `kubectl apply --server-side` of YAML text or of files / folders. Throws with kubectl's output
   * when it fails, unless `allowFailure` (then check `status`). `warnings` are the API server's.
   */
  async applyServerSide(source: ApplySource, opts: { fieldManager?: string; forceConflicts?: boolean; allowFailure?: boolean } = {}): Promise<ApplyResult> {
    const args = ['apply', '--server-side', `--field-manager=${opts.fieldManager ?? 'db-platform-test'}`];
    if (opts.forceConflicts) args.push('--force-conflicts');
    let input: string | undefined;
    if (typeof source === 'string') {
      args.push('-f', '-');
      input = source;
    } else {
      for (const p of source.paths) args.push('-f', p);
      if (source.recursive) args.push('--recursive');
    }
    const r = await this.kubectlAsync(args, input);
    if (r.status !== 0 && !opts.allowFailure) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
    return { ...r, warnings: apiWarnings(r.stderr) };
  }

  /**
   * Polls `predicate` every 250 ms until it returns true; throws after `timeoutMs` with `what`,
   * the predicate's last error, and the log tail of any component that died meanwhile.
   */
  async waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const dead = this.components.find((c) => c.exited);
      if (dead) throw new Error(`${dead.name} ${dead.exited} while waiting for ${what}:\n${tail(dead.log)}`);
      try {
        if (await predicate()) return;
        last = '';
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
      await sleep(250);
    }
  }

  /** Path of a component's log: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok. */
  logFile(component: string): string {
    return join(this.dir, `${component}.log`);
  }

  /**
   * Stops every component and removes the scratch folder (kept with `keepDir` or
   * CONTROL_PLANE_KEEP=1, for the logs). SIGKILL: the state is thrown away, and a graceful
   * kube-apiserver 1.37 shutdown alone takes over 5 s.
   */
  async stop(keepDir = false): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    const running = this.components.filter((c) => !c.exited);
    for (const c of running) c.proc.kill('SIGKILL');
    await Promise.all(
      running.map(async (c) => {
        while (!c.exited) await sleep(10);
      }),
    );
    if (keepDir || process.env.CONTROL_PLANE_KEEP) {
      writeFileSync(join(this.dir, 'keep'), '');
      console.warn(`control plane logs kept in ${this.dir}`);
    } else rmSync(this.dir, { recursive: true, force: true });
  }

  /** The API server's port on 127.0.0.1. */
  get port(): number {
    return Number(new URL(this.server).port);
  }

  /** The CA certificate (PEM file) that signed the API server's serving certificate. */
  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }

  /**
   * The REST path of an object, a namespace's collection (`name` omitted) or, with `namespace`
   * null, the collection across namespaces. Kinds are discovered from the API server and looked
   * up again when unknown (a CRD installed since).
   */
  async resourcePath(apiVersion: string, kind: string, namespace?: string | null, name?: string): Promise<string> {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const key = `${apiVersion}/${kind}`;
    let r = this.discovery.get(key);
    if (!r) {
      const res = await this.request('GET', base);
      if (res.status !== 200) throw new Error(`discovery of ${apiVersion}: HTTP ${res.status} ${res.body}`);
      for (const x of (JSON.parse(res.body) as { resources: { name: string; kind: string; namespaced: boolean }[] }).resources) {
        if (!x.name.includes('/')) this.discovery.set(`${apiVersion}/${x.kind}`, { plural: x.name, namespaced: x.namespaced });
      }
      r = this.discovery.get(key);
      if (!r) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
    }
    const ns = r.namespaced && namespace !== null ? `/namespaces/${namespace ?? 'default'}` : '';
    return `${base}${ns}/${r.plural}${name ? `/${name}` : ''}`;
  }

  /**
   * A request retried while the API server answers 429 with a Retry-After of its own (a
   * just-established CRD's storage "is (re)initializing"), for at most `ms`. Not for evictions,
   * whose 429 is a PodDisruptionBudget's answer.
   */
  private async requestRetrying(method: string, path: string, body?: unknown, opts: { contentType?: string; timeoutMs?: number } = {}, ms = 20_000): Promise<HttpResult> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.request(method, path, body, opts);
      if (r.status !== 429 || Date.now() > deadline || !r.body.includes('"retryAfterSeconds"')) return r;
      await sleep(250);
    }
  }

  /** GET of an API path, parsed; throws unless HTTP 200. */
  async getPath<T = Record<string, unknown>>(path: string): Promise<T> {
    const r = await this.requestRetrying('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body}`);
    return JSON.parse(r.body) as T;
  }

  /** The objects of a kind (in a namespace, or in all with null), optionally by label selector. */
  async list<T = Record<string, any>>(apiVersion: string, kind: string, namespace: string | null = null, labelSelector?: string): Promise<T[]> {
    const path = await this.resourcePath(apiVersion, kind, namespace);
    const items = (await this.getPath<{ items: T[] }>(labelSelector ? `${path}?labelSelector=${encodeURIComponent(labelSelector)}` : path)).items;
    // List items of built-in kinds carry no apiVersion/kind: give every item its own.
    return items.map((i) => ({ apiVersion, kind, ...i }));
  }

  /**
   * Server-side apply of one object through the API (no kubectl: one HTTP request, and the
   * API server's own error and warnings for exactly this object). `ok` is HTTP 200/201.
   */
  async applyObject(obj: Record<string, any>, opts: { fieldManager?: string; force?: boolean; dryRun?: boolean } = {}): Promise<ObjectApplyResult> {
    const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
    const ref = `${obj.kind}/${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`;
    const path = await this.resourcePath(obj.apiVersion, obj.kind, meta.namespace, meta.name);
    const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? 'db-platform-test' });
    if (opts.force) q.set('force', 'true');
    if (opts.dryRun) q.set('dryRun', 'All');
    const r = await this.requestRetrying('PATCH', `${path}?${q}`, obj, { contentType: 'application/apply-patch+yaml', timeoutMs: 30_000 });
    let body: Record<string, any> = {};
    try {
      body = JSON.parse(r.body) as Record<string, any>;
    } catch {
      body = { message: r.body };
    }
    const ok = r.status === 200 || r.status === 201;
    return { ref, ok, status: r.status, message: ok ? '' : String(body.message ?? r.body), reason: ok ? '' : String(body.reason ?? ''), object: ok ? body : undefined, warnings: r.warnings ?? [] };
  }

  /** A strategic merge patch of an object's status subresource (as a kubelet or an operator writes pod conditions). */
  async patchStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, patch: Record<string, unknown>): Promise<HttpResult> {
    const path = await this.resourcePath(apiVersion, kind, namespace, name);
    return this.request('PATCH', `${path}/status`, patch, { contentType: 'application/strategic-merge-patch+json' });
  }

  /**
   * Asks the API server to evict a pod (policy/v1 Eviction, what `kubectl drain` does). HTTP 201
   * is done; 429 is a refusal by a PodDisruptionBudget (`causes` names it).
   */
  async evict(namespace: string, name: string): Promise<{ status: number; message: string; causes: { reason?: string; message?: string }[] }> {
    const r = await this.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } });
    let body: { message?: string; details?: { causes?: { reason?: string; message?: string }[] } } = {};
    try {
      body = JSON.parse(r.body) as typeof body;
    } catch {
      body = { message: r.body };
    }
    return { status: r.status, message: body.message ?? '', causes: body.details?.causes ?? [] };
  }

  // -------------------------------------------------------------------------------------------

  private killNow(): void {
    for (const c of this.components) if (!c.exited) c.proc.kill('SIGKILL');
    if (!process.env.CONTROL_PLANE_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(name: string, bin: string, args: string[]): Component {
    const log = this.logFile(name);
    const fd = openSync(log, 'a');
    writeFileSync(fd, `# ${bin} ${args.join(' ')}\n`);
    const proc = spawn(bin, args, { cwd: this.dir, stdio: ['ignore', fd, fd], env: { ...process.env, HOME: this.dir } });
    closeSync(fd);
    const c: Component = { name, proc, log };
    proc.on('exit', (code, signal) => (c.exited = signal ? `killed by ${signal}` : `exited with ${code}`));
    proc.on('error', (err) => (c.exited = `failed to start: ${err.message}`));
    if (proc.pid) writeFileSync(join(this.dir, 'pids', name), String(proc.pid));
    this.components.push(c);
    return c;
  }

  private component(name: string): Component {
    const c = this.components.find((x) => x.name === name);
    if (!c) throw new Error(`no component ${name}`);
    return c;
  }

  /** Waits for a component's readiness; if it dies or times out, throws with the tail of its log. */
  private async until(c: Component, what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (c.exited) throw new Error(`${c.name} ${c.exited} before ${what}; ${c.log}:\n${tail(c.log)}`);
      try {
        if (await probe()) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${c.log}:\n${tail(c.log)}`);
      await sleep(100);
    }
  }

  /**
   * A request to the API server as the admin. `body` is sent as JSON (a string as is) with
   * `contentType` (default application/json; e.g. application/apply-patch+yaml,
   * application/strategic-merge-patch+json). The result carries the API server's warnings.
   */
  request(method: string, path: string, body?: unknown, opts: { contentType?: string; timeoutMs?: number } = {}): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = httpsRequest(
        `${this.server}${path}`,
        { method, ...this.tls, headers: data ? { 'content-type': opts.contentType ?? 'application/json' } : {}, timeout: opts.timeoutMs ?? 10_000 },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, warnings: warningHeaders(res.rawHeaders) }));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end(data);
    });
  }

  private kubectlEnv(): NodeJS.ProcessEnv {
    // Discovery cache per control plane (ports are reused), never ~/.kube/cache.
    return { ...process.env, KUBECONFIG: this.kubeconfig, KUBECACHEDIR: join(this.dir, 'kube-cache') };
  }

  private kubectlAsync(args: readonly string[], input?: string): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const p = spawn(kubectlBin(), ['--kubeconfig', this.kubeconfig, ...args], { env: this.kubectlEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      p.on('error', reject);
      p.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
      p.stdin.end(input ?? '');
    });
  }
}

const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';

/** `Warning: 299 - "text"` response headers (RFC 7234 warn-text, as the API server writes them), decoded. */
function warningHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'warning') continue;
    const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(raw[i + 1]!);
    out.push(m ? m[1]!.replace(/\\(.)/g, '$1') : raw[i + 1]!);
  }
  return out;
}

function kubectlBin(): string {
  const k = findProgram('kubectl');
  if (!k) throw new Error('kubectl not found on PATH');
  return k;
}

/** GET over http, or https without verification (component health endpoints, self-signed). */
function get(url: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/**
 * A CA, the API server's serving certificate (127.0.0.1 and the in-cluster names), the admin's
 * client certificate (O=system:masters) and the service account signing key (RSA).
 */
function writeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=db-platform-test-ca'], dir);
  const leaf = (name: string, subj: string, ext: string[]) =>
    openssl(['req', '-x509', ...ec, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', subj, ...ext.flatMap((e) => ['-addext', e])], dir);
  leaf('apiserver', '/CN=kube-apiserver', [
    'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
    'extendedKeyUsage=serverAuth',
  ]);
  leaf('admin', '/O=system:masters/CN=admin', ['extendedKeyUsage=clientAuth']);
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
}

function writeKubeconfig(dir: string, server: string): void {
  const b64 = (f: string) => readFileSync(join(dir, f)).toString('base64');
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64('ca.crt') } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64('admin.crt'), 'client-key-data': b64('admin.key') } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
    'current-context': 'test',
  };
  writeFileSync(join(dir, 'admin.kubeconfig'), JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
}
export * from './flux.ts';
