/**
 * The `delivery` section with its defaults filled in once, and its semantic checks.
 */
import { avoidNodesPodSpec, DELIVERY_DEFAULTS as D, type Engine, type HelmOperator, type PlatformModel, type Problem } from '@db/core';

export interface DeliveryModel {
  readonly cluster: string;
  readonly argocd: { readonly namespace: string; readonly project: string; readonly server: string } | undefined;
  readonly flux: { readonly namespace: string; readonly interval: string } | undefined;
  readonly repository: { readonly url: string; readonly revision: string };
  readonly operators: { readonly install: boolean; readonly chartMirror: string | undefined; readonly imageRegistry: string | undefined };
  /** Ports of the Kubernetes API server (for the network policy of the Argo CD health check). */
  readonly apiServerPorts: readonly number[];
  /** Pod-spec fields that keep the wiring's own pods off `scheduling.avoidNodes`. */
  readonly placement: ReturnType<typeof avoidNodesPodSpec>;
}

export function resolveDelivery(model: PlatformModel): DeliveryModel | undefined {
  const d = model.input.delivery;
  if (!d) return undefined;
  return {
    cluster: model.cluster,
    argocd: d.tools.includes('argocd')
      ? { namespace: d.argocd?.namespace ?? D.argocd.namespace, project: d.argocd?.project ?? D.argocd.project, server: d.argocd?.server ?? D.argocd.server }
      : undefined,
    flux: d.tools.includes('flux') ? { namespace: d.flux?.namespace ?? D.flux.namespace, interval: d.flux?.interval ?? D.flux.interval } : undefined,
    repository: { url: d.repository.url, revision: d.repository.revision ?? D.repository.revision },
    operators: { install: d.operators?.install ?? D.operators.install, chartMirror: d.operators?.chartMirror, imageRegistry: model.imageRegistry },
    apiServerPorts: model.network.apiServerPorts,
    placement: avoidNodesPodSpec(model),
  };
}

/** Semantic checks of `delivery`: what the JSON Schema cannot say. */
export function checkDelivery(model: PlatformModel, engines: readonly Engine[]): Problem[] {
  const d = model.input.delivery;
  if (!d) return [];
  const operators = engines.filter((e) => e.enabled(model)).flatMap((e) => e.operators?.(model) ?? []);
  const { source } = model;
  const problems: Problem[] = [];
  for (const tool of ['argocd', 'flux'] as const) {
    if (d[tool] !== undefined && !d.tools.includes(tool)) {
      problems.push(
        source.problem(['delivery', tool], `settings for ${tool === 'argocd' ? 'Argo CD' : 'Flux'}, which is not in delivery.tools`, `add ${tool} to delivery.tools, or remove delivery.${tool}`),
      );
    }
  }
  const install = d.operators?.install ?? D.operators.install;
  if (d.operators?.chartMirror !== undefined && model.imageRegistry === undefined && install) {
    problems.push(
      source.problem(
        ['delivery', 'operators', 'chartMirror'],
        'a chart mirror without imageRegistry: the charts would come from the mirror but the operator images from the Internet',
        'set imageRegistry to the registry that mirrors the images (an air-gapped cluster needs both)',
      ),
    );
  }
  if (d.operators?.chartMirror !== undefined && !install) {
    problems.push(
      source.problem(['delivery', 'operators', 'chartMirror'], 'a chart mirror, but operators.install is false: nothing would use it', 'remove chartMirror, or set operators.install to true'),
    );
  }
  const byId = new Map<string, HelmOperator>();
  for (const o of operators) {
    const seen = byId.get(o.id);
    if (seen && seen.namespace !== o.namespace) {
      problems.push(
        source.problem(
          ['delivery', 'operators'],
          `two engines need the operator ${o.id} in different namespaces (${seen.namespace} and ${o.namespace})`,
          'one operator per cluster: give both the same operator namespace',
        ),
      );
    }
    byId.set(o.id, o);
  }
  const namespaces = [d.argocd?.namespace ?? D.argocd.namespace, d.flux?.namespace ?? D.flux.namespace];
  for (const o of byId.values()) {
    if (namespaces.includes(o.namespace))
      problems.push(source.problem(['delivery'], `the operator ${o.id} would be installed into ${o.namespace}, the namespace of the GitOps tool`, 'give the operator its own namespace'));
  }
  return problems;
}
