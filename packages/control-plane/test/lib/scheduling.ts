/**
 * Where pods landed, judged against what their affinity says: no pod on an avoided node, and
 * replicated pods on distinct topology domains as their pod anti-affinity asks (required: always;
 * preferred: whenever there are enough eligible domains for all of them).
 */
import type { Obj } from './desired.ts';

function labelSelectorMatches(selector: Obj | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  return (
    Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (selector.matchExpressions ?? []).every((e: Obj) =>
      e.operator === 'In' ? e.values.includes(labels[e.key]) : e.operator === 'NotIn' ? !e.values.includes(labels[e.key]) : e.operator === 'Exists' ? e.key in labels : !(e.key in labels),
    )
  );
}

function nodeSelectorTermMatches(term: Obj, node: Obj): boolean {
  const labels: Record<string, string> = node.metadata.labels ?? {};
  return (term.matchExpressions ?? []).every((e: Obj) => {
    const v = labels[e.key];
    switch (e.operator) {
      case 'In':
        return v !== undefined && e.values.includes(v);
      case 'NotIn':
        return v === undefined || !e.values.includes(v);
      case 'Exists':
        return v !== undefined;
      case 'DoesNotExist':
        return v === undefined;
      case 'Gt':
        return v !== undefined && Number(v) > Number(e.values[0]);
      case 'Lt':
        return v !== undefined && Number(v) < Number(e.values[0]);
      default:
        return false;
    }
  });
}

/** Whether a pod may be scheduled on a node: schedulable, its nodeSelector and required node affinity. */
export function eligible(pod: Obj, node: Obj): boolean {
  if (node.spec?.unschedulable) return false;
  const labels: Record<string, string> = node.metadata.labels ?? {};
  if (!Object.entries(pod.spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const terms: Obj[] = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.length === 0 || terms.some((t) => nodeSelectorTermMatches(t, node));
}

export interface SpreadFinding {
  readonly pods: string[];
  readonly topologyKey: string;
  readonly kind: 'required' | 'preferred';
  readonly detail: string;
}

/**
 * For every running pod with pod anti-affinity: the pods its terms select (same namespace) that
 * share its topology domain. A preferred term is only held to it when the eligible domains
 * outnumber or equal the pods it selects.
 */
export function spreadViolations(pods: readonly Obj[], nodes: readonly Obj[]): { checked: number; violations: SpreadFinding[] } {
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name as string, n]));
  const violations: SpreadFinding[] = [];
  const seen = new Set<string>();
  let checked = 0;
  const running = pods.filter((p) => p.spec.nodeName && !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase));
  for (const pod of running) {
    const anti = pod.spec.affinity?.podAntiAffinity ?? {};
    const terms: { term: Obj; kind: 'required' | 'preferred' }[] = [
      ...(anti.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => ({ term: t, kind: 'required' as const })),
      ...(anti.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => ({ term: t.podAffinityTerm, kind: 'preferred' as const })),
    ];
    for (const { term, kind } of terms) {
      const group = running.filter((p) => p.metadata.namespace === pod.metadata.namespace && labelSelectorMatches(term.labelSelector, p.metadata.labels));
      const key = `${kind}:${term.topologyKey}:${group
        .map((p) => p.metadata.name)
        .sort()
        .join(',')}`;
      if (group.length < 2 || seen.has(key)) continue;
      seen.add(key);
      checked++;
      const domainOf = (p: Obj) => nodeByName.get(p.spec.nodeName)?.metadata.labels?.[term.topologyKey] ?? `(node ${p.spec.nodeName} has no ${term.topologyKey})`;
      const domains = new Set(
        nodes
          .filter((n) => eligible({ ...pod, spec: { ...pod.spec } }, { ...n, spec: { ...n.spec, unschedulable: false } }))
          .map((n) => n.metadata.labels?.[term.topologyKey])
          .filter(Boolean),
      );
      if (kind === 'preferred' && domains.size < group.length) continue;
      const byDomain = new Map<string, string[]>();
      for (const p of group) byDomain.set(domainOf(p), [...(byDomain.get(domainOf(p)) ?? []), p.metadata.name]);
      const shared = [...byDomain.entries()].filter(([, v]) => v.length > 1);
      if (shared.length > 0) {
        violations.push({
          pods: group.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
          topologyKey: term.topologyKey,
          kind,
          detail: `${shared.map(([d, v]) => `${v.join(', ')} share ${term.topologyKey}=${d}`).join('; ')} (${domains.size} eligible domains for ${group.length} pods)`,
        });
      }
    }
  }
  return { checked, violations };
}
