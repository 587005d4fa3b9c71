/**
 * Skipping a cluster whose render cannot have changed: `npm run synth` after a change to one
 * cluster renders that cluster only. A cluster is skipped when everything its render reads is
 * as it was at its last render (its platform.yaml, the waivers file, the CLI's code, the
 * vendored schemas, kube-score and CI=true or not) and its output folders are byte for byte
 * what that render wrote. The record lives in the disk cache (core cache.ts); any doubt renders.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProgram, readCache, readTree, sha256, writeCache } from '@db/core';
import { waiversFileOf } from './verify.ts';

/** What identifies the running code: the bundle's file (size and time); undefined when running from the sources, which never skips. */
export function bundleIdentity(moduleUrl: string = import.meta.url): string | undefined {
  if (!moduleUrl.endsWith('/dist/cli.mjs')) return undefined;
  try {
    const s = statSync(fileURLToPath(moduleUrl));
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** Size and time of every vendored schema file the validators read (CRDs, and each Kubernetes version's folder). */
function schemasSignature(schemaRoot: string): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else {
        const s = statSync(path);
        parts.push(`${path}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(join(schemaRoot, 'crds'));
  const kubernetes = join(schemaRoot, 'kubernetes');
  for (const v of readdirSync(kubernetes).sort()) {
    const s = statSync(join(kubernetes, v));
    parts.push(`${v}:${s.mtimeMs}:${readdirSync(join(kubernetes, v)).length}`);
  }
  return sha256(...parts);
}

export interface RenderInputs {
  readonly cluster: string;
  readonly platformFile: string;
  readonly workspace: string;
  readonly schemaRoot: string;
  readonly code: string;
}

/** The key of everything one cluster's render reads. */
export function renderKey(i: RenderInputs): string | undefined {
  try {
    const waivers = waiversFileOf(i.workspace);
    const kubeScore = findProgram('kube-score');
    return sha256(
      i.cluster,
      i.code,
      readFileSync(i.platformFile, 'utf8'),
      existsSync(waivers) ? readFileSync(waivers, 'utf8') : '',
      schemasSignature(i.schemaRoot),
      kubeScore ? `${kubeScore}:${statSync(kubeScore).mtimeMs}` : 'no kube-score',
      process.env.CI === 'true' ? 'ci' : '',
    );
  } catch {
    return undefined;
  }
}

/** A hash of the output folders as they are on disk. */
export function outputHash(dirs: readonly string[]): string {
  const parts: string[] = [];
  for (const dir of dirs) for (const [file, text] of [...readTree(dir)].sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(dir, file, text);
  return sha256(...parts);
}

const entryOf = (cluster: string, workspace: string) => `renders/${sha256(workspace, cluster)}.json`;

/** True when the last render of this cluster had this key and its output is untouched since. */
export function unchanged(cluster: string, workspace: string, key: string, outputDirs: readonly string[]): boolean {
  const text = readCache(entryOf(cluster, workspace));
  if (!text) return false;
  try {
    const last = JSON.parse(text) as { key?: string; output?: string };
    return last.key === key && last.output === outputHash(outputDirs);
  } catch {
    return false;
  }
}

/** Records a render: its key and the output it left. */
export function remember(cluster: string, workspace: string, key: string, outputDirs: readonly string[]): void {
  writeCache(entryOf(cluster, workspace), JSON.stringify({ key, output: outputHash(outputDirs) }));
}
