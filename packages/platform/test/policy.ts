/** policy/workload-waivers.yaml: every accepted posture exception and kube-score waiver, with its reason. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../src/index.ts';

export interface PostureException {
  readonly rule: string;
  readonly object: string;
  readonly container: string;
  readonly clusters: readonly string[];
  readonly reason: string;
}

export interface WorkloadWaivers {
  readonly posture: readonly PostureException[];
  readonly 'kube-score': {
    readonly flags: readonly { flag: string; reason: string }[];
    readonly ignoreTests: readonly { test: string; reason: string }[];
    readonly objects: readonly { test: string; objects: readonly string[]; reason: string }[];
  };
}

export const WAIVERS_FILE = join(REPO_ROOT, 'policy', 'workload-waivers.yaml');

export function loadWaivers(): WorkloadWaivers {
  const w = parse(readFileSync(WAIVERS_FILE, 'utf8')) as WorkloadWaivers;
  const reasons = [
    ...w.posture.map((p) => p.reason),
    ...w['kube-score'].flags.map((f) => f.reason),
    ...w['kube-score'].ignoreTests.map((t) => t.reason),
    ...w['kube-score'].objects.map((o) => o.reason),
  ];
  for (const r of reasons) if (typeof r !== 'string' || r.trim().length < 30) throw new Error(`${WAIVERS_FILE}: every waiver needs a reason of a sentence or more (got ${JSON.stringify(r)})`);
  return w;
}
