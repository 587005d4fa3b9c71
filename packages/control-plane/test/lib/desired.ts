/**
 * What the suite reads: the clusters (apps/<cluster>/platform.yaml), their committed render
 * (clusters/<cluster>/, built with `kubectl kustomize` exactly as it is applied) and the
 * GitOps folders beside it. Nothing here writes to the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { findProgram } from '@db/core/testing';

export type Obj = Record<string, any>;

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface ClusterInfo {
  readonly name: string;
  /** Parsed apps/<cluster>/platform.yaml. */
  readonly platform: Obj;
  /** Its text (names of user-provided prerequisites must appear literally in it). */
  readonly platformText: string;
  /** clusters/<cluster> */
  readonly dir: string;
}

/** Every cluster with a platform.yaml and a rendered folder, by name. */
export function discoverClusters(): ClusterInfo[] {
  const apps = join(ROOT, 'apps');
  return readdirSync(apps, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(apps, d.name, 'platform.yaml')))
    .map((d) => {
      const platformText = readFileSync(join(apps, d.name, 'platform.yaml'), 'utf8');
      const platform = (parse(platformText) ?? {}) as Obj;
      const name = typeof platform.cluster === 'string' ? platform.cluster : d.name;
      return { name, platform, platformText, dir: join(ROOT, 'clusters', name) };
    })
    .filter((c) => existsSync(join(c.dir, 'kustomization.yaml')))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function kubectlPath(): string {
  const k = findProgram('kubectl');
  if (!k) throw new Error('kubectl not found on PATH');
  return k;
}

/** `kubectl kustomize <dir>`: the YAML stream that is applied. */
export function kustomize(dir: string): string {
  const r = spawnSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${r.stderr}`);
  return r.stdout;
}

export function parseObjects(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o && typeof o.kind === 'string');
}

/** The GitOps folders of a cluster that exist, in the order README's bootstrap applies them. */
export function gitopsFolders(clusterDir: string): { name: string; dir: string }[] {
  return ['argocd/bootstrap', 'argocd', 'flux', 'flux/operators'].map((name) => ({ name, dir: join(clusterDir, name) })).filter((f) => existsSync(join(f.dir, 'kustomization.yaml')));
}

export const ref = (o: Obj) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** Writes a cluster tree (path below clusters/<cluster>/ → content) into a scratch folder; returns clusters/<cluster> there. */
export function writeTree(cluster: string, tree: ReadonlyMap<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), `db-platform-tree-${cluster}-`));
  const dir = join(root, 'clusters', cluster);
  for (const [path, content] of tree) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Namespaces the rendered objects create (kind Namespace). */
export const renderedNamespaces = (objects: readonly Obj[]) => new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name as string));

const BUILT_IN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * The namespaces that must exist before the render is applied and that the platform does not
 * create: every namespace an object lives in, every namespace a NetworkPolicy or a
 * ClusterSecretStore names, every tenant's (and SQLite app's) namespace of platform.yaml, and
 * the namespaces of in-cluster DNS names (e.g. monitoring for the Pushgateway).
 */
export function prerequisiteNamespaces(objects: readonly Obj[], platform: Obj, dnsNamespaces: Iterable<string> = []): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.metadata?.namespace) out.add(o.metadata.namespace);
    walk(o, (key, value, parent) => {
      if (key === 'kubernetes.io/metadata.name' && typeof value === 'string') out.add(value);
      if (key === 'values' && Array.isArray(value) && parent?.key === 'kubernetes.io/metadata.name') for (const v of value) if (typeof v === 'string') out.add(v);
    });
    if (o.kind === 'ClusterSecretStore') for (const c of o.spec?.conditions ?? []) for (const n of c.namespaces ?? []) out.add(n);
  }
  for (const t of platform.tenants ?? []) out.add(t.namespace ?? t.name);
  for (const s of platform.sqlite ?? []) out.add(s.namespace ?? s.app);
  for (const n of dnsNamespaces) out.add(n);
  for (const n of renderedNamespaces(objects)) out.delete(n);
  for (const n of BUILT_IN_NAMESPACES) out.delete(n);
  return [...out].filter((n) => typeof n === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n)).sort();
}

/** Calls `visit` for every key/value of an object tree (parent: the enclosing object). */
export function walk(v: unknown, visit: (key: string, value: unknown, parent: Obj | undefined) => void, parent?: Obj): void {
  if (Array.isArray(v)) for (const x of v) walk(x, visit, parent);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      visit(k, x, v as Obj);
      walk(x, visit, v as Obj);
    }
  }
}

/** Every string in an object tree, with its path. */
export function strings(v: unknown, path = ''): { path: string; value: string }[] {
  if (typeof v === 'string') return [{ path, value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, path ? `${path}.${k}` : k));
  return [];
}

/** The pod template of a workload kind we know (Deployment, StatefulSet, Job, CronJob, DaemonSet, ReplicaSet). */
export function podTemplate(o: Obj): Obj | undefined {
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template;
  if (['Deployment', 'StatefulSet', 'Job', 'DaemonSet', 'ReplicaSet'].includes(o.kind)) return o.spec?.template;
  return undefined;
}
