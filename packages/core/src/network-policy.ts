/**
 * NetworkPolicy building blocks that work on kube-router (k3s): namespaces are selected
 * with `matchLabels` on `kubernetes.io/metadata.name` (kube-router mishandles
 * `matchExpressions` with `In`), and the API server is reached by port, not by `ipBlock`
 * (kube-router evaluates policies after the ClusterIP DNAT, so an ipBlock of the service IP
 * never matches).
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import type { PlatformModel } from './model.ts';

export interface Peer {
  /** Namespace of the peer; omit for the policy's own namespace. */
  readonly namespace?: string;
  /** Pod labels of the peer; omit for every pod of the namespace. */
  readonly pods?: Readonly<Record<string, string>>;
}

export interface PortSpec {
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
}

export interface FlowRule {
  /** Peers; omit for "anywhere" (used only for the API server, see above). */
  readonly peers?: readonly Peer[];
  readonly ports: readonly PortSpec[];
}

export interface FlowPolicyProps {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** @default none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Pods the policy applies to. */
  readonly pods: Readonly<Record<string, string>>;
  readonly ingress?: readonly FlowRule[];
  readonly egress?: readonly FlowRule[];
}

function toPeer(p: Peer): k8s.NetworkPolicyPeer {
  return {
    ...(p.namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } } } : {}),
    ...(p.pods ? { podSelector: { matchLabels: { ...p.pods } } } : p.namespace ? {} : { podSelector: {} }),
  };
}

function toPorts(ports: readonly PortSpec[]): k8s.NetworkPolicyPort[] {
  return ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol ?? 'TCP' }));
}

/** One allow policy: exactly the listed flows, for the selected pods. */
export class FlowPolicy extends Construct {
  constructor(scope: Construct, id: string, props: FlowPolicyProps) {
    super(scope, id);
    const policyTypes = [...(props.ingress ? ['Ingress'] : []), ...(props.egress ? ['Egress'] : [])];
    // An empty `from`/`to` list means "everyone" to Kubernetes: a rule whose peer list came
    // out empty (no tenant uses it yet) must be dropped, never rendered open.
    const keep = (r: FlowRule) => r.peers === undefined || r.peers.length > 0;
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...props.labels }, ...(props.annotations ? { annotations: { ...props.annotations } } : {}) },
      spec: {
        podSelector: { matchLabels: { ...props.pods } },
        policyTypes,
        ...(props.ingress ? { ingress: props.ingress.filter(keep).map((r) => ({ ...(r.peers ? { from: r.peers.map(toPeer) } : {}), ports: toPorts(r.ports) })) } : {}),
        ...(props.egress ? { egress: props.egress.filter(keep).map((r) => ({ ...(r.peers ? { to: r.peers.map(toPeer) } : {}), ports: toPorts(r.ports) })) } : {}),
      },
    });
  }
}

export interface NamespaceBaselineProps {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly model: PlatformModel;
}

/**
 * What every database namespace starts from: deny all traffic in and out, then let every
 * pod resolve names. Engines add exactly the flows they need on top.
 */
export class NamespaceBaseline extends Construct {
  constructor(scope: Construct, id: string, props: NamespaceBaselineProps) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny', namespace: props.namespace, labels: { ...props.labels } },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new FlowPolicy(this, 'Dns', {
      namespace: props.namespace,
      name: 'allow-dns',
      labels: props.labels,
      pods: {},
      egress: [
        {
          peers: [{ namespace: props.model.network.dnsNamespace, pods: props.model.network.dnsPodLabels }],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ],
    });
  }
}

/** Egress rule to the Kubernetes API server, by port (see the file comment for why not ipBlock). */
export function apiServerEgress(model: PlatformModel): FlowRule {
  return { ports: model.network.apiServerPorts.map((port) => ({ port })) };
}

/** The Prometheus pods, as a peer. */
export function prometheusPeer(model: PlatformModel): Peer {
  return { namespace: model.monitoring.namespace, pods: model.monitoring.prometheusPodLabels };
}
