/**
 * In-cluster DNS names in what we render, and whether they resolve on the control plane the
 * way cluster DNS would answer them (the Kubernetes DNS specification):
 *  - `<svc>.<ns>.svc[.cluster.local]` exists when Service <svc> exists in <ns>;
 *  - `<pod>.<svc>.<ns>.svc[.cluster.local]` exists only when <svc> is headless and one of its
 *    EndpointSlices (label kubernetes.io/service-name=<svc>) has an endpoint with hostname
 *    <pod>, which the EndpointSlice controller publishes only for pods whose subdomain is <svc>
 *    (a StatefulSet's pods: its governing serviceName).
 * `$(VAR)` in a container is expanded as the kubelet does (env defined before it, a fieldRef
 * metadata.name being each pod's own name).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from '../../src/index.ts';
import { podTemplate, ref, ROOT, strings, type Obj } from './desired.ts';

export interface DnsName {
  /** As it resolves (after `$(VAR)` expansion). */
  readonly name: string;
  /** The labels before `.svc`: [svc, ns] or [pod, svc, ns]. */
  readonly labels: readonly string[];
  /** Object and field it was found in. */
  readonly where: string;
}

const LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const VAR = '\\$\\([A-Za-z_][A-Za-z0-9_]*\\)|\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}';
const DNS = new RegExp(`(?<![-A-Za-z0-9_.])((?:${VAR}|${LABEL})(?:\\.${LABEL})+)\\.svc(?:\\.cluster\\.local)?(?![-A-Za-z0-9_])`, 'g');

/** Every `<...>.svc[.cluster.local]` in a text. */
export function namesIn(text: string, where: string): DnsName[] {
  return [...text.matchAll(DNS)].map((m) => ({ name: m[0], labels: m[1]!.split('.'), where }));
}

/**
 * The kubelet's `$(VAR)` expansion for one pod: env entries in order, each expanded with the
 * ones before it; a fieldRef to metadata.name is the pod's name. Unknown references stay as written.
 */
function expander(container: Obj, podName: string): (s: string) => string {
  const env = new Map<string, string>();
  const expand = (s: string) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, v: string) => env.get(v) ?? all);
  for (const e of container.env ?? []) {
    if (typeof e.value === 'string') env.set(e.name, expand(e.value));
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env.set(e.name, podName);
  }
  return expand;
}

/**
 * Every DNS name in the objects. Strings of a container that use `$(VAR)` are expanded once for
 * each pod of the workload (`podsOf`), other strings are read as written.
 */
export function collectNames(objects: readonly Obj[], podsOf: (workload: Obj) => string[]): DnsName[] {
  const out: DnsName[] = [];
  for (const o of objects) {
    const template = podTemplate(o);
    const containers: Obj[] = template ? [...(template.spec?.containers ?? []), ...(template.spec?.initContainers ?? [])] : [];
    const inContainers = new Set<string>();
    for (const c of containers) {
      for (const { path, value } of strings(c)) {
        inContainers.add(value);
        if (!value.includes('$(')) {
          out.push(...namesIn(value, `${ref(o)} container ${c.name} ${path}`));
          continue;
        }
        const pods = podsOf(o);
        if (pods.length === 0) out.push(...namesIn(value, `${ref(o)} container ${c.name} ${path} (no pods to expand $(...) for)`));
        for (const pod of pods) out.push(...namesIn(expander(c, pod)(value), `${ref(o)} container ${c.name} ${path} as pod ${pod}`));
      }
    }
    for (const { path, value } of strings(o)) if (!inContainers.has(value)) out.push(...namesIn(value, `${ref(o)} ${path}`));
  }
  return out;
}

/** Patterns of the in-cluster addresses platform.yaml's schema documents as `@default`s (`<x>` = any label). */
export function schemaDefaultNames(): RegExp[] {
  const schema = readFileSync(join(ROOT, 'schemas', 'platform.schema.json'), 'utf8');
  const out: RegExp[] = [];
  for (const m of schema.matchAll(/@default ([^"\s]*\.svc[^"\s]*)/g)) {
    const host = m[1]!.replace(/^[a-z]+:\/\//, '').replace(/[:/].*$/, '');
    const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[^>]+>/g, LABEL);
    out.push(new RegExp(`^${escaped}$`));
  }
  return out;
}

export type Verdict = 'service' | 'pod-under-governing-service' | 'prerequisite' | 'prerequisite-by-default' | 'built-in' | 'unresolved';

export interface Resolution extends DnsName {
  readonly verdict: Verdict;
  readonly detail: string;
}

export interface ResolveContext {
  /** Namespaces the platform renders (its Namespace objects): names there must resolve to what we run. */
  readonly owned: ReadonlySet<string>;
  /** platform.yaml's text: a name elsewhere must be written there (a user-provided prerequisite). */
  readonly platformText: string;
  readonly defaults: readonly RegExp[];
}

const BUILT_IN = new Set(['default', 'kube-system']);

/** How the cluster's DNS would answer each name (see the module comment). */
export async function resolveNames(cp: ControlPlane, names: readonly DnsName[], ctx: ResolveContext): Promise<Resolution[]> {
  const services = new Map<string, Obj>();
  for (const s of await cp.list('v1', 'Service')) services.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
  const slices = await cp.list('discovery.k8s.io/v1', 'EndpointSlice');
  const hostnames = (ns: string, svc: string) =>
    slices
      .filter((s) => s.metadata.namespace === ns && s.metadata.labels?.['kubernetes.io/service-name'] === svc)
      .flatMap((s) => (s.endpoints ?? []).map((e: Obj) => e.hostname as string | undefined))
      .filter((h): h is string => !!h);
  const publishedUnder = (ns: string, pod: string) => [
    ...new Set(slices.filter((s) => s.metadata.namespace === ns && (s.endpoints ?? []).some((e: Obj) => e.hostname === pod)).map((s) => s.metadata.labels?.['kubernetes.io/service-name'] as string)),
  ];

  return names.map((n): Resolution => {
    const hostName = n.name;
    if (n.labels.some((l) => l.startsWith('$'))) return { ...n, verdict: 'unresolved', detail: 'a variable the kubelet cannot expand' };
    if (n.labels.length < 2 || n.labels.length > 3) return { ...n, verdict: 'unresolved', detail: 'neither <svc>.<ns> nor <pod>.<svc>.<ns>' };
    const ns = n.labels[n.labels.length - 1]!;
    const svcName = n.labels[n.labels.length - 2]!;
    const svc = services.get(`${ns}/${svcName}`);
    if (ctx.owned.has(ns)) {
      if (!svc) return { ...n, verdict: 'unresolved', detail: `no Service ${svcName} in ${ns}` };
      if (n.labels.length === 2) return { ...n, verdict: 'service', detail: `Service ${ns}/${svcName}` };
      const pod = n.labels[0]!;
      if (svc.spec?.clusterIP !== 'None') return { ...n, verdict: 'unresolved', detail: `Service ${ns}/${svcName} is not headless: no pod records` };
      if (hostnames(ns, svcName).includes(pod)) return { ...n, verdict: 'pod-under-governing-service', detail: `hostname ${pod} in the EndpointSlices of ${ns}/${svcName}` };
      const under = publishedUnder(ns, pod);
      return {
        ...n,
        verdict: 'unresolved',
        detail: `no endpoint with hostname ${pod} in the EndpointSlices of ${ns}/${svcName}${under.length ? ` (${pod} is published under ${under.join(', ')}: its governing service)` : ''}`,
      };
    }
    if (ctx.platformText.includes(hostName)) return { ...n, verdict: 'prerequisite', detail: 'written in platform.yaml (user-provided)' };
    if (BUILT_IN.has(ns) && svc) return { ...n, verdict: 'built-in', detail: `Service ${ns}/${svcName}, created by Kubernetes itself` };
    const bare = hostName.replace(/\.cluster\.local$/, '');
    if (ctx.defaults.some((d) => d.test(hostName) || d.test(bare) || d.test(`${bare}.cluster.local`)))
      return { ...n, verdict: 'prerequisite-by-default', detail: 'not in platform.yaml: a documented @default of its schema (user-provided)' };
    return { ...n, verdict: 'unresolved', detail: `${ns} is not a namespace the platform renders, and the name is not in platform.yaml` };
  });
}
