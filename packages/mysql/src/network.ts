/**
 * Exactly the flows MySQL needs, on top of the namespace's default deny and DNS: tenants →
 * 3306 only from their own namespaces, the backup and provisioning jobs → 3306 (backup also
 * → Pushgateway), Prometheus → the exporter. InnoDB Cluster adds router → servers, servers
 * ↔ servers (Group Replication), the operator → servers and routers, and API-server egress
 * (the operator's sidecars report through it).
 */
import { Construct } from 'constructs';
import { apiServerEgress, FlowPolicy, prometheusPeer, type Peer, type PlatformModel } from '@db/core';
import type { MysqlModel } from './model.ts';
import { backupPods, mysqlLabels, provisionPods, routerPods, serverPods } from './labels.ts';
import { restorePods } from './restore.ts';
import { drillPods } from './drill.ts';
import { purgePods } from './offboarding.ts';
import { EXPORTER_PORT, MYSQL_PORT } from './standalone.ts';

/** MySQL classic protocol, X protocol, Group Replication. */
const X_PORT = 33060;
const GR_PORT = 33061;
/** Router ports: classic rw/ro/split and X rw/ro, and its REST API. */
const ROUTER_PORTS = [6446, 6447, 6448, 6449, 6450, 8443];

function tenantPeers(my: MysqlModel): Peer[] {
  // A retired tenant's path is closed.
  return [...new Set(my.tenants.filter((t) => t.state === 'active').map((t) => t.tenant.namespace))].sort().map((namespace) => ({ namespace }));
}

export class MysqlNetwork extends Construct {
  constructor(scope: Construct, id: string, props: { my: MysqlModel; model: PlatformModel }) {
    super(scope, id);
    const { my, model } = props;
    const labels = mysqlLabels(my, 'network-policy');
    const purging = my.tenants.some((t) => t.state === 'purged');
    const clients: Peer[] = [...tenantPeers(my), { pods: backupPods(my) }, { pods: provisionPods(my) }, { pods: restorePods(my) }, ...(purging ? [{ pods: purgePods(my) }] : [])];
    const toServers = [
      {
        peers: [{ pods: my.topology === 'standalone' ? serverPods(my) : routerPods(my) }],
        ports: my.topology === 'standalone' ? [{ port: MYSQL_PORT }] : [{ port: MYSQL_PORT }, ...ROUTER_PORTS.map((port) => ({ port }))],
      },
    ];

    if (my.topology === 'standalone') {
      new FlowPolicy(this, 'Server', {
        namespace: my.namespace,
        name: my.name,
        labels,
        pods: serverPods(my),
        ingress: [
          { peers: clients, ports: [{ port: MYSQL_PORT }] },
          { peers: [prometheusPeer(model)], ports: [{ port: EXPORTER_PORT }] },
        ],
        egress: [],
      });
    } else {
      const operator: Peer = { namespace: my.operatorNamespace };
      const servers: Peer = { pods: serverPods(my) };
      new FlowPolicy(this, 'Server', {
        namespace: my.namespace,
        name: my.name,
        labels,
        pods: serverPods(my),
        ingress: [
          { peers: [servers], ports: [{ port: MYSQL_PORT }, { port: X_PORT }, { port: GR_PORT }] },
          { peers: [{ pods: routerPods(my) }, operator], ports: [{ port: MYSQL_PORT }, { port: X_PORT }] },
          { peers: [prometheusPeer(model)], ports: [{ port: EXPORTER_PORT }] },
        ],
        egress: [{ peers: [servers], ports: [{ port: MYSQL_PORT }, { port: X_PORT }, { port: GR_PORT }] }, apiServerEgress(model)],
      });
      new FlowPolicy(this, 'Router', {
        namespace: my.namespace,
        name: `${my.name}-router`,
        labels,
        pods: routerPods(my),
        ingress: [
          { peers: clients, ports: ROUTER_PORTS.slice(0, 5).map((port) => ({ port })) },
          { peers: [operator], ports: [{ port: 8443 }] },
        ],
        egress: [{ peers: [servers], ports: [{ port: MYSQL_PORT }, { port: X_PORT }] }, apiServerEgress(model)],
      });
    }

    new FlowPolicy(this, 'Backup', {
      namespace: my.namespace,
      name: my.backup.name,
      labels,
      pods: backupPods(my),
      egress: [...toServers, { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] }],
    });
    // The weekly restore drill restores into a server inside its own pod: it needs only the Pushgateway (DNS comes with the namespace).
    new FlowPolicy(this, 'Drill', {
      namespace: my.namespace,
      name: my.backup.drill.name,
      labels,
      pods: drillPods(my),
      egress: [{ peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] }],
    });
    // Restore Jobs (restores: entries): the server and the Pushgateway; listings need neither (NFS is the kubelet's mount) and are not selected.
    if (model.restores.some((r) => r.engine === 'mysql' && r.action === 'restore'))
      new FlowPolicy(this, 'Restore', {
        namespace: my.namespace,
        name: `${my.name}-restore`,
        labels,
        pods: restorePods(my),
        egress: [...toServers, { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] }],
      });
    // Purge Jobs (purge: true) drop a tenant's database and user: the server and the Pushgateway.
    if (purging)
      new FlowPolicy(this, 'Purge', {
        namespace: my.namespace,
        name: `${my.name}-purge`,
        labels,
        pods: purgePods(my),
        egress: [...toServers, { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] }],
      });
    new FlowPolicy(this, 'Provisioning', {
      namespace: my.namespace,
      name: `${my.name}-provisioning`,
      labels,
      pods: provisionPods(my),
      egress: toServers,
    });
  }
}
