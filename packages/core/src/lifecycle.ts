/**
 * A tenant's life: active, then retired (its data and dumps kept), then purged (its data
 * deleted, after the retention), and only then gone from platform.yaml. The rendered objects
 * of a tenant carry its name (`db-platform.io/tenant`) and, once retired, its state
 * (`db-platform.io/tenant-state`), so the committed output tells a render which tenants
 * exist and how far each got: a tenant that vanishes from the file without having been
 * purged is refused, whatever the order of the edits.
 */
import type { K8sObject } from './objects.ts';
import type { PlatformModel } from './model.ts';
import type { Problem } from './problems.ts';

export const TENANT_LABEL = 'db-platform.io/tenant';
export const TENANT_STATE_LABEL = 'db-platform.io/tenant-state';
export type TenantState = 'active' | 'retired' | 'purged';

export function tenantState(t: { readonly state?: string; readonly purge?: boolean }): TenantState {
  return t.state !== 'retired' ? 'active' : t.purge === true ? 'purged' : 'retired';
}

/** The objects with a retired or purged tenant's state on its labelled objects (new objects; the input is not changed). */
export function withTenantStates<T extends { readonly object: K8sObject }>(objects: readonly T[], model: PlatformModel): T[] {
  const states = new Map(model.tenants.map((t) => [t.name, tenantState(t)]));
  return objects.map((r) => {
    const tenant = r.object.metadata.labels?.[TENANT_LABEL];
    const state = tenant === undefined ? undefined : states.get(tenant);
    if (state === undefined || state === 'active') return r;
    return { ...r, object: { ...r.object, metadata: { ...r.object.metadata, labels: { ...r.object.metadata.labels, [TENANT_STATE_LABEL]: state } } } };
  });
}

/** The tenants named in rendered files (YAML text), each with the furthest state any of its objects records. */
export function committedTenants(files: Iterable<string>): Map<string, TenantState> {
  const order: TenantState[] = ['active', 'retired', 'purged'];
  const found = new Map<string, TenantState>();
  for (const text of files) {
    const tenant = /^\s*db-platform\.io\/tenant:\s*"?([a-z0-9-]+)"?\s*$/m.exec(text)?.[1];
    if (!tenant) continue;
    const state = (/^\s*db-platform\.io\/tenant-state:\s*"?([a-z]+)"?\s*$/m.exec(text)?.[1] ?? 'active') as TenantState;
    const before = found.get(tenant);
    if (before === undefined || order.indexOf(state) > order.indexOf(before)) found.set(tenant, state);
  }
  return found;
}

/**
 * Tenants the committed output holds that the desired state dropped before they were purged.
 * `rendered`: the objects about to be written; a name they still carry (an app of an engine
 * section rather than a tenant) is not gone.
 */
export function vanishedTenantProblems(model: PlatformModel, committed: ReadonlyMap<string, TenantState>, rendered: readonly K8sObject[]): Problem[] {
  const present = new Set([...model.tenants.map((t) => t.name), ...rendered.flatMap((o) => o.metadata.labels?.[TENANT_LABEL] ?? [])]);
  return [...committed]
    .filter(([name, state]) => !present.has(name) && state !== 'purged')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, state]) =>
      model.source.problem(
        ['tenants'],
        `tenant "${name}" is in clusters/${model.cluster}/ (${state}) but no longer in tenants: removing it would lose its data`,
        state === 'active'
          ? `put it back and retire it first: state: retired, retiredOn: ${new Date().toISOString().slice(0, 10)} (access is revoked, data and dumps kept); purge it after the retention, then remove it`
          : 'put it back with purge: true (after the retention), synth and merge that, then remove it',
      ),
    );
}
