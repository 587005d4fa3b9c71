/** Rendered objects: plain JSON, as cdk8s synthesised them, tagged with their component. */

// Rendered objects are arbitrary Kubernetes JSON; rules and checks read them defensively.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

export interface RenderedObject {
  /** Output folder below clusters/<cluster>/, e.g. `postgres`. */
  readonly component: string;
  readonly object: K8sObject;
}

/** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects: how waivers and messages name an object. */
export function objectRef(o: K8sObject): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/** The pod template of a core workload, if the object is one. */
export function podTemplate(o: K8sObject): { metadata?: K8sObject['metadata']; spec: Record<string, any> } | undefined {
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return o.spec?.template;
    case 'CronJob':
      return o.spec?.jobTemplate?.spec?.template;
    default:
      return undefined;
  }
}

/** Every container image an object runs, including those of operator custom resources. */
export function imagesOf(o: K8sObject): string[] {
  const images: string[] = [];
  const pod = podTemplate(o);
  for (const c of [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])]) if (c.image) images.push(c.image);
  if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/') && o.spec?.imageName) images.push(o.spec.imageName);
  for (const c of o.spec?.template?.spec?.containers ?? []) if (o.kind === 'Pooler' && c.image) images.push(c.image);
  return images;
}
