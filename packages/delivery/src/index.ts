/**
 * @db/delivery: what the platform and the control-plane suite use of the delivery. The rest
 * stays inside delivery, where its own tests import the module files.
 */

// GitOps wiring: the delivery section's checks, the Argo CD and Flux objects and their components
export { checkDelivery } from './model.ts';
export { deliveryObjects } from './delivery.ts';
export { GITOPS_COMPONENTS } from './plan.ts';

// Sync policies: what neither a prune nor an uninstall deletes
export { ARGOCD_KEEP_ANNOTATION, FLUX_KEEP_ANNOTATION, KEEP_KINDS, keptOnUninstall } from './policies.ts';

// Helm charts of the rendered output
export { escapeTemplateDelimiters, helmChartFiles } from './helm-chart.ts';

// kubeconform, offline: its schemas, arguments and output
export { kubeconformArgs, parseKubeconformOutput, writeKubeconformSchemas } from './kubeconform.ts';
export type { KubeconformSchemas } from './kubeconform.ts';

// The rendered diff, and the changes the API server refuses to apply in place
export { committedTrees, DIFF_MARKER, defaultRef, diffTrees, formatDiffMarkdown, formatDiffText } from './diff.ts';
export type { ObjectChange } from './diff.ts';
export { IMMUTABLE_RULES, immutableChanges } from './immutable.ts';
