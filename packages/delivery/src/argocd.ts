/**
 * Argo CD wiring of one cluster (clusters/<cluster>/argocd/): an AppProject limited to the
 * namespaces and kinds the platform uses, a root Application (app of apps) over this folder,
 * one Application per component and one per operator chart, ordered by sync waves.
 *
 * Waves order the child Applications only if Argo CD assesses an Application's health,
 * which it stopped doing by default in 1.8: the key for `argocd-cm` is rendered into
 * argocd/bootstrap, and a PreSync hook of the root Application refuses to sync without it
 * (argocd-health.ts).
 */
import { Construct } from 'constructs';
import { AppProject, Application, type ApplicationSpecIgnoreDifferences, type ApplicationSpecSourceKustomizePatches } from './imports/argoproj.io.ts';
import { chartSource, gitopsLabels, groupKindOf, operatorValues, uniqueKinds, waveOf, ARGOCD_BOOTSTRAP_COMPONENT, ARGOCD_COMPONENT, type DeliveryPlan } from './plan.ts';
import { ApplicationHealthCheck, HEALTH_CHECK_KINDS } from './argocd-health.ts';
import { annotationPatch, ARGOCD_KEEP_ANNOTATION, ignoredFieldsIn, keptKindsIn } from './policies.ts';

export const ROOT_APPLICATION = 'db-platform';
const WAVE = 'argocd.argoproj.io/sync-wave';

/** Retries with backoff: a database component often waits minutes for its operator's webhook. */
const RETRY = { limit: 10, backoff: { duration: '30s', factor: 2, maxDuration: '10m' } };

export class ArgoCdWiring extends Construct {
  constructor(scope: Construct, id: string, plan: DeliveryPlan) {
    super(scope, id);
    const { delivery, components, operators } = plan;
    const argo = delivery.argocd;
    if (!argo) throw new Error('ArgoCdWiring needs delivery.tools to include argocd');
    const labels = gitopsLabels(delivery.cluster);
    const repo = delivery.repository;
    const objects = components.flatMap((c) => c.objects);

    const namespaces = new Set<string>([argo.namespace]);
    for (const o of objects) if (o.metadata.namespace) namespaces.add(o.metadata.namespace);
    for (const o of operators) namespaces.add(o.namespace);
    const clusterKinds = uniqueKinds([...objects.filter((o) => !o.metadata.namespace).map(groupKindOf), ...operators.flatMap((o) => o.kinds.cluster)]);
    const namespacedKinds = uniqueKinds([
      ...objects.filter((o) => o.metadata.namespace).map(groupKindOf),
      ...operators.flatMap((o) => o.kinds.namespaced),
      { group: 'argoproj.io', kind: 'Application' },
      { group: 'argoproj.io', kind: 'AppProject' },
      ...HEALTH_CHECK_KINDS,
    ]);
    const chartRepos = operators.map((o) => argoRepoUrl(chartSource(o, delivery.operators.chartMirror)));

    new AppProject(this, 'Project', {
      metadata: { name: argo.project, namespace: argo.namespace, labels, annotations: { [WAVE]: '-1' } },
      spec: {
        description: `db-platform on ${delivery.cluster}: rendered from apps/${delivery.cluster}/platform.yaml`,
        sourceRepos: [...new Set([repo.url, ...chartRepos])].sort(),
        destinations: [...namespaces].sort().map((namespace) => ({ server: argo.server, namespace })),
        clusterResourceWhitelist: clusterKinds,
        namespaceResourceWhitelist: namespacedKinds,
        orphanedResources: { warn: true },
      },
    });

    new ApplicationHealthCheck(this, 'ApplicationHealthCheck', {
      namespace: argo.namespace,
      labels,
      imageRegistry: delivery.operators.imageRegistry,
      apiServerPorts: delivery.apiServerPorts,
      bootstrapPath: `clusters/${delivery.cluster}/${ARGOCD_BOOTSTRAP_COMPONENT}`,
      placement: delivery.placement,
    });

    new Application(this, 'Root', {
      metadata: { name: ROOT_APPLICATION, namespace: argo.namespace, labels },
      spec: {
        project: argo.project,
        source: { repoUrl: repo.url, targetRevision: repo.revision, path: `clusters/${delivery.cluster}/${ARGOCD_COMPONENT}` },
        destination: { server: argo.server, namespace: argo.namespace },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['PruneLast=true'], retry: RETRY },
      },
    });

    for (const o of operators) {
      const source = chartSource(o, delivery.operators.chartMirror);
      const values = operatorValues(o, delivery.operators.imageRegistry);
      new Application(this, `Operator-${o.id}`, {
        metadata: { name: o.id, namespace: argo.namespace, labels, annotations: { [WAVE]: String(waveOf('operators')) } },
        spec: {
          project: argo.project,
          info: [{ name: 'operator', value: `${o.description} ${o.appVersion}` }],
          source: {
            repoUrl: argoRepoUrl(source),
            chart: o.chart.name,
            targetRevision: o.chart.version,
            helm: { releaseName: o.id, ...(Object.keys(values).length > 0 ? { valuesObject: values } : {}) },
          },
          destination: { server: argo.server, namespace: o.namespace },
          // No automated prune: a chart release that drops a CRD must never delete it, and
          // with it every database of that kind. Server-side apply: the CRDs are too large
          // for the last-applied annotation of a client-side apply.
          syncPolicy: { automated: { prune: false, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'], retry: RETRY },
        },
      });
    }

    for (const c of components) {
      const patches: ApplicationSpecSourceKustomizePatches[] = keptKindsIn(c.objects).map((k) => ({
        target: { ...(k.group ? { group: k.group } : {}), kind: k.kind },
        patch: annotationPatch(k, ARGOCD_KEEP_ANNOTATION),
      }));
      const ignoreDifferences: ApplicationSpecIgnoreDifferences[] = ignoredFieldsIn(c.objects, plan.resources).map((f) => ({ ...f, jqPathExpressions: [...f.jqPathExpressions] }));
      new Application(this, `Component-${c.id}`, {
        metadata: { name: `db-platform-${c.id}`, namespace: argo.namespace, labels, annotations: { [WAVE]: String(waveOf(c.phase)) } },
        spec: {
          project: argo.project,
          info: [{ name: 'phase', value: c.phase }],
          source: { repoUrl: repo.url, targetRevision: repo.revision, path: c.path, ...(patches.length > 0 ? { kustomize: { patches } } : {}) },
          destination: { server: argo.server },
          // No resources finalizer: deleting this Application leaves the databases running.
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ['ServerSideApply=true', 'PruneLast=true', 'RespectIgnoreDifferences=true', 'FailOnSharedResource=true'],
            retry: RETRY,
          },
          ...(ignoreDifferences.length > 0 ? { ignoreDifferences } : {}),
        },
      });
    }
  }
}

/** Argo CD names a Helm OCI repository without its scheme (and `enableOCI` on its repository secret). */
function argoRepoUrl(source: { url: string; oci: boolean }): string {
  return source.oci ? source.url.slice('oci://'.length) : source.url;
}
