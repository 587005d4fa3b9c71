/**
 * kubeconform, offline: the JSON Schemas it loads through `-schema-location`, generated from
 * what is vendored, and a runner.
 *
 * - Kubernetes kinds: one standalone file per group/version/kind and Kubernetes version,
 *   cut from the kubernetes-validate strict `_definitions.json` (schemas/kubernetes/<v>):
 *   the kind's definition with the `$defs` it reaches, named as kubeconform looks them up
 *   (`<version>/<kind><-group-version>.json`).
 * - Custom kinds: one file per CRD version (openapi2jsonschema style,
 *   `crds/<group>/<kind>_<version>.json`, lowercase), closed like the render pipeline closes
 *   them, so an unknown field fails here too.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeCrdSchema, KUBERNETES_VERSIONS, loadCrdVersions } from '@db/core';

type Json = Record<string, any>;

/** `v1.32` → the full version kubeconform is given (`-kubernetes-version 1.32.0`). */
export const fullVersion = (v: string) => `${v.replace(/^v/, '')}.0`;

function refsOf(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) refsOf(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out.add(v.slice('#/$defs/'.length));
      else refsOf(v, out);
    }
  }
}

/** The definitions `name` reaches, itself included. */
function closure(defs: Json, name: string): string[] {
  const seen = new Set<string>();
  const todo = [name];
  while (todo.length > 0) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const found = new Set<string>();
    refsOf(defs[n], found);
    todo.push(...found);
  }
  return [...seen].sort();
}

export interface KubeconformSchemas {
  /** `-schema-location` templates, in lookup order. */
  readonly locations: readonly string[];
  /** Files written per Kubernetes version, and CRD files. */
  readonly counts: Record<string, number>;
}

/** Writes every schema kubeconform needs below `dir`. */
export function writeKubeconformSchemas(schemaRoot: string, dir: string): KubeconformSchemas {
  const counts: Record<string, number> = {};
  for (const v of KUBERNETES_VERSIONS) {
    const defs = (JSON.parse(readFileSync(join(schemaRoot, 'kubernetes', v, '_definitions.json'), 'utf8')) as Json).$defs as Json;
    const out = join(dir, `v${fullVersion(v)}`);
    mkdirSync(out, { recursive: true });
    let n = 0;
    for (const [name, def] of Object.entries(defs)) {
      for (const gvk of (def as Json)['x-kubernetes-group-version-kind'] ?? []) {
        // kubeconform's KindSuffix: "-" + first label of the group (or the version for core) + "-" + version.
        const suffix = gvk.group ? `-${String(gvk.group).split('.')[0]}-${gvk.version}` : `-${gvk.version}`;
        const standalone = { $schema: 'https://json-schema.org/draft/2020-12/schema', $ref: `#/$defs/${name}`, $defs: Object.fromEntries(closure(defs, name).map((d) => [d, defs[d]])) };
        writeFileSync(join(out, `${String(gvk.kind).toLowerCase()}${suffix.toLowerCase()}.json`), JSON.stringify(standalone));
        n++;
      }
    }
    counts[v] = n;
  }
  let crds = 0;
  // The same parsed CRDs the render validates against (cached as JSON, see loadCrdVersions).
  for (const crd of loadCrdVersions(join(schemaRoot, 'crds'))) {
    const closed = closeCrdSchema(crd.schema);
    closed.properties = { ...closed.properties, apiVersion: { const: `${crd.group}/${crd.version}` }, kind: { const: crd.kind }, metadata: { type: 'object' } };
    closed.required = [...new Set([...(closed.required ?? []), 'apiVersion', 'kind', 'metadata'])];
    const out = join(dir, 'crds', crd.group);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${crd.kind.toLowerCase()}_${crd.version}.json`), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...closed }));
    crds++;
  }
  counts.crds = crds;
  return {
    locations: [`${dir}/{{ .NormalizedKubernetesVersion }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`, `${dir}/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`],
    counts,
  };
}

export interface KubeconformResult {
  readonly kubernetesVersion: string;
  readonly valid: number;
  readonly invalid: number;
  readonly errors: number;
  readonly skipped: number;
  /** `file: kind name: message` per failing resource. */
  readonly problems: readonly string[];
}

/** Arguments of one strict kubeconform run over `paths` against one Kubernetes version. */
export function kubeconformArgs(schemas: KubeconformSchemas, kubernetesVersion: string, paths: readonly string[]): string[] {
  return [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-kubernetes-version',
    fullVersion(kubernetesVersion),
    ...schemas.locations.flatMap((l) => ['-schema-location', l]),
    '-ignore-filename-pattern',
    'kustomization\\.yaml$',
    ...paths,
  ];
}

/** Parses kubeconform's `-output json` (with `-summary`). */
export function parseKubeconformOutput(kubernetesVersion: string, stdout: string): KubeconformResult {
  const out = JSON.parse(stdout) as {
    resources?: { filename: string; kind: string; name: string; status: string; msg: string }[];
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  const problems = (out.resources ?? []).filter((r) => r.status !== 'statusValid').map((r) => `${r.filename}: ${r.kind} ${r.name}: ${r.status.replace(/^status/, '')}: ${r.msg}`);
  return { kubernetesVersion, ...out.summary, problems };
}
