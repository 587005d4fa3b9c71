/**
 * `npm run bench`: render speed and memory, beside a floor measured in the same run.
 *
 * Cases (each in a fresh process, 3 runs, median wall time, max peak RSS):
 *   prod          the prod cluster, whole pipeline (load, constructs, guardrails, schema checks, file tree)
 *   tenants-1000  a generated platform with 1000 PostgreSQL tenants, whole pipeline
 *   floor         the same 1000-tenant objects as plain JSON, only serialised to the YAML file tree
 * Figures are printed, never asserted: timing belongs in benchmarks, not in tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Sample {
  case: string;
  objects: number;
  bytes: number;
  ms: number;
  maxRssMiB: number;
}

const CASE = join(dirname(fileURLToPath(import.meta.url)), 'case.ts');
const RUNS = 3;

function runCase(name: string, arg?: string): Sample & { wallMs: number } {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', 'tsx', CASE, name, ...(arg ? [arg] : [])], { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`bench case ${name} failed:\n${r.stderr}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample), wallMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function runBenchmarks(): number {
  const dir = mkdtempSync(join(tmpdir(), 'db-platform-bench-'));
  const objectsFile = join(dir, 'objects.json');
  try {
    const results: { name: string; samples: (Sample & { wallMs: number })[] }[] = [];
    for (const name of ['prod', 'tenants-1000', 'floor']) {
      const samples = Array.from({ length: RUNS }, () => runCase(name, name === 'prod' ? undefined : objectsFile));
      results.push({ name, samples });
    }
    console.log(`db-platform bench: Node ${process.version}, ${cpus().length} CPUs, ${RUNS} runs per case (median time, max peak RSS)`);
    console.log('case          objects  output KiB  render ms  process wall ms  peak RSS MiB');
    for (const { name, samples } of results) {
      const s = samples[0]!;
      console.log(
        `${name.padEnd(13)} ${String(s.objects).padStart(7)}  ${String(Math.round(s.bytes / 1024)).padStart(10)}  ${String(median(samples.map((x) => x.ms))).padStart(9)}  ${String(Math.round(median(samples.map((x) => x.wallMs)))).padStart(15)}  ${String(Math.max(...samples.map((x) => x.maxRssMiB))).padStart(12)}`,
      );
    }
    const big = results.find((r) => r.name === 'tenants-1000')!;
    const floor = results.find((r) => r.name === 'floor')!;
    const ratio = median(big.samples.map((x) => x.ms)) / Math.max(1, median(floor.samples.map((x) => x.ms)));
    console.log(`1000 tenants take ${ratio.toFixed(1)}x the serialisation floor (constructs, guardrails and schema checks are the rest).`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
