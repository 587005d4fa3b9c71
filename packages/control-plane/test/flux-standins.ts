/**
 * What flux.test.ts needs around kustomize-controller: the committed tree (the artifact
 * source-controller would build from the GitRepository), the objects it renders, and stand-ins
 * for the Flux controllers that cannot run here (source-controller for HelmRepositories,
 * helm-controller for HelmReleases: the Go module proxy refuses helm-controller).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { ControlPlane } from '../src/index.ts';
import type { ArtifactFile } from '../src/flux.ts';

// ---------------------------------------------------------------------------------------------
// The committed tree

function git(repo: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync('git', ['-C', repo, ...args], { input, maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

/**
 * The files of `rev` (default HEAD) as source-controller puts them in a GitRepository artifact:
 * regular files with their mode, no symlinks or submodules, nothing uncommitted (other people
 * may be editing the working tree).
 */
export function committedTree(repo: string, rev = 'HEAD'): { commit: string; files: Map<string, ArtifactFile> } {
  const commit = git(repo, ['rev-parse', `${rev}^{commit}`])
    .toString()
    .trim();
  const entries = git(repo, ['ls-tree', '-r', '-z', commit])
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split('\t') as [string, string];
      const [mode, type, sha] = meta.split(' ') as [string, string, string];
      return { mode, type, sha, path };
    })
    .filter((e) => e.type === 'blob' && (e.mode === '100644' || e.mode === '100755'));
  // One `git cat-file --batch` for every blob: "<sha> blob <size>\n<bytes>\n" each.
  const out = git(repo, ['cat-file', '--batch'], Buffer.from(`${entries.map((e) => e.sha).join('\n')}\n`));
  const files = new Map<string, ArtifactFile>();
  let at = 0;
  for (const e of entries) {
    const nl = out.indexOf(0x0a, at);
    const [sha, , size] = out.subarray(at, nl).toString().split(' ');
    if (sha !== e.sha) throw new Error(`git cat-file: expected ${e.sha}, got ${sha}`);
    const data = out.subarray(nl + 1, nl + 1 + Number(size));
    files.set(e.path, { data: Buffer.from(data), mode: e.mode === '100755' ? 0o755 : 0o644 });
    at = nl + 1 + Number(size) + 1;
  }
  return { commit, files };
}

/** Writes the files under `prefix` into `dir` (for `kubectl apply -k` of the committed wiring). */
export function writeFiles(files: ReadonlyMap<string, ArtifactFile>, prefix: string, dir: string): void {
  for (const [path, f] of files) {
    if (!path.startsWith(prefix)) continue;
    const to = join(dir, path);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, f.data, { mode: f.mode });
  }
}

// ---------------------------------------------------------------------------------------------
// The rendered objects

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** The file it comes from. */
  readonly file: string;
}

/**
 * The objects of a rendered folder (`clusters/<cluster>/<component>`): the files its
 * kustomization.yaml lists, one object per file, as db-platform renders them (top-level
 * `apiVersion`, `kind`, and `metadata` with `name` / `namespace` two spaces in). Read without a
 * YAML library: this package has none, and our renderer's layout is fixed (packages/core writer).
 */
export function renderedObjects(files: ReadonlyMap<string, ArtifactFile>, folder: string): ObjectRef[] {
  const text = (p: string) => {
    const f = files.get(p);
    if (!f) throw new Error(`${p} is not in the tree`);
    return f.data.toString('utf8');
  };
  const kustomization = text(posix.join(folder, 'kustomization.yaml'));
  const resources = [...kustomization.matchAll(/^ {2}- (\S+)$/gm)].map((m) => m[1] as string);
  if (resources.length === 0) throw new Error(`${folder}/kustomization.yaml lists no resources`);
  return resources.map((r) => {
    const file = posix.join(folder, r);
    const lines = text(file).split('\n');
    const top = (key: string) =>
      lines
        .find((l) => l.startsWith(`${key}: `))
        ?.slice(key.length + 2)
        .trim();
    const start = lines.indexOf('metadata:');
    const meta: Record<string, string> = {};
    for (let i = start + 1; start >= 0 && i < lines.length && (lines[i] ?? '').startsWith(' '); i++) {
      const m = /^ {2}(name|namespace): (\S+)$/.exec(lines[i] ?? '');
      if (m) meta[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, '$1');
    }
    const apiVersion = top('apiVersion');
    const kind = top('kind');
    if (!apiVersion || !kind || !meta.name) throw new Error(`${file}: not one object in db-platform's layout (apiVersion ${apiVersion}, kind ${kind}, name ${meta.name})`);
    return { apiVersion, kind, name: meta.name, ...(meta.namespace ? { namespace: meta.namespace } : {}), file };
  });
}

/** `kind.group/name` for kubectl (core kinds: `kind/name`). */
export const kubectlRef = (o: { apiVersion: string; kind: string; name: string }) => {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.name}`;
};

/** Every `${...}` in a text, with how often it occurs. */
export function dollarBraces(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/\$\{[^}\n]*\}/g)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  return counts;
}

/** Every string value in a JSON value, depth first. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

// ---------------------------------------------------------------------------------------------
// Stand-ins for source-controller (HelmRepository) and helm-controller (HelmRelease)

interface FluxObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation: number; creationTimestamp: string };
  spec: Record<string, any>;
  status?: Record<string, any>;
}

interface Crd {
  metadata: { name: string };
  spec: Record<string, unknown>;
}

/** Deletes every `key` property under `v`; returns how many. */
function stripKey(v: unknown, key: string): number {
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += stripKey(x, key);
  else if (v !== null && typeof v === 'object') {
    if (key in v) {
      delete (v as Record<string, unknown>)[key];
      n++;
    }
    for (const x of Object.values(v)) n += stripKey(x, key);
  }
  return n;
}

/** A refusal the next pass retries. */
class Transient extends Error {}

/** What each chart of our wiring installs that the rendered objects use: its CRDs, vendored in schemas/crds/<folder>. */
export const CHART_CRDS: Readonly<Record<string, string>> = {
  'cloudnative-pg': 'cnpg',
  'external-secrets': 'external-secrets',
  'vault-config-operator': 'vault-config-operator',
};

/**
 * Does, for the HelmRepositories and HelmReleases kustomize-controller applies, what
 * source-controller and helm-controller would do as far as the rest of the wiring can tell:
 *
 * - a HelmRepository gets status Ready (index fetched) with observedGeneration;
 * - a HelmRelease, once its HelmRepository is Ready, has its chart's CRDs installed (install.crds:
 *   Create; the vendored CRDs of schemas/crds, the ones our objects use), its target namespace
 *   created (install.createNamespace), then status Ready / Released True with observedGeneration,
 *   as helm-controller writes after a successful install.
 *
 * A CRD the API server refuses as published is recorded in `refusals` and installed adapted (see
 * there): real helm-controller would fail the release instead.
 *
 * No operator is run: nothing acts on the CNPG, External Secrets or vault-config-operator
 * objects the components create. Until then the Flux CRDs' status default
 * (observedGeneration: -1) keeps both kinds InProgress for kstatus, so the operators
 * Kustomization (wait: true) is not Ready before this stand-in acts.
 */
export class HelmStandIn {
  /** When each HelmRelease was marked Ready (ms since epoch), by name. */
  readonly releasedAt = new Map<string, number>();
  /** The status each HelmRelease had when the stand-in first saw it (the CRD's default: observedGeneration -1). */
  readonly firstSeen = new Map<string, { generation: number; status: unknown }>();
  /** When each HelmRepository was marked Ready. */
  readonly indexedAt = new Map<string, number>();
  /** Errors met (the test fails on any). */
  readonly errors: string[] = [];
  /**
   * CRDs of a chart the API server refused as published. Helm, and so helm-controller, would fail
   * the install there (and the operators Kustomization with it); the stand-in installs them
   * without what was refused (`selectableFields`, then CEL rules) so that the rest of the wiring
   * is still exercised, and records the refusal here for the test to report.
   */
  readonly refusals: { chart: string; crd: string; refusal: string; adapted: string }[] = [];
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly cp: ControlPlane,
    private readonly crdRoot: string,
    private readonly namespace = 'flux-system',
  ) {}

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await this.pass();
        } catch (err) {
          if (!(err instanceof Transient)) this.errors.push((err as Error).message);
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

  private async list(plural: string, group: string, version: string): Promise<FluxObject[]> {
    const r = await this.cp.request('GET', `/apis/${group}/${version}/namespaces/${this.namespace}/${plural}`);
    if (r.status === 404) return []; // CRD not installed yet
    // The API server answers 429 "storage is (re)initializing" for a short while after a CRD is established.
    if (r.status === 429) throw new Transient();
    if (r.status !== 200) throw new Error(`list ${plural}: HTTP ${r.status} ${r.body}`);
    return (JSON.parse(r.body) as { items: FluxObject[] }).items;
  }

  private async markReady(
    o: FluxObject,
    plural: string,
    group: string,
    version: string,
    conditions: { type: string; reason: string; message: string }[],
    extra: Record<string, unknown> = {},
  ): Promise<boolean> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const body = {
      ...o,
      status: {
        ...o.status,
        ...extra,
        observedGeneration: o.metadata.generation,
        conditions: conditions.map((c) => ({ ...c, status: 'True', lastTransitionTime: now, observedGeneration: o.metadata.generation })),
      },
    };
    const r = await this.cp.request('PUT', `/apis/${group}/${version}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}/status`, body);
    if (r.status === 409 || r.status === 429) return false; // changed meanwhile, or storage initializing: next pass
    if (r.status !== 200) throw new Error(`status of ${o.kind} ${o.metadata.name}: HTTP ${r.status} ${r.body}`);
    return true;
  }

  /** Installs the CRDs of a chart (one file each), adapting those this API server refuses (see `refusals`). */
  private async installCrds(chart: string, dir: string): Promise<void> {
    const asPublished = await this.cp.applyServerSide({ paths: [dir] }, { fieldManager: 'helm-controller', allowFailure: true });
    if (asPublished.status !== 0) {
      for (const file of readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()) {
        const parsed = JSON.parse(this.cp.kubectlOk(['create', '--dry-run=client', '-o', 'json', '-f', join(dir, file)])) as { kind: string; items?: Crd[] } & Crd;
        for (const crd of parsed.kind === 'List' ? (parsed.items ?? []) : [parsed]) {
          const first = await this.cp.applyServerSide(JSON.stringify(crd), { fieldManager: 'helm-controller', allowFailure: true });
          if (first.status === 0) continue;
          const adapted = structuredClone(crd);
          const removed: string[] = [];
          for (const key of ['selectableFields', 'x-kubernetes-validations']) {
            const n = stripKey(adapted.spec, key);
            if (n > 0) removed.push(`${n} × ${key}`);
            const again = await this.cp.applyServerSide(JSON.stringify(adapted), { fieldManager: 'helm-controller', allowFailure: true });
            if (again.status === 0) {
              this.refusals.push({ chart, crd: crd.metadata.name, refusal: first.stderr.trim(), adapted: `installed without ${removed.join(', ')}` });
              break;
            }
            if (key === 'x-kubernetes-validations') throw new Error(`CRD ${crd.metadata.name} of chart ${chart} refused even without ${removed.join(', ')}: ${again.stderr}`);
          }
        }
      }
    }
    // Helm waits for the CRDs of a chart to be established before it goes on.
    this.cp.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', '-f', dir]);
  }

  private static ready(o: FluxObject): boolean {
    return o.status?.observedGeneration === o.metadata.generation && (o.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  }

  private async pass(): Promise<void> {
    const repos = await this.list('helmrepositories', 'source.toolkit.fluxcd.io', 'v1');
    for (const repo of repos) {
      if (HelmStandIn.ready(repo)) continue;
      const message = `stored artifact: revision 'sha256:${'0'.repeat(64)}' (stand-in for source-controller: ${repo.spec.url} not fetched)`;
      if (await this.markReady(repo, 'helmrepositories', 'source.toolkit.fluxcd.io', 'v1', [{ type: 'Ready', reason: 'Succeeded', message }])) this.indexedAt.set(repo.metadata.name, Date.now());
    }
    const readyRepos = new Set((await this.list('helmrepositories', 'source.toolkit.fluxcd.io', 'v1')).filter(HelmStandIn.ready).map((r) => r.metadata.name));
    for (const hr of await this.list('helmreleases', 'helm.toolkit.fluxcd.io', 'v2')) {
      if (!this.firstSeen.has(hr.metadata.name)) this.firstSeen.set(hr.metadata.name, { generation: hr.metadata.generation, status: structuredClone(hr.status) });
      if (HelmStandIn.ready(hr)) continue;
      const chart = hr.spec.chart?.spec ?? {};
      if (chart.sourceRef?.kind !== 'HelmRepository' || !readyRepos.has(chart.sourceRef.name)) continue;
      const crds = CHART_CRDS[chart.chart];
      if (!crds) throw new Error(`HelmRelease ${hr.metadata.name}: no CRDs known for chart ${chart.chart} (add it to CHART_CRDS)`);
      const target = hr.spec.targetNamespace ?? hr.metadata.namespace;
      if (hr.spec.install?.createNamespace) {
        const ns = await this.cp.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: target } });
        if (ns.status !== 201 && ns.status !== 409) throw new Error(`namespace ${target}: HTTP ${ns.status} ${ns.body}`);
      }
      await this.installCrds(chart.chart, join(this.crdRoot, crds));
      const revision = chart.version;
      const message = `Helm install succeeded for release ${target}/${hr.spec.releaseName ?? hr.metadata.name}.v1 with chart ${chart.chart}@${revision} (stand-in for helm-controller: CRDs only)`;
      const done = await this.markReady(
        hr,
        'helmreleases',
        'helm.toolkit.fluxcd.io',
        'v2',
        [
          { type: 'Ready', reason: 'InstallSucceeded', message },
          { type: 'Released', reason: 'InstallSucceeded', message },
        ],
        { lastAttemptedRevision: revision, lastAttemptedGeneration: hr.metadata.generation, lastAttemptedReleaseAction: 'install', storageNamespace: hr.spec.storageNamespace ?? target },
      );
      if (done) this.releasedAt.set(hr.metadata.name, Date.now());
    }
  }
}
