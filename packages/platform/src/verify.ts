/**
 * Verify, after the guardrails and the schemas: the workload posture (Pod Security Standards
 * `restricted` and the workload rules of packages/core/src/posture.ts) and kube-score, with one
 * waiver model: policy/workload-waivers.yaml, where every accepted exception has its reason.
 * `synth` runs exactly this, and so do the tests, so synth never writes output the tests refuse.
 *
 * A waiver that matches nothing on a cluster it names is a problem too: an exception outlives
 * its cause only until the next render.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { checkPosture, findProgram, loadYamlFile, type K8sObject, type Problem, type SourceMap } from '@db/core';
import { WORKSPACE } from './paths.ts';

const Reason = Type.String({ minLength: 30, pattern: '\\S', description: 'Why the exception is accepted: a sentence or more.' });
const Closed = <T extends Parameters<typeof Type.Object>[0]>(p: T) => Type.Object(p, { additionalProperties: false });

export const WorkloadWaiversSchema = Closed({
  posture: Type.Array(
    Closed({
      rule: Type.String({ minLength: 1 }),
      object: Type.String({ minLength: 1, description: 'Kind/namespace/name' }),
      container: Type.String({ minLength: 1, description: 'container name, or (pod)' }),
      clusters: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
      reason: Reason,
    }),
  ),
  'kube-score': Closed({
    flags: Type.Array(Closed({ flag: Type.String({ pattern: '^--[a-z-]+(=\\S+)?$' }), reason: Reason })),
    ignoreTests: Type.Array(Closed({ test: Type.String({ pattern: '^[a-z0-9-]+$' }), reason: Reason })),
    objects: Type.Array(Closed({ test: Type.String({ pattern: '^[a-z0-9-]+$' }), objects: Type.Array(Type.String({ pattern: '^[a-z0-9-]+:[A-Za-z]+/' }), { minItems: 1 }), reason: Reason })),
  }),
});
export type WorkloadWaivers = Static<typeof WorkloadWaiversSchema>;

/** The waivers of a workspace, with positions for problems. */
export interface LoadedWaivers {
  readonly waivers: WorkloadWaivers;
  readonly source: SourceMap | undefined;
  readonly display: string;
}

export const waiversFileOf = (workspace: string) => join(workspace, 'policy', 'workload-waivers.yaml');

const cache = new Map<string, { ok: true; value: LoadedWaivers } | { ok: false; problems: Problem[] }>();

/** policy/workload-waivers.yaml of the workspace (none when the file does not exist), read once per process. */
export function loadWorkloadWaivers(workspace = WORKSPACE): { ok: true; value: LoadedWaivers } | { ok: false; problems: Problem[] } {
  const file = waiversFileOf(workspace);
  const display = relative(workspace, file);
  let result = cache.get(file);
  if (!result) {
    if (!existsSync(file)) result = { ok: true, value: { waivers: { posture: [], 'kube-score': { flags: [], ignoreTests: [], objects: [] } }, source: undefined, display } };
    else {
      const loaded = loadYamlFile<WorkloadWaivers>(file, display, WorkloadWaiversSchema, 'the workload waivers');
      result = loaded.ok ? { ok: true, value: { waivers: loaded.value, source: loaded.source, display } } : loaded;
    }
    cache.set(file, result);
  }
  return result;
}

function waiverProblem(w: LoadedWaivers, path: (string | number)[], message: string, hint: string): Problem {
  return w.source ? w.source.problem(path, message, hint) : { file: w.display, line: 0, column: 0, field: '', message, hint };
}

const postureKey = (f: { rule: string; object: string; container: string }) => `${f.rule} ${f.object} ${f.container}`;

/** Posture findings of one cluster's objects that no waiver accepts, and the cluster's waivers that accept nothing. */
export function verifyPosture(cluster: string, objects: readonly K8sObject[], loaded: LoadedWaivers, cause: (message: string, hint: string) => Problem): Problem[] {
  const { posture } = loaded.waivers;
  const used = new Set<number>();
  const problems: Problem[] = [];
  for (const f of checkPosture(objects)) {
    const i = posture.findIndex((e) => e.clusters.includes(cluster) && postureKey(e) === postureKey(f));
    if (i >= 0) used.add(i);
    else
      problems.push(
        cause(
          `[posture ${f.rule}] ${f.object} (${f.container}): ${f.message}`,
          `Pod Security Standards restricted and the workload rules hold for every rendered pod; to accept this one, add it to ${loaded.display} under posture with a reason`,
        ),
      );
  }
  posture.forEach((e, i) => {
    if (e.clusters.includes(cluster) && !used.has(i))
      problems.push(
        waiverProblem(loaded, ['posture', i], `posture exception for ${e.rule} on ${e.object} (${e.container}) matches nothing on ${cluster}`, 'the object complies now: remove the exception'),
      );
  });
  return problems;
}

export interface KubeScoreFinding {
  /** `Kind/namespace/name`. */
  readonly object: string;
  readonly test: string;
  readonly grade: number;
  readonly detail: string;
}

export interface KubeScoreResult {
  readonly objects: number;
  readonly checks: number;
  readonly findings: KubeScoreFinding[];
}

/** kube-score with the project's flags and switched-off tests over files; every check below OK (grade 10) that ran. */
export function kubeScore(program: string, files: readonly string[], waivers: WorkloadWaivers, extraArgs: readonly string[] = []): KubeScoreResult {
  return kubeScoreYaml(program, files.map((f) => readFileSync(f, 'utf8')).join('\n---\n'), waivers, extraArgs);
}

/**
 * kube-score over a stream of YAML documents, given on its standard input (`-`): any number of
 * objects, where file arguments would exceed the command-line limit (thousands of tenants).
 */
export function kubeScoreYaml(program: string, yaml: string, waivers: WorkloadWaivers, extraArgs: readonly string[] = []): KubeScoreResult {
  const ks = waivers['kube-score'];
  const args = ['score', '-o', 'json', '--color', 'never', ...ks.flags.map((f) => f.flag), ...ks.ignoreTests.flatMap((t) => ['--ignore-test', t.test]), ...extraArgs, '-'];
  const r = spawnSync(program, args, { input: yaml, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  // Exit 1 means "findings"; anything else, or no JSON, is kube-score failing.
  if (r.error) throw new Error(`kube-score could not run: ${r.error.message}`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`kube-score failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(r.stdout) as {
    type_meta: { kind: string };
    object_meta: { name: string; namespace?: string };
    checks: { check: { id: string }; grade: number; skipped: boolean; comments: { path: string; summary: string }[] | null }[];
  }[];
  const findings: KubeScoreFinding[] = [];
  let checks = 0;
  for (const o of report) {
    const ref = o.object_meta.namespace ? `${o.type_meta.kind}/${o.object_meta.namespace}/${o.object_meta.name}` : `${o.type_meta.kind}/${o.object_meta.name}`;
    for (const c of o.checks) {
      if (c.skipped) continue;
      checks++;
      if (c.grade >= 10) continue;
      findings.push({ object: ref, test: c.check.id, grade: c.grade, detail: (c.comments ?? []).map((m) => `${m.path ? `(${m.path}) ` : ''}${m.summary}`).join('; ') });
    }
  }
  return { objects: report.length, checks, findings };
}

export type KubeScoreVerdict =
  | { readonly ran: true; readonly result: KubeScoreResult; readonly waived: number; readonly problems: Problem[] }
  | { readonly ran: false; readonly why: string; readonly problems: Problem[] };

/**
 * kube-score over one cluster's rendered files (`files`: path in the tree → content), with
 * the object waivers for that cluster. Without kube-score installed it does not run, and says
 * so; in CI (`CI=true`) that is a problem, as a skipped test would be.
 */
export function verifyKubeScore(cluster: string, files: ReadonlyMap<string, string>, loaded: LoadedWaivers, cause: (message: string, hint: string) => Problem): KubeScoreVerdict {
  const program = findProgram('kube-score');
  if (!program) {
    const why = 'kube-score is not installed (bash scripts/install-go-tools.sh builds it)';
    return { ran: false, why, problems: process.env.CI === 'true' ? [cause(`${why}: the rendered workloads cannot be scored`, 'CI must score every render: install it')] : [] };
  }
  const documents = [...files].filter(([file]) => file.endsWith('.yaml') && !file.endsWith('kustomization.yaml')).map(([, text]) => text);
  const result = kubeScoreYaml(program, documents.join('\n---\n'), loaded.waivers);
  const objects = loaded.waivers['kube-score'].objects;
  const used = new Set<string>();
  const problems: Problem[] = [];
  let waived = 0;
  for (const f of result.findings) {
    const key = `${cluster}:${f.object}`;
    const i = objects.findIndex((w) => w.test === f.test && w.objects.includes(key));
    if (i >= 0) {
      used.add(`${i} ${key}`);
      waived++;
      continue;
    }
    problems.push(cause(`[kube-score ${f.test}] ${f.object}: ${f.detail}`, `to accept it, add "${key}" to a kube-score object waiver for ${f.test} in ${loaded.display}, with a reason`));
  }
  objects.forEach((w, i) => {
    w.objects.forEach((o, j) => {
      if (o.startsWith(`${cluster}:`) && !used.has(`${i} ${o}`))
        problems.push(
          waiverProblem(
            loaded,
            ['kube-score', 'objects', i, 'objects', j],
            `kube-score waiver for ${w.test} on ${o} matches nothing`,
            'the object complies now, or no longer exists: remove it from the list',
          ),
        );
    });
  });
  return { ran: true, result, waived, problems };
}
