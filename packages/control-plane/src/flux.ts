/**
 * Flux's kustomize-controller on the test control plane, built by scripts/install-flux.sh, and
 * what it needs around it without source-controller: a source artifact (a gzip tarball served
 * over HTTP on 127.0.0.1) and a source object whose status points at it.
 *
 *   const flux = requireFlux('Flux tests');                  // SKIPPED locally when not built
 *   const server = await ArtifactServer.start();
 *   const artifact = server.publish('main@sha1:...', tarGz(files));
 *   await setSourceArtifact(cp, { kind: 'GitRepository', namespace: 'flux-system', name: 'db-platform' }, artifact);
 *   const kc = await KustomizeController.start(cp);
 *   ...
 *   await kc.stop(); await server.stop(); await cp.stop();
 *
 * The controller runs as the control plane's admin (KUBECONFIG), on every namespace, without
 * leader election, with its metrics and health endpoints on free loopback ports; its log is
 * <cp.dir>/kustomize-controller.log and the control plane's watchdog kills it if the test process
 * dies without stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort } from '@db/core/testing';
import { requireControlPlane, type ControlPlane, type KubeVersion } from './index.ts';

// ---------------------------------------------------------------------------------------------
// What is built

/** ${DB_PLATFORM_CACHE:-~/.cache/db-platform}/flux, where scripts/install-flux.sh builds. */
export function fluxCacheDir(): string {
  return join(process.env.DB_PLATFORM_CACHE ?? join(homedir(), '.cache', 'db-platform'), 'flux');
}

/** manifest.json of scripts/install-flux.sh. */
export interface FluxBuild {
  readonly kustomizeController: { readonly version: string; readonly bin: string };
  /** Source CRDs the controller watches that schemas/crds/flux does not vendor (Bucket), from source-controller at `version`. */
  readonly sourceCrds: { readonly version: string; readonly dir: string; readonly files: readonly string[] };
}

/** The build, when the binary and the CRDs it lists are all there. */
export function builtFlux(): FluxBuild | undefined {
  const file = join(fluxCacheDir(), 'manifest.json');
  if (!existsSync(file)) return undefined;
  const m = JSON.parse(readFileSync(file, 'utf8')) as FluxBuild;
  const pieces = [m.kustomizeController.bin, ...m.sourceCrds.files.map((f) => join(m.sourceCrds.dir, f))];
  return pieces.every((p) => existsSync(p)) ? m : undefined;
}

/**
 * As `requireControlPlane` (and `requirePrograms` of @db/core/testing): locally, a missing
 * control plane or kustomize-controller prints `SKIPPED <purpose>: ... (run scripts/install-flux.sh)`
 * and returns no versions; with CI=true anything missing throws.
 */
export function requireFlux(purpose: string): { available: boolean; reason: string; versions: KubeVersion[]; flux?: FluxBuild } {
  const cp = requireControlPlane(purpose);
  if (!cp.available) return cp;
  const flux = builtFlux();
  if (flux) return { ...cp, flux };
  const reason = `SKIPPED ${purpose}: Flux kustomize-controller not built in ${fluxCacheDir()} (run scripts/install-flux.sh; .ci/run builds it)`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true: a skip in CI would hide a missing install step`);
  console.warn(reason);
  return { available: false, reason, versions: [] };
}

// ---------------------------------------------------------------------------------------------
// Artifacts

/** A file of an artifact: its bytes and Unix permission bits (0o644, 0o755). */
export interface ArtifactFile {
  readonly data: Buffer;
  readonly mode: number;
}

/**
 * A gzip-compressed ustar archive of `files` (relative paths with `/`), sorted by path, with
 * zeroed owners and times as fluxcd/pkg/tar's Tar writes them. Flux's fetcher (fluxcd/pkg
 * http/fetch) verifies the digest of these bytes, then untars them with fluxcd/pkg/tar: gzip
 * required, regular files and directories only, no absolute or `../` names.
 */
export function tarGz(files: ReadonlyMap<string, ArtifactFile>): Buffer {
  const blocks: Buffer[] = [];
  const dirs = new Set<string>();
  const entry = (name: string, type: '0' | '5', mode: number, data: Buffer) => {
    if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').includes('..')) throw new Error(`invalid artifact path ${JSON.stringify(name)}`);
    const header = Buffer.alloc(512);
    let prefix = '';
    let base = name;
    if (Buffer.byteLength(name) > 100) {
      // ustar: up to 155 bytes of directory in `prefix`, the rest (<= 100) in `name`.
      const cut = name.lastIndexOf('/', name.length - 1 - (type === '5' ? 1 : 0));
      prefix = name.slice(0, cut);
      base = name.slice(cut + 1);
      if (cut < 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(base) > 100) throw new Error(`artifact path too long for ustar: ${name}`);
    }
    const put = (value: string, offset: number, length: number) => header.write(value, offset, length, 'utf8');
    const octal = (value: number, offset: number, length: number) => put(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
    put(base, 0, 100);
    octal(mode, 100, 8);
    octal(0, 108, 8); // uid
    octal(0, 116, 8); // gid
    octal(data.length, 124, 12);
    octal(0, 136, 12); // mtime
    put('        ', 148, 8); // checksum placeholder: spaces
    put(type, 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    put(prefix, 345, 155);
    let sum = 0;
    for (const b of header) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header, data);
    if (data.length % 512) blocks.push(Buffer.alloc(512 - (data.length % 512)));
  };
  for (const path of [...files.keys()].sort()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entry(dir, '5', 0o755, Buffer.alloc(0));
      }
    }
    const f = files.get(path) as ArtifactFile;
    entry(path, '0', f.mode, f.data);
  }
  blocks.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return gzipSync(Buffer.concat(blocks));
}

/** What a source's `status.artifact` says about a published tarball. */
export interface Artifact {
  /** e.g. main@sha1:<commit>, as source-controller writes a GitRepository's revision. */
  readonly revision: string;
  readonly url: string;
  /** sha256:<hex> of the tarball, what the fetcher verifies. */
  readonly digest: string;
  /** Path of the tarball on the server, as source-controller writes it (<kind>/<namespace>/<name>/<file>). */
  readonly path: string;
  readonly size: number;
}

/** An HTTP server on 127.0.0.1 serving published tarballs, in place of source-controller's storage. */
export class ArtifactServer {
  /** Requests served, newest last: path and status. */
  readonly requests: { path: string; status: number }[] = [];
  private readonly files = new Map<string, Buffer>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<ArtifactServer> {
    const port = await freePort();
    let self: ArtifactServer | undefined;
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\//, '');
      const body = self?.files.get(path);
      const status = req.method === 'GET' && body ? 200 : 404;
      self?.requests.push({ path, status });
      res.writeHead(status, { 'content-type': status === 200 ? 'application/gzip' : 'text/plain', 'content-length': body && status === 200 ? body.length : 9 });
      res.end(status === 200 ? body : 'not found');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    self = new ArtifactServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Serves `tarball` at `path` (default: artifacts/<sha256>.tar.gz) and describes it. */
  publish(revision: string, tarball: Buffer, path?: string): Artifact {
    const hex = createHash('sha256').update(tarball).digest('hex');
    const p = path ?? `artifacts/${hex}.tar.gz`;
    this.files.set(p, tarball);
    return { revision, url: `${this.baseUrl}/${p}`, digest: `sha256:${hex}`, path: p, size: tarball.length };
  }

  /** Stops serving a tarball (the fetcher then gets 404, as after source-controller's garbage collection). */
  unpublish(artifact: Artifact): void {
    this.files.delete(artifact.path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Writes a source object's status as source-controller does once it has an artifact: Ready and
 * ArtifactInStorage True, `observedGeneration`, and `artifact` {url, revision, digest,
 * lastUpdateTime, path, size}. The object must exist (any Flux source kind: GitRepository,
 * OCIRepository, Bucket). kustomize-controller reads only `status.artifact`; the conditions
 * make `kubectl get` and health checks see a ready source.
 */
export async function setSourceArtifact(
  cp: ControlPlane,
  source: { readonly kind: 'GitRepository' | 'OCIRepository' | 'Bucket'; readonly namespace: string; readonly name: string },
  artifact: Artifact,
): Promise<void> {
  const plural = { GitRepository: 'gitrepositories', OCIRepository: 'ocirepositories', Bucket: 'buckets' }[source.kind];
  const path = `/apis/source.toolkit.fluxcd.io/v1/namespaces/${source.namespace}/${plural}/${source.name}`;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (let attempt = 0; ; attempt++) {
    const got = await cp.request('GET', path);
    if (got.status !== 200) throw new Error(`GET ${path}: HTTP ${got.status} ${got.body}`);
    const obj = JSON.parse(got.body) as { metadata: { generation?: number }; status?: Record<string, unknown> };
    const message = `stored artifact for revision '${artifact.revision}'`;
    const condition = (type: string, reason: string) => ({ type, status: 'True', reason, message, lastTransitionTime: now, observedGeneration: obj.metadata.generation ?? 1 });
    obj.status = {
      ...obj.status,
      observedGeneration: obj.metadata.generation ?? 1,
      conditions: [condition('Ready', 'Succeeded'), condition('ArtifactInStorage', 'Succeeded')],
      artifact: { digest: artifact.digest, lastUpdateTime: now, path: artifact.path, revision: artifact.revision, size: artifact.size, url: artifact.url },
    };
    const put = await cp.request('PUT', `${path}/status`, obj);
    if (put.status === 200) return;
    if (put.status !== 409 || attempt > 10) throw new Error(`PUT ${path}/status: HTTP ${put.status} ${put.body}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The controller

export interface KustomizeControllerOptions {
  /** --requeue-dependency: how soon a Kustomization whose dependencies are not ready is retried (default 1s; upstream 30s). */
  readonly requeueDependency?: string;
  /** --log-level (default info). */
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'error';
  /** More flags. */
  readonly args?: readonly string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const live = new Set<KustomizeController>();
let exitHookInstalled = false;

/** One JSON line of the controller's log (its default --log-encoding=json). */
export interface ControllerLogLine {
  readonly level: string;
  readonly ts: string;
  readonly msg: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly [key: string]: unknown;
}

export class KustomizeController {
  /** The flags it was started with. */
  readonly args: readonly string[];
  /** Milliseconds from start() to its readiness endpoint answering 200. */
  startupMs = 0;
  private exited?: string;

  private constructor(
    private readonly proc: ChildProcess,
    readonly log: string,
    args: readonly string[],
    readonly healthUrl: string,
  ) {
    this.args = args;
    proc.on('exit', (code, signal) => (this.exited = signal ? `killed by ${signal}` : `exited with ${code}`));
    proc.on('error', (err) => (this.exited = `failed to start: ${err.message}`));
  }

  /**
   * Starts kustomize-controller against `cp` and waits until its manager is ready (caches synced,
   * which needs the Kustomization and source CRDs installed: see installFluxCrds()).
   */
  static async start(cp: ControlPlane, opts: KustomizeControllerOptions = {}, build: FluxBuild | undefined = builtFlux()): Promise<KustomizeController> {
    if (!build) throw new Error(`kustomize-controller not built in ${fluxCacheDir()} (run scripts/install-flux.sh)`);
    const t0 = Date.now();
    const [metricsPort, healthPort] = await Promise.all([freePort(), freePort()]);
    const args = [
      '--watch-all-namespaces=true',
      '--enable-leader-election=false',
      `--metrics-addr=127.0.0.1:${metricsPort}`,
      `--health-addr=127.0.0.1:${healthPort}`,
      `--requeue-dependency=${opts.requeueDependency ?? '1s'}`,
      `--log-level=${opts.logLevel ?? 'info'}`,
      '--log-encoding=json',
      ...(opts.args ?? []),
    ];
    const log = join(cp.dir, 'kustomize-controller.log');
    const fd = openSync(log, 'a');
    writeFileSync(fd, `# ${build.kustomizeController.bin} ${args.join(' ')}\n`);
    // No --kubeconfig flag (controller-runtime's is a Go flag; the controller parses pflags): KUBECONFIG.
    const proc = spawn(build.kustomizeController.bin, args, {
      cwd: cp.dir,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, KUBECONFIG: cp.kubeconfig, HOME: cp.dir, RUNTIME_NAMESPACE: 'flux-system', TMPDIR: cp.dir },
    });
    closeSync(fd);
    // The control plane's watchdog kills every pid in <dir>/pids when the test process dies.
    if (proc.pid) writeFileSync(join(cp.dir, 'pids', 'kustomize-controller'), String(proc.pid));
    const kc = new KustomizeController(proc, log, args, `http://127.0.0.1:${healthPort}/readyz`);
    live.add(kc);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const c of live) c.proc.kill('SIGKILL');
      });
    }
    try {
      await kc.waitFor(async () => (await getStatus(kc.healthUrl)) === 200, 60_000, 'kustomize-controller /readyz');
      // Ready answers before the controller's caches sync: wait for its workers too.
      await kc.waitFor(() => kc.logLines().some((l) => l.msg === 'Starting workers'), 60_000, 'kustomize-controller workers started');
    } catch (err) {
      await kc.stop();
      throw err;
    }
    kc.startupMs = Date.now() - t0;
    return kc;
  }

  /** Whether the process still runs. */
  get running(): boolean {
    return !this.exited;
  }

  /** The JSON lines of its log (other lines, such as the command line, are skipped). */
  logLines(): ControllerLogLine[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as ControllerLogLine];
        } catch {
          return [];
        }
      });
  }

  /** The last lines of its log. */
  tail(lines = 40): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : `(no ${this.log})`;
  }

  /** Polls `predicate` every 250 ms; throws after `timeoutMs`, or at once if the controller died, with its log tail. */
  async waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      if (this.exited) throw new Error(`kustomize-controller ${this.exited} while waiting for ${what}; ${this.log}:\n${this.tail()}`);
      try {
        if (await predicate()) return;
        last = '';
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}; ${this.log}:\n${this.tail()}`);
      await sleep(250);
    }
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    live.delete(this);
    if (this.exited) return;
    this.proc.kill('SIGTERM');
    const deadline = Date.now() + 5_000;
    while (!this.exited && Date.now() < deadline) await sleep(20);
    if (!this.exited) this.proc.kill('SIGKILL');
    while (!this.exited) await sleep(10);
  }
}

/** Installs the Flux CRDs kustomize-controller needs: schemas/crds/flux (vendored) and the build's extra source CRDs. */
export async function installFluxCrds(cp: ControlPlane, vendoredDir: string, build: FluxBuild | undefined = builtFlux()): Promise<void> {
  if (!build) throw new Error(`kustomize-controller not built in ${fluxCacheDir()} (run scripts/install-flux.sh)`);
  await cp.applyServerSide({ paths: [vendoredDir, ...build.sourceCrds.files.map((f) => join(build.sourceCrds.dir, f))] }, { fieldManager: 'db-platform-test-crds' });
  cp.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd']);
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}
