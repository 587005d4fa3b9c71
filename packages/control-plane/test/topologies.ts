/**
 * The nodes and storage of each cluster, modelled on the real ones, for the control-plane suite.
 *
 * prod is the seeds' Proxmox cluster: four nodes in one region and zone, k8s-node1 the GPU node
 * (the node `scheduling.avoidNodes` keeps databases off). lab is three nodes. A cluster without a
 * fixture gets three generic nodes plus its avoided nodes, so a new cluster is covered too.
 *
 * Storage: the classes of the cluster's `storage` section are provisionable (kwok binds their
 * claims); its NFS classes exist but nothing provisions them, so a claim of ours on NFS stays
 * Pending and its pod never runs: nothing we render may keep data on NFS.
 */
import type { NodeSpec } from '../src/index.ts';

export interface Topology {
  readonly nodes: readonly NodeSpec[];
  /** Provisionable classes (the first is the default class). */
  readonly storageClasses: readonly string[];
  /** Classes that exist but are never provisioned. */
  readonly nfsClasses: readonly string[];
  /** `scheduling.avoidNodes` of platform.yaml. */
  readonly avoidNodes: readonly string[];
  /** 'fixture' when modelled on the real cluster, 'generic' otherwise. */
  readonly source: 'fixture' | 'generic';
}

const PVE = { 'topology.kubernetes.io/region': 'pve', 'topology.kubernetes.io/zone': 'pve' };

const FIXTURES: Readonly<Record<string, readonly NodeSpec[]>> = {
  prod: [
    // The GPU node (seeds: an NVIDIA card, the device plugin's label and resource).
    { name: 'k8s-node1', labels: { ...PVE, 'nvidia.com/gpu.present': 'true' }, extendedResources: { 'nvidia.com/gpu': '1' } },
    { name: 'k8s-node2', labels: PVE },
    { name: 'k8s-node3', labels: PVE },
    { name: 'k8s-node4', labels: PVE },
  ],
  lab: [
    { name: 'lab-node1', labels: { 'topology.kubernetes.io/zone': 'lab-a' } },
    { name: 'lab-node2', labels: { 'topology.kubernetes.io/zone': 'lab-b' } },
    { name: 'lab-node3', labels: { 'topology.kubernetes.io/zone': 'lab-c' } },
  ],
};

/** The subset of platform.yaml the topology reads. */
export interface PlatformTopologyInput {
  readonly storage?: Readonly<Record<string, unknown>>;
  readonly scheduling?: { readonly avoidNodes?: readonly string[] };
}

function storageClassOverrides(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(storageClassOverrides);
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => (k === 'storageClass' && typeof x === 'string' ? [x] : storageClassOverrides(x)));
}

export function topologyFor(cluster: string, platform: PlatformTopologyInput): Topology {
  const storage = platform.storage ?? {};
  const nfsClasses = ([] as unknown[]).concat(storage.nfs ?? []).filter((c): c is string => typeof c === 'string');
  const storageClasses = Object.entries(storage)
    .filter(([k, v]) => k !== 'nfs' && typeof v === 'string')
    .map(([, v]) => v as string);
  // An engine's own `storage.storageClass` (block storage) exists in the cluster too.
  for (const c of storageClassOverrides(platform)) if (!storageClasses.includes(c) && !nfsClasses.includes(c)) storageClasses.push(c);
  const avoidNodes = [...(platform.scheduling?.avoidNodes ?? [])];
  const fixture = FIXTURES[cluster];
  const nodes: NodeSpec[] = fixture ? [...fixture] : [1, 2, 3].map((i) => ({ name: `${cluster}-node${i}` }));
  // An avoided node the fixture lacks is added: the rule is only tested where it can be broken.
  for (const n of avoidNodes) if (!nodes.some((x) => x.name === n)) nodes.push({ name: n });
  return { nodes, storageClasses: storageClasses.length > 0 ? storageClasses : ['standard'], nfsClasses, avoidNodes, source: fixture ? 'fixture' : 'generic' };
}
