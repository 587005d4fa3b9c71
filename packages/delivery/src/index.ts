export * from './model.ts';
export * from './plan.ts';
export * from './policies.ts';
export * from './argocd.ts';
export * from './flux.ts';
export * from './delivery.ts';
export * from './helm-chart.ts';
export * from './kubeconform.ts';
