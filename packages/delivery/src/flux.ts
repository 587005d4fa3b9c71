/**
 * Flux wiring of one cluster: a GitRepository of this repository, a root Kustomization over
 * clusters/<cluster>/flux, one Kustomization per component ordered by `dependsOn`, and the
 * operators as HelmReleases (clusters/<cluster>/flux/operators/, applied by their own
 * Kustomization so that the components can depend on it).
 */
import { Construct } from 'constructs';
import type { CustomResourceFacts, K8sObject } from '@db/core';
import { GitRepository, HelmRepository, HelmRepositorySpecType } from './imports/source.toolkit.fluxcd.io.ts';
import { Kustomization, KustomizationSpecDeletionPolicy, KustomizationSpecSourceRefKind, type KustomizationSpecPatches } from './imports/kustomize.toolkit.fluxcd.io.ts';
import { HelmRelease, HelmReleaseSpecChartSpecSourceRefKind, HelmReleaseSpecInstallCrds, HelmReleaseSpecUpgradeCrds } from './imports/helm.toolkit.fluxcd.io.ts';
import { chartSource, gitopsLabels, groupKindOf, operatorValues, FLUX_COMPONENT, FLUX_OPERATORS_COMPONENT, type ComponentPlan, type DeliveryPlan } from './plan.ts';
import { annotationPatch, FLUX_KEEP_ANNOTATION, keptKindsIn } from './policies.ts';
import { DELIVERY_PHASES } from '@db/core';

export const SOURCE_NAME = 'db-platform';
export const ROOT_KUSTOMIZATION = 'db-platform';
export const OPERATORS_KUSTOMIZATION = 'db-platform-operators';

/**
 * Kinds whose readiness Flux can assess (kstatus: rollout complete, Job succeeded, a `Ready`
 * condition): what a later phase waits for.
 */
const HEALTH_KINDS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'batch/Job']);

/**
 * Custom resources that are ready only when their operator says so. kstatus counts a resource
 * without status conditions as current (fluxcd/cli-utils pkg/kstatus/status/status.go), so
 * before the operator has looked at it a later phase would start; these expressions make Flux
 * wait for the operator's `Ready` condition (the real kustomize-controller in the
 * control-plane suite shows both).
 */
const READY_CONDITION = "has(status.conditions) && status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')";
const readyKinds = (facts: CustomResourceFacts) => new Set((facts.readyCondition ?? []).map((k) => `${k.group}/${k.kind}`));

/** The engines' `readyCondition` kinds present among objects: Flux waits for their `Ready` condition. */
export function healthCheckExprsOf(objects: readonly K8sObject[], facts: CustomResourceFacts = {}): { apiVersion: string; kind: string; current: string }[] {
  const seen = new Map<string, { apiVersion: string; kind: string; current: string }>();
  const ready = readyKinds(facts);
  for (const o of objects) {
    const gk = `${groupKindOf(o).group}/${o.kind}`;
    if (ready.has(gk)) seen.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind, current: READY_CONDITION });
  }
  return [...seen.values()].sort((a, b) => `${a.apiVersion}/${a.kind}`.localeCompare(`${b.apiVersion}/${b.kind}`));
}

/** Objects whose readiness Flux assesses: workloads and Jobs (kstatus), and the engines' `readyCondition` kinds. */
export function healthChecksOf(objects: readonly K8sObject[], facts: CustomResourceFacts = {}): { apiVersion: string; kind: string; name: string; namespace?: string }[] {
  const ready = readyKinds(facts);
  return objects
    .filter((o) => HEALTH_KINDS.has(`${groupKindOf(o).group}/${o.kind}`) || ready.has(`${groupKindOf(o).group}/${o.kind}`))
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) }))
    .sort((a, b) => `${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.kind}/${b.namespace}/${b.name}`));
}

/** GitRepository and Kustomizations (component `flux`). */
export class FluxWiring extends Construct {
  constructor(scope: Construct, id: string, plan: DeliveryPlan) {
    super(scope, id);
    const { delivery, components, operators } = plan;
    const flux = delivery.flux;
    if (!flux) throw new Error('FluxWiring needs delivery.tools to include flux');
    const labels = gitopsLabels(delivery.cluster);
    const sourceRef = { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: SOURCE_NAME };
    const meta = (name: string) => ({ name, namespace: flux.namespace, labels });

    new GitRepository(this, 'Source', {
      metadata: meta(SOURCE_NAME),
      spec: { interval: '1m', url: delivery.repository.url, ref: { branch: delivery.repository.revision } },
    });

    new Kustomization(this, 'Root', {
      metadata: meta(ROOT_KUSTOMIZATION),
      spec: { interval: flux.interval, path: `./clusters/${delivery.cluster}/${FLUX_COMPONENT}`, prune: true, sourceRef, timeout: '5m' },
    });

    // Each phase waits for every Kustomization of the phase before it.
    const byPhase = new Map<string, string[]>();
    if (operators.length > 0) {
      byPhase.set('operators', [OPERATORS_KUSTOMIZATION]);
      new Kustomization(this, 'Operators', {
        metadata: meta(OPERATORS_KUSTOMIZATION),
        spec: {
          interval: flux.interval,
          path: `./clusters/${delivery.cluster}/${FLUX_OPERATORS_COMPONENT}`,
          // Not pruned: uninstalling an operator's release must be a decision, never a side
          // effect of a deleted file (its CRDs carry every database of their kind).
          prune: false,
          sourceRef,
          wait: true,
          timeout: '10m',
        },
      });
    }
    for (const c of components) {
      const names = byPhase.get(c.phase);
      if (names) names.push(kustomizationName(c));
      else byPhase.set(c.phase, [kustomizationName(c)]);
    }
    const dependsOnFor = (phase: string): string[] => {
      for (let i = DELIVERY_PHASES.indexOf(phase as (typeof DELIVERY_PHASES)[number]) - 1; i >= 0; i--) {
        const earlier = byPhase.get(DELIVERY_PHASES[i]!);
        if (earlier) return earlier;
      }
      return [];
    };

    for (const c of components) {
      const patches: KustomizationSpecPatches[] = keptKindsIn(c.objects).map((k) => ({
        target: { ...(k.group ? { group: k.group } : {}), kind: k.kind },
        patch: annotationPatch(k, FLUX_KEEP_ANNOTATION),
      }));
      const healthChecks = healthChecksOf(c.objects, plan.resources);
      const healthCheckExprs = healthCheckExprsOf(c.objects, plan.resources);
      const dependsOn = dependsOnFor(c.phase);
      new Kustomization(this, `Component-${c.id}`, {
        metadata: meta(kustomizationName(c)),
        spec: {
          interval: flux.interval,
          path: `./${c.path}`,
          prune: true,
          // Deleting this Kustomization leaves the databases running.
          deletionPolicy: KustomizationSpecDeletionPolicy.ORPHAN,
          sourceRef,
          ...(dependsOn.length > 0 ? { dependsOn: dependsOn.map((name) => ({ name })) } : {}),
          ...(healthChecks.length > 0 ? { healthChecks } : {}),
          ...(healthCheckExprs.length > 0 ? { healthCheckExprs } : {}),
          ...(patches.length > 0 ? { patches } : {}),
          timeout: '15m',
        },
      });
    }
  }
}

/** HelmRepository and HelmRelease per operator (component `flux/operators`). */
export class FluxOperators extends Construct {
  constructor(scope: Construct, id: string, plan: DeliveryPlan) {
    super(scope, id);
    const { delivery, operators } = plan;
    const flux = delivery.flux;
    if (!flux) throw new Error('FluxOperators needs delivery.tools to include flux');
    const labels = gitopsLabels(delivery.cluster);
    for (const o of operators) {
      const source = chartSource(o, delivery.operators.chartMirror);
      new HelmRepository(this, `Repository-${o.id}`, {
        metadata: { name: o.id, namespace: flux.namespace, labels },
        spec: { interval: '1h', url: source.url, ...(source.oci ? { type: HelmRepositorySpecType.OCI } : {}) },
      });
      const values = operatorValues(o, delivery.operators.imageRegistry);
      new HelmRelease(this, `Release-${o.id}`, {
        metadata: { name: o.id, namespace: flux.namespace, labels },
        spec: {
          interval: flux.interval,
          releaseName: o.id,
          targetNamespace: o.namespace,
          storageNamespace: o.namespace,
          chart: { spec: { chart: o.chart.name, version: o.chart.version, sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: o.id } } },
          install: { createNamespace: true, crds: HelmReleaseSpecInstallCrds.CREATE, remediation: { retries: 3 } },
          // CRDs follow the chart on upgrades (Helm itself never upgrades a crds/ folder).
          upgrade: { crds: HelmReleaseSpecUpgradeCrds.CREATE_REPLACE, remediation: { retries: 3 } },
          ...(Object.keys(values).length > 0 ? { values } : {}),
        },
      });
    }
  }
}

const kustomizationName = (c: ComponentPlan) => `db-platform-${c.id}`;
