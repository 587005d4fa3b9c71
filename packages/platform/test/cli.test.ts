/**
 * The CLI as a user runs it: a refused render prints every problem with file:line:column,
 * no stack trace, exits 1, and leaves the previous output byte for byte as it was; a good
 * render replaces the output and removes stale files.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/paths.ts';

const BIN = join(REPO_ROOT, 'packages/platform/bin/db-platform.mjs');
const workspace = mkdtempSync(join(tmpdir(), 'db-platform-cli-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: workspace, env: { ...process.env, DB_PLATFORM_WORKSPACE: workspace }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, p: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${p}${e.name}/`);
      else out[`${p}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

describe('db-platform synth', () => {
  mkdirSync(join(workspace, 'apps/prod'), { recursive: true });
  cpSync(join(REPO_ROOT, 'apps/prod/platform.yaml'), join(workspace, 'apps/prod/platform.yaml'));
  // The workspace's waivers: synth scores the render with kube-score and accepts only what they list.
  cpSync(join(REPO_ROOT, 'policy'), join(workspace, 'policy'), { recursive: true });
  const platform = join(workspace, 'apps/prod/platform.yaml');
  const good = readFileSync(platform, 'utf8');

  it('renders, and removes files of objects that no longer exist', () => {
    mkdirSync(join(workspace, 'clusters/prod/postgres'), { recursive: true });
    writeFileSync(join(workspace, 'clusters/prod/postgres/stale-object.yaml'), 'kind: Stale\n');
    const r = cli(['synth', 'prod']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^prod: \d+ objects \(platform \d+, postgres \d+/);
    expect(existsSync(join(workspace, 'clusters/prod/postgres/stale-object.yaml'))).toBe(false);
    expect(snapshot(join(workspace, 'clusters/prod'))).toEqual(snapshot(join(REPO_ROOT, 'clusters/prod')));
  });

  it('refuses bad input with positions, no stack trace, and leaves the output untouched', () => {
    const before = snapshot(join(workspace, 'clusters/prod'));
    writeFileSync(platform, good.replace('instances: 2 #', 'instances: "2" #').replace('database: linkwarden', 'database: link-warden').replace('storage:\n  block:', 'storage:\n  blocks:'));
    const r = cli(['synth', 'prod']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing written');
    expect(r.stderr).toMatch(/apps\/prod\/platform\.yaml:\d+:\d+: postgres\.instances: must be integer/);
    expect(r.stderr).toMatch(/apps\/prod\/platform\.yaml:\d+:\d+: tenants\[2\]\.postgres\.database: "link-warden" is not valid/);
    expect(r.stderr).toMatch(/storage\.blocks: unknown field/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(snapshot(join(workspace, 'clusters/prod'))).toEqual(before);
    writeFileSync(platform, good);
  });

  it('refuses a cluster whose name does not match its folder', () => {
    writeFileSync(platform, good.replace('cluster: prod', 'cluster: staging'));
    const r = cli(['synth', 'prod']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/platform\.yaml:\d+:\d+: cluster: cluster "staging" does not match its folder apps\/prod/);
    writeFileSync(platform, good);
  });

  it('refuses a waiver without a reason and a waiver that matches nothing, in the waivers file, with positions', () => {
    const waiversFile = join(workspace, 'policy/workload-waivers.yaml');
    const waivers = readFileSync(waiversFile, 'utf8');
    const before = snapshot(join(workspace, 'clusters/prod'));
    writeFileSync(waiversFile, waivers.replace(/reason: "Selects the CNPG primary pod[^"]*"/, 'reason: "because"'));
    let r = cli(['synth', 'prod']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy\/workload-waivers\.yaml:\d+:\d+: kube-score\.objects\[0\]\.reason: must NOT have fewer than 30 characters/);
    writeFileSync(waiversFile, waivers.replace('"prod:Service/dbaas/postgresql"', '"prod:Service/dbaas/postgresql", "prod:Service/dbaas/gone"'));
    r = cli(['synth', 'prod']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy\/workload-waivers\.yaml:\d+:\d+: kube-score\.objects\[0\]\.objects\[1\]: kube-score waiver for service-targets-pod on prod:Service\/dbaas\/gone matches nothing/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(snapshot(join(workspace, 'clusters/prod'))).toEqual(before);
    writeFileSync(waiversFile, waivers);
  });

  it('validates what it rendered against two Kubernetes versions', () => {
    const r = cli(['validate', 'prod']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/prod: \d+ objects checked against Kubernetes v1\.32 and v1\.37/);
  });

  it('fails validation of a hand-edited file with an unknown field', () => {
    const file = join(workspace, 'clusters/prod/postgres/service-postgresql.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  type: ClusterIP', '  type: ClusterIP\n  tipe: ClusterIP'));
    const r = cli(['validate', 'prod']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec: unknown field "tipe"');
  });
});
