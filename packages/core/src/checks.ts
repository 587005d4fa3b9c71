/** Semantic checks of the shared parts of the desired state (engines check their own). */
import type { PlatformModel } from './model.ts';
import type { Problem } from './problems.ts';

export function checkPlatform(model: PlatformModel): Problem[] {
  const { source, input } = model;
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  input.tenants.forEach((t, i) => {
    const seen = names.get(t.name);
    if (seen !== undefined)
      problems.push(source.problem(['tenants', i, 'name'], `tenant "${t.name}" is declared twice (first at tenants[${seen}])`, 'merge the two entries: one tenant can use several engines'));
    else names.set(t.name, i);
    if (!t.postgres && !t.mysql && !t.redis) problems.push(source.problem(['tenants', i], `tenant "${t.name}" uses no database`, 'add postgres:, mysql: or redis:, or remove the tenant'));
  });
  const apps = new Map<string, number>();
  (input.sqlite ?? []).forEach((s, i) => {
    const seen = apps.get(s.app);
    if (seen !== undefined) problems.push(source.problem(['sqlite', i, 'app'], `SQLite volume for "${s.app}" is declared twice (first at sqlite[${seen}])`));
    else apps.set(s.app, i);
  });
  const known = new Set([input.storage.block, input.storage.encrypted].filter((s): s is string => s !== undefined));
  for (const nfs of input.storage.nfs ?? []) {
    if (known.has(nfs))
      problems.push(source.problem(['storage', 'nfs'], `"${nfs}" is listed as NFS and also as a block storage class`, 'database volumes need block storage: fix storage.block / storage.encrypted'));
  }
  return problems;
}
