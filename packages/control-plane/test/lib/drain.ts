/**
 * `kubectl drain`, done through the API so every refusal and every PodDisruptionBudget can be
 * watched: cordon, then evict every pod on the node (policy/v1 Eviction), retrying refused
 * evictions (HTTP 429) while controllers and the operator stand-ins react (a StatefulSet or
 * Deployment replaces its pod elsewhere, CNPG switches its primary over and re-creates evicted
 * instances). After each eviction, once the disruption controller has counted again, every
 * PDB must still have `currentHealthy >= desiredHealthy`.
 */
import type { ControlPlane } from '../../src/index.ts';
import type { Obj } from './desired.ts';
import { isReady, type Operators } from './operators.ts';

export interface Refusal {
  readonly pod: string;
  readonly status: number;
  /** The PDB's own words (`The disruption budget X needs N healthy pods and has M currently`), or the API's message. */
  readonly why: string;
}

export interface DrainResult {
  readonly node: string;
  /** Every pod left the node within the bound. */
  readonly completed: boolean;
  readonly ms: number;
  readonly evicted: string[];
  /** Every refused eviction attempt (the same pod may be refused several times while the others react). */
  readonly refused: Refusal[];
  /** PDBs whose healthy count fell below their minimum after an eviction. */
  readonly violations: string[];
  /** What the operator stand-ins did meanwhile. */
  readonly reactions: string[];
  /** PDBs whose status the disruption controller had not recounted (see pdbShortfalls). */
  readonly stale: string[];
  /**
   * Shortfalls after an eviction the API server allowed only because a PDB covering the pod
   * counted more healthy pods than were Ready (its status not recounted, see pdbShortfalls): the
   * upstream race, reported apart from `violations`, which our own budgets must never have.
   */
  readonly raced: string[];
  /** Pods still on the node when the bound ran out. */
  readonly stuck: string[];
}

export async function setUnschedulable(cp: ControlPlane, node: string, unschedulable: boolean): Promise<void> {
  const r = await cp.request('PATCH', `/api/v1/nodes/${node}`, { spec: { unschedulable: unschedulable ? true : null } }, { contentType: 'application/merge-patch+json' });
  if (r.status !== 200) throw new Error(`${unschedulable ? 'cordon' : 'uncordon'} ${node}: HTTP ${r.status} ${r.body}`);
}

const podsOn = async (cp: ControlPlane, node: string) => (await cp.getPath<{ items: Obj[] }>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`)).items;
const isDaemonSetPod = (p: Obj) => (p.metadata.ownerReferences ?? []).some((o: Obj) => o.kind === 'DaemonSet');
const matches = (selector: Obj | undefined, labels: Record<string, string> = {}) =>
  !!selector &&
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (selector.matchExpressions ?? []).every((e: Obj) =>
    e.operator === 'In' ? e.values.includes(labels[e.key]) : e.operator === 'NotIn' ? !e.values.includes(labels[e.key]) : e.operator === 'Exists' ? e.key in labels : !(e.key in labels),
  );

/**
 * After an eviction: waits until the disruption controller has recounted the PDBs that selected
 * the evicted pod (its deletion enqueues them), then returns those below their minimum, by the
 * API server's own status (`currentHealthy < desiredHealthy`) and by the pods themselves (Ready,
 * not terminating, matching the selector). `stale` lists PDBs whose status counts other pods
 * than match now: the disruption controller recounts a PDB when a pod enters its selector, not
 * when a pod's labels take it out (updatePod enqueues only the pod's current PDB,
 * pkg/controller/disruption/disruption.go:534-547 at v1.37.2), e.g. CNPG's primary PDB after a
 * switchover that promotes before it demotes.
 */
export async function pdbShortfalls(cp: ControlPlane, evicted: Obj, timeoutMs: number): Promise<{ short: string[]; stale: string[] }> {
  const name = `${evicted.metadata.namespace}/${evicted.metadata.name}`;
  let lag: string[] = [];
  let pdbs: Obj[] = [];
  let pods: Obj[] = [];
  const healthyOf = (b: Obj) => pods.filter((p) => p.metadata.namespace === b.metadata.namespace && matches(b.spec.selector, p.metadata.labels) && isReady(p)).length;
  await cp
    .waitFor(
      async () => {
        pdbs = await cp.list('policy/v1', 'PodDisruptionBudget');
        pods = await cp.list('v1', 'Pod');
        lag = pdbs
          .filter((b) => b.metadata.namespace === evicted.metadata.namespace && matches(b.spec.selector, evicted.metadata.labels))
          .filter((b) => (b.status?.observedGeneration ?? 0) < b.metadata.generation || b.status?.currentHealthy !== healthyOf(b))
          .map((b) => `${b.metadata.namespace}/${b.metadata.name} says ${b.status?.currentHealthy} healthy, ${healthyOf(b)} Ready pods match`);
        return lag.length === 0;
      },
      timeoutMs,
      `the disruption controller recounting after evicting ${name}`,
    )
    .catch((err: Error) => {
      throw new Error(`${err.message}: ${lag.join('; ')}`);
    });
  const short: string[] = [];
  const stale: string[] = [];
  for (const b of pdbs) {
    const id = `PDB ${b.metadata.namespace}/${b.metadata.name}`;
    const healthy = healthyOf(b);
    if (healthy !== b.status.currentHealthy) stale.push(`${id} counts ${b.status.currentHealthy} healthy while ${healthy} Ready pods match (after evicting ${name})`);
    // Only the budgets that covered the evicted pod can have been broken by its eviction.
    if (b.metadata.namespace !== evicted.metadata.namespace || !matches(b.spec.selector, evicted.metadata.labels)) continue;
    if (b.status.currentHealthy < b.status.desiredHealthy) short.push(`${id}: status ${b.status.currentHealthy} healthy < ${b.status.desiredHealthy} desired, after evicting ${name}`);
    if (healthy < b.status.desiredHealthy) short.push(`${id}: ${healthy} Ready pods < ${b.status.desiredHealthy} desired, after evicting ${name}`);
  }
  return { short, stale };
}

/** The PDBs covering `pod` whose status counts more healthy pods than are Ready and match now. */
async function overcountingBudgets(cp: ControlPlane, pod: Obj): Promise<{ id: string; counted: number; ready: number }[]> {
  const pdbs = (await cp.list('policy/v1', 'PodDisruptionBudget')).filter((b) => b.metadata.namespace === pod.metadata.namespace && matches(b.spec.selector, pod.metadata.labels));
  if (pdbs.length === 0) return [];
  const pods = await cp.list('v1', 'Pod', pod.metadata.namespace);
  return pdbs
    .map((b) => ({
      id: `${b.metadata.namespace}/${b.metadata.name}`,
      counted: b.status?.currentHealthy ?? 0,
      ready: pods.filter((p) => !p.metadata.deletionTimestamp && matches(b.spec.selector, p.metadata.labels) && isReady(p)).length,
    }))
    .filter((b) => b.counted > b.ready);
}

/** Drains a node within `timeoutMs`; returns what happened (never throws on a blocked drain: `completed` is false). */
export async function drainNode(cp: ControlPlane, node: string, opts: { ops?: Operators; timeoutMs: number; pdbCheckMs?: number }): Promise<DrainResult> {
  const t0 = Date.now();
  const evicted: string[] = [];
  const refused: Refusal[] = [];
  const violations: string[] = [];
  const reactions: string[] = [];
  const stale: string[] = [];
  const raced: string[] = [];
  let stuck: string[] = [];
  await setUnschedulable(cp, node, true);
  let completed = false;
  let fatal: Error | undefined;
  try {
    await cp.waitFor(
      async () => {
        try {
          return await round();
        } catch (err) {
          fatal = err as Error;
          return true;
        }
      },
      opts.timeoutMs,
      `drain of ${node}`,
    );
    completed = !fatal;
  } catch (err) {
    if (!(err as Error).message.startsWith(`timed out after ${opts.timeoutMs} ms waiting for drain of ${node}`)) throw err;
  }
  if (fatal) throw fatal;
  return { node, completed, ms: Date.now() - t0, evicted, refused, violations, reactions, stale: [...new Set(stale)], raced, stuck: completed ? [] : stuck };

  /**
   * One pass over the node's pods, as `kubectl drain` makes it right after the cordon; then the
   * operators react (CNPG notices the cordon through its node watch, asynchronously: the first
   * eviction of a primary meets its PDB). True when no pod is left.
   */
  async function round(): Promise<boolean> {
    const pods = (await podsOn(cp, node)).filter((p) => !isDaemonSetPod(p));
    stuck = pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    if (pods.length === 0) return true;
    for (const p of pods.filter((x) => !x.metadata.deletionTimestamp)) {
      const name = `${p.metadata.namespace}/${p.metadata.name}`;
      const overcounted = await overcountingBudgets(cp, p);
      const r = await cp.evict(p.metadata.namespace, p.metadata.name);
      if (r.status === 200 || r.status === 201) {
        evicted.push(name);
        // The pod goes (kwok deletes it at once), then the disruption controller recounts.
        await cp.waitFor(
          async () =>
            (await cp.request('GET', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`)).status === 404 || !(await podsOn(cp, node)).some((x) => x.metadata.uid === p.metadata.uid),
          30_000,
          `${name} gone after its eviction`,
        );
        const check = await pdbShortfalls(cp, p, opts.pdbCheckMs ?? 30_000);
        for (const short of check.short) {
          const budget = overcounted.find((b) => short.startsWith(`PDB ${b.id}:`));
          if (budget) raced.push(`${short} (the API server allowed it: ${budget.id} counted ${budget.counted} healthy for ${budget.ready} Ready pods)`);
          else violations.push(short);
        }
        stale.push(...check.stale);
      } else if (r.status === 429) {
        refused.push({
          pod: name,
          status: r.status,
          why:
            r.causes
              .map((c) => c.message)
              .filter(Boolean)
              .join('; ') || r.message,
        });
      } else if (r.status === 403 && r.causes.some((c) => c.reason === 'NamespaceTerminating')) {
        // As kubectl drain: a pod of a namespace being deleted goes with it; wait for that.
      } else if (r.status !== 404) {
        throw new Error(`eviction of ${name}: HTTP ${r.status} ${r.message}`);
      }
    }
    reactions.push(...((await opts.ops?.reconcile()) ?? []));
    return false;
  }
}
