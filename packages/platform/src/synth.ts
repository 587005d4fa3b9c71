/**
 * Render one desired-state file to its output folder: everything is checked in memory
 * first, and the folder is replaced atomically only when the render is accepted. A refused
 * render touches nothing on disk. With `chartDir`, the cluster's Helm chart, made from the
 * same rendered files, replaces that folder too.
 */
import { writeTreeAtomically } from '@db/core';
import { GITOPS_COMPONENTS, helmChartFiles } from '@db/delivery';
import { renderFile, type Rendered, type Refused } from './render.ts';

export function synthToDisk(platformFile: string, outputDir: string, expectedCluster?: string, chartDir?: string): Rendered | Refused {
  const result = renderFile(platformFile, expectedCluster);
  if (result.ok) {
    const chart = chartDir === undefined ? undefined : chartFilesOf(result);
    writeTreeAtomically(outputDir, result.files);
    if (chartDir !== undefined && chart) writeTreeAtomically(chartDir, chart);
  }
  return result;
}

/** The Helm chart of a rendered cluster: every component the cluster's kustomization lists. */
export function chartFilesOf(rendered: Rendered): Map<string, string> {
  const components = [...new Set(rendered.objects.map((r) => r.component))].filter((c) => !GITOPS_COMPONENTS.has(c));
  return helmChartFiles(rendered.model.cluster, rendered.files, components, COMPONENT_DESCRIPTIONS);
}

/** What each component holds, for the charts' descriptions; a component missing here gets a generic one. */
const COMPONENT_DESCRIPTIONS = new Map([
  ['platform', 'namespaces with Pod Security and baseline network policy'],
  ['postgres', 'PostgreSQL on CloudNativePG with PgBouncer'],
  ['mysql', 'MySQL, standalone or InnoDB Cluster'],
  ['redis', 'Redis, standalone or Sentinel HA'],
  ['sqlite', 'SQLite volumes of the apps'],
  ['vault', "Vault's database secrets engine and the tenants' credentials through External Secrets"],
]);
