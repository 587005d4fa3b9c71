/**
 * db-platform CLI.
 *
 *   db-platform synth [cluster...] [--force]  render clusters (default: the app folder you are in, or all);
 *                                      a cluster whose inputs and output are as its last render left them is skipped
 *   db-platform validate [cluster...]  check rendered files against Kubernetes and CRD schemas
 *   db-platform schema                 write schemas/platform.schema.json (synth of every cluster does too)
 *   db-platform kubeconform [cluster...]  check rendered files with kubeconform -strict (Kubernetes 1.32 and 1.37, pinned CRDs)
 *   db-platform diff [ref] [--markdown]   the rendered objects added, changed and removed since <ref>
 *   db-platform bench [--profile]      print render speed and memory figures (or profile prod)
 *
 * User mistakes print as `file:line:column: field: message` with a hint, all at once, and
 * exit 1 with nothing written. Only a bug of db-platform itself prints a stack trace (exit 2).
 */
import { basename, dirname, join, relative } from 'node:path';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { parseAllDocuments } from 'yaml';
import { findProgram, formatProblems, platformJsonSchema, readTree, SchemaValidator, KUBERNETES_VERSIONS, type K8sObject } from '@db/core';
import { defaultRef, formatDiffMarkdown, formatDiffText, kubeconformArgs, parseKubeconformOutput, writeKubeconformSchemas } from '@db/delivery';
import { renderedDiff, type RenderedDiff } from './rendered-diff.ts';
import { synthToDisk } from './synth.ts';
import { INPUT_SCHEMA } from './engines.ts';
import { bundleIdentity, remember, renderKey, unchanged } from './render-cache.ts';
import { APPS_DIR, REPO_ROOT, SCHEMA_ROOT, WORKSPACE, chartDirOf, outputDirOf, platformFileOf } from './paths.ts';

function allClusters(): string[] {
  return readdirSync(APPS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(APPS_DIR, d.name, 'platform.yaml')))
    .map((d) => d.name)
    .sort();
}

function clustersFromArgs(args: string[]): string[] {
  if (args.length > 0) return args;
  const cwd = process.cwd();
  if (dirname(cwd) === APPS_DIR) return [basename(cwd)];
  return allClusters();
}

function synth(args: string[]): number {
  const force = args.includes('--force');
  const clusters = clustersFromArgs(args.filter((a) => a !== '--force'));
  const code = force ? undefined : bundleIdentity();
  let failed = 0;
  for (const cluster of clusters) {
    const out = outputDirOf(cluster);
    const outputs = [out, chartDirOf(cluster)];
    const key = code === undefined ? undefined : renderKey({ cluster, platformFile: platformFileOf(cluster), workspace: WORKSPACE, schemaRoot: SCHEMA_ROOT, code });
    if (key !== undefined && unchanged(cluster, WORKSPACE, key, outputs)) {
      console.log(`${cluster}: unchanged since its last render (same desired state, waivers, code and schemas; output untouched): skipped (--force renders it)`);
      continue;
    }
    const before = readTree(out);
    const result = synthToDisk(platformFileOf(cluster), out, cluster, chartDirOf(cluster));
    const warnings = result.ok ? result.guardrails.warnings : result.warnings;
    if (warnings.length > 0) console.warn(`${cluster}: ${warnings.length} guardrail warning(s):\n${formatProblems(warnings)}`);
    if (!result.ok) {
      console.error(`${cluster}: refused, nothing written (clusters/${cluster}/ is unchanged). ${result.problems.length} problem(s):\n${formatProblems(result.problems)}`);
      failed++;
      continue;
    }
    const added = [...result.files.keys()].filter((f) => !before.has(f)).length;
    const removed = [...before.keys()].filter((f) => !result.files.has(f)).length;
    const changed = [...result.files].filter(([f, c]) => before.has(f) && before.get(f) !== c).length;
    const perComponent = new Map<string, number>();
    for (const r of result.objects) perComponent.set(r.component, (perComponent.get(r.component) ?? 0) + 1);
    const components = [...perComponent].map(([c, n]) => `${c} ${n}`).join(', ');
    console.log(`${cluster}: ${result.objects.length} objects (${components}) → ${relative(process.cwd(), out) || '.'}: ${added} added, ${changed} changed, ${removed} removed`);
    if (key !== undefined) remember(cluster, WORKSPACE, key, outputs);
    for (const w of result.guardrails.waived) console.log(`  waived ${w.rule} on ${w.object}: ${w.reason}`);
    const ks = result.kubeScore;
    console.log(ks.ran ? `  kube-score: ${ks.result.objects} objects, ${ks.result.checks} checks, ${ks.waived} waived findings, none open` : `  kube-score: not run: ${ks.why}`);
  }
  return failed > 0 ? 1 : 0;
}

function validate(clusters: string[]): number {
  const validators = KUBERNETES_VERSIONS.map((v) => new SchemaValidator(v, SCHEMA_ROOT));
  let errors = 0;
  for (const cluster of clusters) {
    const dir = outputDirOf(cluster);
    if (!existsSync(dir)) {
      console.error(`${cluster}: clusters/${cluster}/ does not exist; run npm run synth first`);
      errors++;
      continue;
    }
    let objects = 0;
    for (const [file, text] of readTree(dir)) {
      if (!file.endsWith('.yaml') || basename(file) === 'kustomization.yaml') continue;
      const docs = parseAllDocuments(text);
      const parsed = Array.isArray(docs) ? docs : [docs];
      if (parsed.length !== 1 || parsed[0]!.errors.length > 0) {
        console.error(`clusters/${cluster}/${file}: expected exactly one valid YAML document`);
        errors++;
        continue;
      }
      const object = parsed[0]!.toJS() as K8sObject;
      objects++;
      for (const v of validators) {
        for (const e of v.validate(object)) {
          console.error(`clusters/${cluster}/${file}: ${e.object} (Kubernetes ${e.kubernetesVersion}): ${e.message}`);
          errors++;
        }
      }
    }
    console.log(`${cluster}: ${objects} objects checked against Kubernetes ${KUBERNETES_VERSIONS.join(' and ')} schemas and the pinned CRDs`);
  }
  for (const v of validators) v.saveResults();
  if (errors > 0) console.error(`${errors} schema error(s)`);
  return errors > 0 ? 1 : 0;
}

function writeSchema(): number {
  const target = join(SCHEMA_ROOT, 'platform.schema.json');
  const text = `${JSON.stringify(platformJsonSchema(INPUT_SCHEMA.schema), null, 2)}\n`;
  const old = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (old !== text) writeFileSync(target, text);
  console.log(`${relative(REPO_ROOT, target)}: ${old === text ? 'unchanged' : 'written'}`);
  return 0;
}

/** kubeconform -strict over clusters/<cluster>/, with schemas generated from what is vendored (no network). */
function kubeconform(clusters: string[]): number {
  const program = findProgram('kubeconform');
  if (!program) {
    console.error('kubeconform is not installed: scripts/install-go-tools.sh builds it');
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'kubeconform-schemas-'));
  try {
    const schemas = writeKubeconformSchemas(SCHEMA_ROOT, dir);
    let failed = 0;
    for (const version of KUBERNETES_VERSIONS) {
      const r = spawnSync(program, kubeconformArgs(schemas, version, clusters.map(outputDirOf)), { encoding: 'utf8' });
      const result = parseKubeconformOutput(version, r.stdout);
      for (const p of result.problems) console.error(`  ${relative(process.cwd(), p.split(':')[0]!)}${p.slice(p.indexOf(':'))}`);
      console.log(`kubeconform -strict, Kubernetes ${version} and the pinned CRDs: ${result.valid} valid, ${result.invalid} invalid, ${result.errors} errors (${clusters.join(', ')})`);
      if (r.status !== 0 || result.invalid + result.errors > 0) failed++;
    }
    return failed > 0 ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The rendered diff: a fresh render of every cluster in apps/ against clusters/ as committed
 * at a git ref (default origin/main, else main, else HEAD). Writes nothing.
 */
function diff(args: string[]): number {
  const markdown = args.includes('--markdown');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--markdown');
  const refs = args.filter((a) => !a.startsWith('--'));
  if (unknown.length > 0 || refs.length > 1) {
    console.error('usage: db-platform diff [ref] [--markdown]');
    return 64;
  }
  const ref = refs[0] ?? defaultRef(WORKSPACE);
  let result: RenderedDiff;
  try {
    result = renderedDiff(WORKSPACE, ref);
  } catch (err) {
    console.error(`db-platform diff: ${(err as Error).message}`);
    return 1;
  }
  if (!result.ok) {
    for (const r of result.refused) console.error(`${r.cluster}: refused. ${r.problems.length} problem(s):\n${formatProblems(r.problems)}`);
    return 1;
  }
  process.stdout.write(markdown ? formatDiffMarkdown(ref, result.changes) : formatDiffText(ref, result.changes));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'synth': {
      const status = synth(args);
      // Every cluster of the repository rendered: the editor schema too, in the same process.
      const all = args.every((a) => a.startsWith('--'));
      return all && WORKSPACE === REPO_ROOT ? Math.max(status, writeSchema()) : status;
    }
    case 'validate':
      return validate(clustersFromArgs(args));
    case 'schema':
      return writeSchema();
    case 'kubeconform':
      return kubeconform(clustersFromArgs(args));
    case 'diff':
      return diff(args);
    case 'bench': {
      const { runBenchmarks } = await import('../bench/bench.ts');
      return runBenchmarks(args);
    }
    default:
      console.error('usage: db-platform synth|validate|kubeconform [cluster...] | diff [ref] [--markdown] | schema | bench');
      return 64;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error('db-platform: internal error (a bug in db-platform, not in your input):');
  console.error(err);
  process.exitCode = 2;
}
