import { recommendedLabels, PIN_ANNOTATIONS, PIN_LABELS } from '@db/core';
import type { PostgresModel } from './model.ts';

export function clusterLabels(pg: PostgresModel, component: string): Record<string, string> {
  return recommendedLabels({ name: 'postgresql', instance: pg.name, component, version: pg.imageTag });
}

/**
 * Labels CNPG puts on the pods of each kind, for selectors. PgBouncer pods carry
 * `cnpg.io/cluster` too, so instance selectors also name `cnpg.io/podRole: instance`
 * (contract-tested in test/operator-contract.test.ts).
 */
export const instancePods = (pg: PostgresModel) => ({ 'cnpg.io/cluster': pg.name, 'cnpg.io/podRole': 'instance' });
export const primaryPods = (pg: PostgresModel) => ({ 'cnpg.io/cluster': pg.name, 'cnpg.io/instanceRole': 'primary' });
export const poolerPods = (pg: PostgresModel) => ({ 'cnpg.io/poolerName': pg.pooler.name });

/** Metadata for pods CNPG creates: recommended labels plus the image-update opt-outs. */
export function pinnedPodMetadata(labels: Record<string, string>) {
  return { labels: { ...labels, ...PIN_LABELS }, annotations: { ...PIN_ANNOTATIONS } };
}
