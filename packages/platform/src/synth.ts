/**
 * Render one desired-state file to its output folder: everything is checked in memory
 * first, and the folder is replaced atomically only when the render is accepted. A refused
 * render touches nothing on disk. Before writing, kube-score scores the files (verify.ts). With `chartDir`, the cluster's Helm chart, made from the
 * same rendered files, replaces that folder too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { committedTenants, vanishedTenantProblems, writeTreeAtomically } from '@db/core';
import { GITOPS_COMPONENTS, helmChartFiles } from '@db/delivery';
import { PLATFORM, type Composition } from './engines.ts';
import { PLATFORM_COMPONENT, renderFile, type Rendered, type Refused } from './render.ts';
import { loadWorkloadWaivers, verifyKubeScore, type KubeScoreVerdict } from './verify.ts';

/** The text of every YAML file under a rendered folder (none when it does not exist yet). */
function* renderedYaml(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.yaml')) yield readFileSync(join(e.parentPath, e.name), 'utf8');
  }
}

export function synthToDisk(platformFile: string, outputDir: string, expectedCluster?: string, chartDir?: string): (Rendered & { readonly kubeScore: KubeScoreVerdict }) | Refused {
  const result = renderFile(platformFile, expectedCluster);
  if (!result.ok) return result;
  // A tenant may leave the file only once purged: the committed output says how far each got.
  const vanished = vanishedTenantProblems(
    result.model,
    committedTenants(renderedYaml(outputDir)),
    result.objects.map((r) => r.object),
  );
  if (vanished.length > 0) return { ok: false, problems: vanished, warnings: result.guardrails.warnings };
  // kube-score reads files: it scores the tree about to be written, before anything is.
  const waivers = loadWorkloadWaivers();
  if (!waivers.ok) return { ok: false, problems: waivers.problems, warnings: result.guardrails.warnings };
  const kubeScore = verifyKubeScore(result.model.cluster, result.files, waivers.value, (message, hint) => result.model.source.problem([], message, hint));
  if (kubeScore.problems.length > 0) return { ok: false, problems: kubeScore.problems, warnings: result.guardrails.warnings };
  const chart = chartDir === undefined ? undefined : chartFilesOf(result);
  writeTreeAtomically(outputDir, result.files);
  if (chartDir !== undefined && chart) writeTreeAtomically(chartDir, chart);
  return { ...result, kubeScore };
}

/** The Helm chart of a rendered cluster: every component the cluster's kustomization lists. */
export function chartFilesOf(rendered: Rendered, platform: Composition = PLATFORM): Map<string, string> {
  const components = [...new Set(rendered.objects.map((r) => r.component))].filter((c) => !GITOPS_COMPONENTS.has(c));
  const descriptions = new Map([
    [PLATFORM_COMPONENT, 'namespaces with Pod Security and baseline network policy'],
    ...platform.engines.flatMap((e) => (e.description ? [[e.id, e.description] as const] : [])),
  ]);
  return helmChartFiles(rendered.model.cluster, rendered.files, components, descriptions, platform.facts.imageKeys ?? []);
}
