import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';

export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface DatabaseNamespaceProps {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Pod Security Standards level enforced in the namespace.
   * @default 'restricted'
   */
  readonly podSecurity?: PodSecurityLevel;
}

/** A namespace that enforces, audits and warns on one Pod Security Standards level. */
export class DatabaseNamespace extends Construct {
  constructor(scope: Construct, id: string, props: DatabaseNamespaceProps) {
    super(scope, id);
    const level = props.podSecurity ?? 'restricted';
    new k8s.KubeNamespace(this, 'Resource', {
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/audit': level,
          'pod-security.kubernetes.io/warn': level,
        },
      },
    });
  }
}
