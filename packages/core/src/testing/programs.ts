/**
 * Tests that need a real program (PostgreSQL, Redis, HAProxy, promtool...) run it for real.
 * Where it is missing, the test is skipped with the reason printed, except in CI
 * (`CI=true`), where a skip would hide a missing install step, so it fails instead.
 */
import { execFileSync } from 'node:child_process';
import { findProgram } from '../programs.ts';
export { findProgram, goBinDir } from '../programs.ts';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ProgramCheck {
  readonly available: boolean;
  /** Why the dependent tests are skipped, when not available. */
  readonly reason: string;
}

const IN_CI = process.env.CI === 'true';

/** The bin folder of the newest PostgreSQL server installed from Debian's packages. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/**
 * Whether every program is present. In CI a missing one throws (the suite fails); locally
 * the returned reason is printed and the tests are skipped.
 */
export function requirePrograms(purpose: string, programs: readonly string[], installHint: string): ProgramCheck {
  const missing = programs.filter((p) => findProgram(p) === undefined);
  if (missing.length === 0) return { available: true, reason: '' };
  const reason = `SKIPPED ${purpose}: ${missing.join(', ')} not installed (${installHint}; .ci/run installs it)`;
  if (IN_CI) throw new Error(`${reason}, and CI=true: a skip in CI would hide a missing install step`);
  console.warn(reason);
  return { available: false, reason };
}

/** Runs a program, returning its combined output; throws with that output on failure. */
export function run(program: string, args: readonly string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): string {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...options });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
