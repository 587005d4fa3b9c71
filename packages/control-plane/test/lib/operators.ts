/**
 * The operators we cannot run (CloudNativePG 1.30.0, MySQL Operator 8.4.3-2.1.5, External
 * Secrets 2.9.0), played on the control plane from their stand-ins (@db/postgres, @db/mysql,
 * @db/vault operator-contract.ts): what each creates for the live custom resources, owned the
 * way each operator owns it, written server-side under the operator's field manager, plus the
 * few reactions the suite needs (CNPG's switchover off an unschedulable node and re-creation of
 * missing instances, the MySQL Operator's readiness gates).
 *
 * Ownership, from the operators' source:
 *  - CNPG: instance pods and Pooler objects get ctrl.SetControllerReference (controller and
 *    blockOwnerDeletion; internal/controller/cluster_create.go:1580, pooler_update.go:98, 153,
 *    273); the Cluster's services, PDBs, service account and claims utils.SetAsOwnedBy
 *    (controller only; pkg/utils/ownership.go:26-38 through SetInheritedDataAndOwnership,
 *    api/v1/cluster_funcs.go:1317-1320).
 *  - MySQL Operator: kopf.adopt on every object it creates (operator_cluster.py:199-322):
 *    an owner reference with controller and blockOwnerDeletion, and the InnoDBCluster's labels
 *    on the object's metadata where it has none of that key (nolar/kopf kopf/_kits/
 *    hierarchies.py: adopt, append_owner_reference, label with forced=False).
 *  - External Secrets: a controller reference only for creationPolicy Owner
 *    (externalSecretStandIn, applyOwnership in its controller).
 */
import { cnpgClusterStandIn, cnpgPoolerStandIn } from '@db/postgres';
import { innoDbClusterStandIn } from '@db/mysql';
import { externalSecretStandIn } from '@db/vault';
import type { ControlPlane, ObjectApplyResult } from '../../src/index.ts';
import type { Obj } from './desired.ts';

export const FIELD_MANAGERS = { cnpg: 'cloudnative-pg', mysql: 'mysql-operator', eso: 'external-secrets' } as const;

/** Creation order: what pods need (service accounts, claims, config) before the pods. */
const ORDER = ['ServiceAccount', 'Secret', 'ConfigMap', 'RoleBinding', 'PersistentVolumeClaim', 'Service', 'PodDisruptionBudget', 'StatefulSet', 'Deployment', 'Pod'];
const byOrder = (a: Obj, b: Obj) => (ORDER.indexOf(a.kind) + 1 || 99) - (ORDER.indexOf(b.kind) + 1 || 99);

function ownerRef(owner: Obj, blockOwnerDeletion: boolean): Obj {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, ...(blockOwnerDeletion ? { blockOwnerDeletion: true } : {}) };
}

function own(o: Obj, owner: Obj, blockOwnerDeletion: boolean): Obj {
  o.metadata.ownerReferences = [ownerRef(owner, blockOwnerDeletion)];
  return o;
}

/** kopf.adopt: owner reference, the owner's namespace, and its labels where the child has none of that key. */
function kopfAdopt(o: Obj, owner: Obj): Obj {
  own(o, owner, true);
  o.metadata.namespace ??= owner.metadata.namespace;
  o.metadata.labels ??= {};
  const labels = o.metadata.labels;
  for (const [k, v] of Object.entries(owner.metadata.labels ?? {})) if (!(k in labels)) labels[k] = v;
  return o;
}

/** The state of one CNPG Cluster the stand-in keeps (CNPG keeps it in the Cluster's status). */
export interface CnpgState {
  readonly cluster: Obj;
  primary: number;
  serials: number[];
}

/** What CNPG creates for a live Cluster, owned by it. */
export function cnpgObjects(state: CnpgState): Obj[] {
  return cnpgClusterStandIn(state.cluster, { primary: state.primary, serials: state.serials })
    .map((o) => own(o, state.cluster, o.kind === 'Pod'))
    .sort(byOrder);
}

/** What CNPG creates for a live Pooler, owned by it. */
export const cnpgPoolerObjects = (pooler: Obj, cluster: Obj): Obj[] =>
  cnpgPoolerStandIn(pooler, cluster)
    .map((o) => own(o, pooler, true))
    .sort(byOrder);

/** What the MySQL Operator creates for a live InnoDBCluster, adopted by it. */
export const mysqlObjects = (ic: Obj): Obj[] =>
  innoDbClusterStandIn(ic)
    .map((o) => kopfAdopt(o, ic))
    .sort(byOrder);

/** The Secret External Secrets writes for a live ExternalSecret (owned only for creationPolicy Owner). */
export const esoSecret = (es: Obj): Obj => externalSecretStandIn(es, {}, es.metadata.uid);

/** Every operator stand-in of a cluster, and the state its reactions need. */
export class Operators {
  readonly cnpg = new Map<string, CnpgState>();
  readonly innoDbClusters: Obj[] = [];
  /** Every apply, for the assertions (zero errors, zero warnings). */
  readonly results: ObjectApplyResult[] = [];

  constructor(private readonly cp: ControlPlane) {}

  private async apply(objects: readonly Obj[], fieldManager: string): Promise<ObjectApplyResult[]> {
    const out: ObjectApplyResult[] = [];
    for (const o of objects) out.push(await this.cp.applyObject(o, { fieldManager, force: true }));
    this.results.push(...out);
    return out;
  }

  /** Plays every operator once for the live custom resources: what they create on first reconcile. */
  async createAll(): Promise<ObjectApplyResult[]> {
    const out: ObjectApplyResult[] = [];
    const clusters = await this.cp.list('postgresql.cnpg.io/v1', 'Cluster');
    for (const c of clusters) {
      const instances: number = c.spec.instances ?? 1;
      const state: CnpgState = { cluster: c, primary: 1, serials: Array.from({ length: instances }, (_, i) => i + 1) };
      this.cnpg.set(`${c.metadata.namespace}/${c.metadata.name}`, state);
      out.push(...(await this.apply(cnpgObjects(state), FIELD_MANAGERS.cnpg)));
    }
    for (const p of await this.cp.list('postgresql.cnpg.io/v1', 'Pooler')) {
      const c = clusters.find((x) => x.metadata.namespace === p.metadata.namespace && x.metadata.name === p.spec.cluster.name);
      if (!c) throw new Error(`Pooler ${p.metadata.namespace}/${p.metadata.name} names Cluster ${p.spec.cluster.name}, which does not exist`);
      out.push(...(await this.apply(cnpgPoolerObjects(p, c), FIELD_MANAGERS.cnpg)));
    }
    for (const ic of await this.cp.list('mysql.oracle.com/v2', 'InnoDBCluster')) {
      this.innoDbClusters.push(ic);
      out.push(...(await this.apply(mysqlObjects(ic), FIELD_MANAGERS.mysql)));
    }
    for (const es of await this.cp.list('external-secrets.io/v1', 'ExternalSecret')) out.push(...(await this.apply([esoSecret(es)], FIELD_MANAGERS.eso)));
    return out;
  }

  /**
   * One round of the operators' reactions. CNPG 1.30.0: a primary on an unschedulable node is
   * switched over to a ready replica on a schedulable one (internal/controller/replicas.go:66-78,
   * setPrimaryOnSchedulableNode :262-320; the node watch, cluster_controller.go mapNodeToClusters,
   * triggers it on cordon); a missing instance pod is created again with its name and claim
   * (cluster_create.go:1560-1596, "Creating new Pod to reattach a PVC"). MySQL Operator: once a
   * server pod runs, its sidecar sets readiness gate mysql.oracle.com/configured
   * (sidecar_main.py:431, 442) and the operator mysql.oracle.com/ready when the member is ONLINE
   * (cluster_controller.py:113-123, 522), each a strategic merge patch of the pod's status
   * (MySQLPod.update_member_readiness_gate, cluster_api.py:2419-2436).
   */
  async reconcile(): Promise<string[]> {
    const events: string[] = [];
    const nodes = await this.cp.list('v1', 'Node');
    const unschedulable = new Set(nodes.filter((n) => n.spec?.unschedulable).map((n) => n.metadata.name as string));
    for (const state of this.cnpg.values()) {
      const { namespace, name } = state.cluster.metadata;
      const pods = (await this.cp.list('v1', 'Pod', namespace, `cnpg.io/cluster=${name},cnpg.io/podRole=instance`)).filter((p) => !p.metadata.deletionTimestamp);
      const primary = pods.find((p) => p.metadata.name === `${name}-${state.primary}`);
      if (primary?.spec.nodeName && unschedulable.has(primary.spec.nodeName)) {
        // CNPG waits until every instance is ready before switching over (replicas.go:276-290).
        const allReady = state.serials.every((s) => pods.some((p) => p.metadata.name === `${name}-${s}` && isReady(p)));
        const candidate = pods.find((p) => p !== primary && isReady(p) && p.spec.nodeName && !unschedulable.has(p.spec.nodeName));
        if (allReady && candidate) {
          state.primary = Number(candidate.metadata.name.slice(name.length + 1));
          // The role labels follow, pod by pod in name order, as ReconcileMetadata patches them
          // (pkg/reconciler/instance/metadata.go:37-76, updateRoleLabels :166-218).
          for (const p of [primary, candidate].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) await this.labelPod(namespace, p.metadata.name, p === candidate ? 'primary' : 'replica');
          events.push(`switchover ${namespace}/${name}: ${primary.metadata.name} (node ${primary.spec.nodeName} unschedulable) -> ${candidate.metadata.name}`);
        }
      }
      const missing = state.serials.filter((s) => !pods.some((p) => p.metadata.name === `${name}-${s}`));
      if (missing.length > 0) {
        // A pod evicted a moment ago may still be terminating: create it once it is gone.
        const all = await this.cp.list('v1', 'Pod', namespace, `cnpg.io/cluster=${name},cnpg.io/podRole=instance`);
        const gone = missing.filter((s) => !all.some((p) => p.metadata.name === `${name}-${s}`));
        const recreate = cnpgObjects(state).filter((o) => o.kind === 'Pod' && gone.some((s) => o.metadata.name === `${name}-${s}`));
        for (const r of await this.apply(recreate, FIELD_MANAGERS.cnpg)) {
          if (!r.ok) throw new Error(`CNPG stand-in could not re-create ${r.ref}: ${r.message}`);
          events.push(`re-created ${r.ref}`);
        }
      }
    }
    for (const ic of this.innoDbClusters) {
      const pods = await this.cp.list('v1', 'Pod', ic.metadata.namespace, `component=mysqld,mysql.oracle.com/cluster=${ic.metadata.name}`);
      for (const p of pods) {
        if (p.metadata.deletionTimestamp || p.status?.phase !== 'Running') continue;
        for (const gate of ['configured', 'ready']) {
          const type = `mysql.oracle.com/${gate}`;
          if ((p.status.conditions ?? []).some((c: Obj) => c.type === type && c.status === 'True')) continue;
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          const r = await this.cp.patchStatus('v1', 'Pod', p.metadata.namespace, p.metadata.name, { status: { conditions: [{ type, status: 'True', lastProbeTime: now, lastTransitionTime: now }] } });
          if (r.status !== 200) throw new Error(`MySQL Operator stand-in could not set ${type} on ${p.metadata.name}: HTTP ${r.status} ${r.body}`);
          events.push(`${type}=True on ${p.metadata.namespace}/${p.metadata.name}`);
        }
      }
    }
    return events;
  }

  /** What CNPG's instance manager writes on a pod when its role changes (metadata.go:166-218, SetInstanceRole). */
  private async labelPod(namespace: string, name: string, role: 'primary' | 'replica'): Promise<void> {
    const path = await this.cp.resourcePath('v1', 'Pod', namespace, name);
    const r = await this.cp.request(
      'PATCH',
      `${path}?fieldManager=${FIELD_MANAGERS.cnpg}`,
      { metadata: { labels: { role, 'cnpg.io/instanceRole': role } } },
      { contentType: 'application/merge-patch+json' },
    );
    if (r.status !== 200) throw new Error(`labelling ${namespace}/${name} ${role}: HTTP ${r.status} ${r.body}`);
  }
}

export const isReady = (p: Obj): boolean => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
