/**
 * The topology fixture models each cluster (no control plane needed): prod's four Proxmox nodes
 * with the GPU node, lab's three, storage from platform.yaml with NFS never provisionable, and a
 * cluster without a fixture gets three generic nodes plus its avoided nodes.
 */
import { describe, expect, it } from 'vitest';
import { discoverClusters } from './lib/desired.ts';
import { topologyFor } from './topologies.ts';

describe('topologies', () => {
  it('models prod: k8s-node1 is the GPU node and the one avoided; all four in region and zone pve', () => {
    const prod = discoverClusters().find((c) => c.name === 'prod');
    expect(prod).toBeDefined();
    const t = topologyFor('prod', prod!.platform);
    expect(t.source).toBe('fixture');
    expect(t.nodes.map((n) => n.name)).toEqual(['k8s-node1', 'k8s-node2', 'k8s-node3', 'k8s-node4']);
    expect(t.nodes[0]).toMatchObject({ labels: { 'nvidia.com/gpu.present': 'true' }, extendedResources: { 'nvidia.com/gpu': '1' } });
    for (const n of t.nodes) expect(n.labels).toMatchObject({ 'topology.kubernetes.io/region': 'pve', 'topology.kubernetes.io/zone': 'pve' });
    expect(t.avoidNodes).toEqual(['k8s-node1']);
    expect(t.storageClasses).toEqual(['proxmox-lvm', 'proxmox-lvm-encrypted']);
    expect(t.nfsClasses).toEqual(['nfs-client', 'nfs-truenas']);
  });

  it('models lab: three nodes, Ceph RBD, NFS not provisionable', () => {
    const lab = discoverClusters().find((c) => c.name === 'lab');
    expect(lab).toBeDefined();
    const t = topologyFor('lab', lab!.platform);
    expect(t.nodes).toHaveLength(3);
    expect(t.storageClasses).toEqual(['ceph-rbd']);
    expect(t.nfsClasses).toEqual(['nfs-truenas']);
  });

  it('gives a cluster without a fixture three generic nodes plus its avoided nodes, and every storage class it names', () => {
    const t = topologyFor('edge', { storage: { block: 'local-path', nfs: ['nfs'] }, scheduling: { avoidNodes: ['edge-gpu'] }, postgres: { storage: { storageClass: 'fast-nvme' } } } as never);
    expect(t.source).toBe('generic');
    expect(t.nodes.map((n) => n.name)).toEqual(['edge-node1', 'edge-node2', 'edge-node3', 'edge-gpu']);
    expect(t.storageClasses).toEqual(['local-path', 'fast-nvme']);
    expect(t.nfsClasses).toEqual(['nfs']);
  });

  it('covers every cluster of apps/', () => {
    for (const c of discoverClusters()) expect(topologyFor(c.name, c.platform).nodes.length).toBeGreaterThanOrEqual(3);
  });
});
