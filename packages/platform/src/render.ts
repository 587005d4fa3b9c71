/**
 * The data path, in one direction: desired state → validated model → constructs →
 * rendered objects → checks (guardrails, schemas of every Kubernetes version, posture) → file tree. Nothing here writes to disk;
 * the CLI writes the tree only when every check passed.
 */
import { relative } from 'node:path';
import { App, Chart } from 'cdk8s';
import {
  DashboardConfigMap,
  engineDashboard,
  overviewDashboard,
  TenantRecordRules,
  type OverviewPart,
  DatabaseNamespace,
  NamespaceBaseline,
  checkPlatform,
  checkRestores,
  withTenantStates,
  loadPlatformFile,
  loadPlatformText,
  recommendedLabels,
  renderTree,
  resolvePlatform,
  servicesOf,
  runGuardrails,
  deepFreeze,
  withWaiverAnnotations,
  SchemaValidator,
  KUBERNETES_VERSIONS,
  type GuardrailReport,
  type LoadResult,
  type NamespaceNeed,
  type PlatformModel,
  type Problem,
  type RenderedObject,
  type K8sObject,
  type Engine,
} from '@db/core';
import { checkDelivery, deliveryObjects, keptOnUninstall, GITOPS_COMPONENTS } from '@db/delivery';
import { PLATFORM, type Composition } from './engines.ts';
import { WORKSPACE, SCHEMA_ROOT } from './paths.ts';
import { renderDocs } from './docs.ts';
import { loadWorkloadWaivers, verifyPosture } from './verify.ts';

/** The generated docs of a cluster, beside its manifests. */
export const DOCS_FILE = 'README.md';

export interface Rendered {
  readonly ok: true;
  readonly model: PlatformModel;
  readonly objects: readonly RenderedObject[];
  readonly files: Map<string, string>;
  readonly guardrails: GuardrailReport;
}
export interface Refused {
  readonly ok: false;
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
}

let validators: SchemaValidator[] | undefined;
/** The schema validators of every supported Kubernetes version, built once per process. */
export function schemaValidators(): readonly SchemaValidator[] {
  validators ??= KUBERNETES_VERSIONS.map((v) => new SchemaValidator(v, SCHEMA_ROOT));
  return validators;
}

export const PLATFORM_COMPONENT = 'platform';

const FREEZE = process.env.DB_PLATFORM_FREEZE === '1';
const frozen = <T>(value: T): T => (FREEZE ? deepFreeze(value) : value);

/** Renders one cluster from its platform.yaml. */
export function renderFile(file: string, expectedCluster?: string, platform: Composition = PLATFORM): Rendered | Refused {
  // Positions name the file from the repository (or workspace) root, wherever synth runs.
  const fromRoot = relative(WORKSPACE, file);
  const display = fromRoot && !fromRoot.startsWith('..') ? fromRoot : file;
  return renderLoaded(loadPlatformFile(file, display, platform.inputSchema), expectedCluster, platform);
}

/** Renders from text (tests, fuzzing, benchmarks); `platform`: the engines (all of them by default). */
export function renderText(text: string, displayName = 'platform.yaml', expectedCluster?: string, platform: Composition = PLATFORM): Rendered | Refused {
  return renderLoaded(loadPlatformText(text, displayName, platform.inputSchema), expectedCluster, platform);
}

function renderLoaded(loaded: LoadResult, expectedCluster: string | undefined, platform: Composition): Rendered | Refused {
  const { engines, facts } = platform;
  if (!loaded.ok) return { ok: false, problems: loaded.problems, warnings: [] };
  const model = resolvePlatform(loaded.value.input, loaded.value.source, platform.operatorNamespaceDefaults, servicesOf(engines, loaded.value.input));

  // Semantic checks: all of them, so every mistake is reported at once.
  const problems: Problem[] = [...checkPlatform(model, platform.tenantFields), ...engines.flatMap((e) => e.check(model)), ...checkDelivery(model, engines)];
  problems.push(
    ...checkRestores(
      model,
      engines.filter((e) => e.restorable && e.enabled(model)).map((e) => e.id),
    ),
  );
  if (expectedCluster !== undefined && model.cluster !== expectedCluster) {
    problems.push(model.source.problem(['cluster'], `cluster "${model.cluster}" does not match its folder apps/${expectedCluster}`, `rename one of them: output goes to clusters/${model.cluster}/`));
  }
  if (problems.length > 0) return { ok: false, problems, warnings: [] };

  // Decorate: new objects, never changed in place (under tests every stage's output is frozen to prove it).
  const engineObjects = frozen(keptOnUninstall(frozen(withTenantStates(frozen(buildObjects(model, engines)), model)), facts));
  // The GitOps wiring (Argo CD, Flux, operator installs) of those objects, checked like them.
  const built = [...engineObjects, ...deliveryObjects(model, engines, engineObjects, PLATFORM_COMPONENT)];

  // Verify: the guardrails, then (on the objects as written, waivers noted on them) every schema version and the posture.
  const guardrails = runGuardrails(platform.rules, { model, objects: built, facts });
  const objects = frozen(withWaiverAnnotations(frozen(built), guardrails.waived));
  const schemaProblems = objects.flatMap(({ object }) =>
    schemaValidators()
      .flatMap((v) => v.validate(object))
      .map((e) =>
        model.source.problem(
          [],
          `rendered ${e.object} is not valid against the Kubernetes ${e.kubernetesVersion} / CRD schema: ${e.message}`,
          'an override in the desired state produced a field the API server would refuse',
        ),
      ),
  );
  for (const v of schemaValidators()) v.saveResults();
  const waivers = loadWorkloadWaivers();
  const postureProblems = waivers.ok
    ? verifyPosture(
        model.cluster,
        objects.map((r) => r.object),
        waivers.value,
        (message, hint) => model.source.problem([], message, hint),
      )
    : waivers.problems;
  const refused = [...guardrails.errors, ...guardrails.waiverProblems, ...schemaProblems, ...postureProblems];
  if (refused.length > 0) return { ok: false, problems: refused, warnings: guardrails.warnings };

  const header = `# Rendered by db-platform from apps/${model.cluster}/platform.yaml. Do not edit: change the desired state and run \`npm run synth\`.\n`;
  const enabled = engines.filter((e) => e.enabled(model));
  const docs = renderDocs({ model, engines: enabled, guardrails, rules: [...platform.sharedRules, ...enabled.flatMap((e) => e.rules)] });
  return { ok: true, model, objects, files: renderTree(objects, header, new Map([[DOCS_FILE, docs]]), { standalone: GITOPS_COMPONENTS }), guardrails };
}

/** Constructs → plain objects, tagged with their output folder. */
export function buildObjects(model: PlatformModel, all: readonly Engine[] = PLATFORM.engines): RenderedObject[] {
  const app = new App({ outdir: '/nonexistent' });
  const engines = all.filter((e) => e.enabled(model));

  const platform = new Chart(app, PLATFORM_COMPONENT, { disableResourceNameHashes: true });
  const namespaces = new Map<string, NamespaceNeed>();
  for (const e of engines) for (const ns of e.namespaces(model)) if (!namespaces.has(ns.name)) namespaces.set(ns.name, ns);
  for (const ns of [...namespaces.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const labels = recommendedLabels({ name: 'db-platform', instance: ns.name, component: 'namespace' });
    new DatabaseNamespace(platform, `ns-${ns.name}`, { name: ns.name, labels, podSecurity: ns.podSecurity });
    new NamespaceBaseline(platform, `baseline-${ns.name}`, { namespace: ns.name, labels, model });
  }

  const charts: [string, Chart][] = [[PLATFORM_COMPONENT, platform]];
  const overview: OverviewPart[] = [];
  for (const e of engines) {
    const chart = new Chart(app, e.id, { disableResourceNameHashes: true });
    e.build(chart, model);
    const dashboard = e.dashboard?.(model);
    if (dashboard) {
      const labels = recommendedLabels({ name: 'db-platform', instance: e.id, component: 'dashboard' });
      new TenantRecordRules(chart, 'tenant-records', { engine: e.id, tenants: dashboard.tenants, labels, model });
      new DashboardConfigMap(chart, 'dashboard', { name: `db-platform-${e.id}-dashboard`, labels, dashboard: engineDashboard(e.id, dashboard, e.alerts(model), model.cluster), model });
      overview.push({ engine: e.id, title: dashboard.title, panels: dashboard.overview });
    }
    charts.push([e.id, chart]);
  }
  if (overview.length > 0) {
    const labels = recommendedLabels({ name: 'db-platform', instance: 'overview', component: 'dashboard' });
    const alerts = engines.flatMap((e) => e.alerts(model));
    new DashboardConfigMap(platform, 'overview-dashboard', { name: 'db-platform-overview-dashboard', labels, dashboard: overviewDashboard(overview, alerts, model.cluster), model });
  }
  return charts.flatMap(([component, chart]) => (chart.toJson() as K8sObject[]).map((object) => ({ component, object })));
}
