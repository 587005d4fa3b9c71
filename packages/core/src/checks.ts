/** Semantic checks of the shared parts of the desired state (engines check their own). */
import type { PlatformModel } from './model.ts';
import type { Problem } from './problems.ts';

/** `tenantFields`: the tenant fields of the engines (their ids), one of which every tenant must use. */
export function checkPlatform(model: PlatformModel, tenantFields: readonly string[]): Problem[] {
  const { source, input } = model;
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  input.tenants.forEach((t, i) => {
    const seen = names.get(t.name);
    if (seen !== undefined)
      problems.push(source.problem(['tenants', i, 'name'], `tenant "${t.name}" is declared twice (first at tenants[${seen}])`, 'merge the two entries: one tenant can use several engines'));
    else names.set(t.name, i);
    if (!tenantFields.some((f) => t[f] !== undefined))
      problems.push(source.problem(['tenants', i], `tenant "${t.name}" uses no database`, `add ${orList(tenantFields.map((f) => `${f}:`))}, or remove the tenant`));
  });
  const known = new Set([input.storage.block, input.storage.encrypted].filter((s): s is string => s !== undefined));
  for (const nfs of input.storage.nfs ?? []) {
    if (known.has(nfs))
      problems.push(source.problem(['storage', 'nfs'], `"${nfs}" is listed as NFS and also as a block storage class`, 'database volumes need block storage: fix storage.block / storage.encrypted'));
  }
  return problems;
}

/** `a, b or c` */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
