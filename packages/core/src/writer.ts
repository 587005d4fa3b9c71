/**
 * Rendered objects → files. One object per file, named `<kind>-<name>.yaml` (Tanka style),
 * one folder per component with its `kustomization.yaml`, and a top-level
 * `kustomization.yaml` so `kubectl kustomize clusters/<cluster>` builds the whole cluster.
 *
 * Writing is atomic: the new tree is written beside the old one and swapped in with
 * renames, so a failure (or Ctrl-C) leaves the previous output as it was, and files of
 * objects that no longer exist disappear.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { stringify } from 'yaml';
import type { RenderedObject } from './objects.ts';

/** Serialises one object the same way everywhere (files, golden tests, charts, benchmarks). */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
}

function fileNameOf(r: RenderedObject, qualify: boolean): string {
  const { kind, metadata } = r.object;
  const ns = qualify && metadata.namespace ? `${metadata.namespace}-` : '';
  return `${kind.toLowerCase()}-${ns}${metadata.name}.yaml`;
}

export interface RenderTreeOptions {
  /**
   * Components written to their folder but not listed by the cluster's top-level
   * kustomization.yaml: the GitOps wiring, bootstrapped on its own (see README).
   */
  readonly standalone?: ReadonlySet<string>;
}

/**
 * The complete file tree of one cluster, as relative path → content. Deterministic: the
 * same objects always give the same bytes, whatever order they were built in.
 */
export function renderTree(objects: readonly RenderedObject[], header: string, extraFiles: ReadonlyMap<string, string> = new Map(), options: RenderTreeOptions = {}): Map<string, string> {
  const files = new Map<string, string>();
  const byComponent = new Map<string, RenderedObject[]>();
  for (const r of objects) {
    const list = byComponent.get(r.component);
    if (list) list.push(r);
    else byComponent.set(r.component, [r]);
  }

  for (const [component, list] of byComponent) {
    const plain = new Map<string, number>();
    for (const r of list) plain.set(fileNameOf(r, false), (plain.get(fileNameOf(r, false)) ?? 0) + 1);
    const names: string[] = [];
    for (const r of list) {
      const name = fileNameOf(r, (plain.get(fileNameOf(r, false)) ?? 0) > 1);
      const path = `${component}/${name}`;
      if (files.has(path)) throw new Error(`two objects render to ${path}: ${r.object.kind} ${r.object.metadata.namespace ?? ''}/${r.object.metadata.name} is defined twice`);
      files.set(path, `${header}${toYaml(r.object)}`);
      names.push(name);
    }
    files.set(`${component}/kustomization.yaml`, `${header}${toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names.sort() })}`);
  }
  for (const [path, content] of extraFiles) files.set(path, content);
  files.set(
    'kustomization.yaml',
    `${header}${toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...byComponent.keys()].filter((c) => !options.standalone?.has(c)).sort() })}`,
  );
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Replaces `dir` with exactly `files`, atomically (two renames on the same filesystem). A file
 * whose content is what `dir` already holds is hard-linked into the new tree instead of written
 * again: after a change to one tenant of a large cluster only its files are written (and
 * flushed to disk), and the others keep their inode and modification time.
 */
export function writeTreeAtomically(dir: string, files: ReadonlyMap<string, string>): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(dir)}.staging-${process.pid}`);
  const previous = join(parent, `.${basename(dir)}.previous-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const made = new Set<string>();
  let linking = existsSync(dir);
  try {
    for (const [path, content] of files) {
      const target = join(staging, path);
      const folder = dirname(target);
      if (!made.has(folder)) {
        mkdirSync(folder, { recursive: true });
        made.add(folder);
      }
      if (linking && unchanged(join(dir, path), content)) {
        try {
          linkSync(join(dir, path), target);
          continue;
        } catch {
          linking = false; // A filesystem without hard links: write every file.
        }
      }
      writeFileSync(target, content);
    }
    const hadOld = existsSync(dir);
    if (hadOld) renameSync(dir, previous);
    try {
      renameSync(staging, dir);
    } catch (err) {
      if (hadOld) renameSync(previous, dir);
      throw err;
    }
    rmSync(previous, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Whether `file` holds exactly `content` (false when it is missing or unreadable). */
function unchanged(file: string, content: string): boolean {
  try {
    return readFileSync(file, 'utf8') === content;
  } catch {
    return false;
  }
}

/** The file tree under `dir` as relative path → content (empty when `dir` does not exist). */
export function readTree(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of readTree(join(dir, e.name), rel)) files.set(k, v);
    else files.set(rel, readFileSync(join(dir, e.name), 'utf8'));
  }
  return files;
}
