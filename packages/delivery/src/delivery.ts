/**
 * Rendered objects → the GitOps wiring that delivers them: clusters/<cluster>/argocd,
 * clusters/<cluster>/flux and clusters/<cluster>/flux/operators. Downstream of the engines'
 * objects (it reads their components, namespaces and kinds), upstream of the checks, which
 * validate these objects against the pinned Argo CD and Flux CRDs like every other object.
 */
import { App, Chart } from 'cdk8s';
import type { Engine, K8sObject, PlatformModel, RenderedObject } from '@db/core';
import { resolveDelivery } from './model.ts';
import { gitopsLabels, planDelivery, ARGOCD_BOOTSTRAP_COMPONENT, ARGOCD_COMPONENT, FLUX_COMPONENT, FLUX_OPERATORS_COMPONENT } from './plan.ts';
import { ApplicationHealthCustomization } from './argocd-health.ts';
import { ArgoCdWiring } from './argocd.ts';
import { FluxOperators, FluxWiring } from './flux.ts';

export function deliveryObjects(model: PlatformModel, engines: readonly Engine[], objects: readonly RenderedObject[], platformComponent: string): RenderedObject[] {
  const delivery = resolveDelivery(model);
  if (!delivery) return [];
  const plan = planDelivery(delivery, model, engines, objects, platformComponent);
  const app = new App({ outdir: '/nonexistent' });
  const charts: [string, Chart][] = [];
  const chart = (component: string) => {
    const c = new Chart(app, component.replace('/', '-'), { disableResourceNameHashes: true });
    charts.push([component, c]);
    return c;
  };
  if (delivery.argocd) {
    new ArgoCdWiring(chart(ARGOCD_COMPONENT), 'ArgoCd', plan);
    new ApplicationHealthCustomization(chart(ARGOCD_BOOTSTRAP_COMPONENT), 'ApplicationHealth', { namespace: delivery.argocd.namespace, labels: gitopsLabels(delivery.cluster) });
  }
  if (delivery.flux) {
    new FluxWiring(chart(FLUX_COMPONENT), 'Flux', plan);
    if (plan.operators.length > 0) new FluxOperators(chart(FLUX_OPERATORS_COMPONENT), 'Operators', plan);
  }
  return charts.flatMap(([component, c]) => (c.toJson() as K8sObject[]).map((object) => ({ component, object })));
}
