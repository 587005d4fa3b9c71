/**
 * Finding the programs the platform runs beside Node (kubeconform, kube-score, Helm): on PATH,
 * else in Go's bin folder, where scripts/install-go-tools.sh builds them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where `go install` puts binaries (scripts/install-go-tools.sh): $GOBIN, else $GOPATH/bin. */
export function goBinDir(): string {
  if (process.env.GOBIN) return process.env.GOBIN;
  const gopath = (process.env.GOPATH ?? join(homedir(), 'go')).split(delimiter)[0] ?? join(homedir(), 'go');
  return join(gopath, 'bin');
}

/** Looks a program up on PATH, then in Go's bin folder (or at an absolute path). */
export function findProgram(name: string): string | undefined {
  if (name.startsWith('/')) return existsSync(name) ? name : undefined;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.trim();
  const inGoBin = join(goBinDir(), name);
  return existsSync(inGoBin) ? inGoBin : undefined;
}
