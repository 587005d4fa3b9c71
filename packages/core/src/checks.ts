/** Semantic checks of the shared parts of the desired state (engines check their own). */
import type { PlatformModel } from './model.ts';
import type { Problem } from './problems.ts';
import { RETENTION_AFTER_RETIREMENT_DAYS } from './schema.ts';

/** `tenantFields`: the tenant fields of the engines (their ids), one of which every tenant must use. */
export function checkPlatform(model: PlatformModel, tenantFields: readonly string[], now: Date = new Date()): Problem[] {
  const { source, input } = model;
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  input.tenants.forEach((t, i) => {
    const seen = names.get(t.name);
    if (seen !== undefined)
      problems.push(source.problem(['tenants', i, 'name'], `tenant "${t.name}" is declared twice (first at tenants[${seen}])`, 'merge the two entries: one tenant can use several engines'));
    else names.set(t.name, i);
    if (t.state === 'retired' && t.retiredOn === undefined)
      problems.push(
        source.problem(
          ['tenants', i, 'state'],
          `retired tenant "${t.name}" needs the day it was retired`,
          'add retiredOn: YYYY-MM-DD (its data is kept, and purge is allowed only after the retention)',
        ),
      );
    if (t.state !== 'retired' && t.retiredOn !== undefined) problems.push(source.problem(['tenants', i, 'retiredOn'], 'retiredOn is only meaningful with state: retired'));
    if (t.purge === true) {
      if (t.state !== 'retired')
        problems.push(
          source.problem(['tenants', i, 'purge'], `only a retired tenant can be purged`, 'retire it first (state: retired, retiredOn: YYYY-MM-DD); its data is kept until the retention is over'),
        );
      else if (t.retiredOn !== undefined && Date.parse(`${t.retiredOn}T00:00:00Z`) + RETENTION_AFTER_RETIREMENT_DAYS * 86_400_000 > now.getTime())
        problems.push(
          source.problem(
            ['tenants', i, 'purge'],
            `tenant "${t.name}" was retired on ${t.retiredOn}: its data is kept ${RETENTION_AFTER_RETIREMENT_DAYS} days`,
            `purge it on ${new Date(Date.parse(`${t.retiredOn}T00:00:00Z`) + RETENTION_AFTER_RETIREMENT_DAYS * 86_400_000).toISOString().slice(0, 10)} or later`,
          ),
        );
    }
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
