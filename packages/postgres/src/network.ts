/**
 * Exactly the flows PostgreSQL needs, on top of the namespace's default deny and DNS:
 * tenants → PgBouncer 5432, PgBouncer → instances, instances ↔ instances, CNPG operator →
 * instances 8000/5432, Prometheus → 9187 and 9127, backup and restore jobs → primary and Pushgateway,
 * and instance managers → the API server (they report status through it).
 */
import { Construct } from 'constructs';
import { apiServerEgress, FlowPolicy, prometheusPeer, type Peer, type PlatformModel } from '@db/core';
import type { PostgresModel } from './model.ts';
import { clusterLabels, instancePods, poolerPods } from './labels.ts';
import { backupPods } from './backup.ts';
import { restorePods } from './restore.ts';
import { drillPods } from './drill.ts';
import { purgePods } from './offboarding.ts';
import { cnpgNamespace } from './schema.ts';

/** Namespaces of active tenants that connect a given way, one peer each (kube-router: matchLabels only); a retired tenant's path is closed. */
function tenantPeers(pg: PostgresModel, connection: 'pooler' | 'direct'): Peer[] {
  const namespaces = [...new Set(pg.tenants.filter((t) => t.state === 'active' && t.connection === connection).map((t) => t.tenant.namespace))].sort();
  return namespaces.map((namespace) => ({ namespace }));
}

export class PostgresNetwork extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel; model: PlatformModel }) {
    super(scope, id);
    const { pg, model } = props;
    const labels = clusterLabels(pg, 'network-policy');
    const instances: Peer = { pods: instancePods(pg) };
    const purging = pg.tenants.some((t) => t.state === 'purged');
    const operator: Peer = { namespace: cnpgNamespace(model), pods: { 'app.kubernetes.io/name': 'cloudnative-pg' } };

    new FlowPolicy(this, 'Instances', {
      namespace: pg.namespace,
      name: `${pg.name}-instances`,
      labels,
      pods: instancePods(pg),
      ingress: [
        {
          peers: [{ pods: poolerPods(pg) }, { pods: backupPods(pg) }, { pods: restorePods(pg) }, ...(purging ? [{ pods: purgePods(pg) }] : []), ...tenantPeers(pg, 'direct')],
          ports: [{ port: 5432 }],
        },
        { peers: [instances], ports: [{ port: 5432 }, { port: 8000 }] },
        { peers: [operator], ports: [{ port: 8000 }, { port: 5432 }] },
        { peers: [prometheusPeer(model)], ports: [{ port: 9187 }] },
      ],
      egress: [{ peers: [instances], ports: [{ port: 5432 }, { port: 8000 }] }, apiServerEgress(model)],
    });

    new FlowPolicy(this, 'Pooler', {
      namespace: pg.namespace,
      name: `${pg.pooler.name}`,
      labels,
      pods: poolerPods(pg),
      ingress: [
        { peers: tenantPeers(pg, 'pooler'), ports: [{ port: 5432 }] },
        { peers: [prometheusPeer(model)], ports: [{ port: 9127 }] },
      ],
      egress: [{ peers: [instances], ports: [{ port: 5432 }] }, apiServerEgress(model)],
    });

    new FlowPolicy(this, 'Backup', {
      namespace: pg.namespace,
      name: pg.backup.name,
      labels,
      pods: backupPods(pg),
      egress: [
        { peers: [instances], ports: [{ port: 5432 }] },
        { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] },
      ],
    });

    // The weekly restore drill restores into a server inside its own pod: it needs only the Pushgateway (DNS comes with the namespace).
    new FlowPolicy(this, 'Drill', {
      namespace: pg.namespace,
      name: pg.backup.drill.name,
      labels,
      pods: drillPods(pg),
      egress: [{ peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] }],
    });

    // Purge Jobs check that CNPG dropped a purged tenant: the primary and the Pushgateway.
    if (purging)
      new FlowPolicy(this, 'Purge', {
        namespace: pg.namespace,
        name: `${pg.name}-purge`,
        labels,
        pods: purgePods(pg),
        egress: [
          { peers: [instances], ports: [{ port: 5432 }] },
          { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] },
        ],
      });

    // Restore Jobs (restores: entries): the primary and the Pushgateway; listings need neither (NFS is the kubelet's mount) and are not selected.
    if (model.restores.some((r) => r.engine === 'postgres' && r.action === 'restore'))
      new FlowPolicy(this, 'Restore', {
        namespace: pg.namespace,
        name: `${pg.name}-restore`,
        labels,
        pods: restorePods(pg),
        egress: [
          { peers: [instances], ports: [{ port: 5432 }] },
          { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] },
        ],
      });
  }
}
