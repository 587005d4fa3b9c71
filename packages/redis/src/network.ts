/**
 * Exactly the flows Redis needs, on top of the namespace's default deny and DNS: tenants →
 * 6379 from their own namespaces only, Prometheus → 9121, the backup job → the master
 * service and the Pushgateway; with sentinels, redis pods ↔ each other (6379, 26379) and
 * HAProxy → 6379/26379.
 */
import { Construct } from 'constructs';
import { FlowPolicy, prometheusPeer, type Peer, type PlatformModel } from '@db/core';
import type { RedisModel } from './model.ts';
import { backupPods, dataPods, proxyPods, redisLabels } from './labels.ts';
import { drillPods } from './drill.ts';
import { redisRotates, rotationPods } from './rotation.ts';
import { purgePods } from './offboarding.ts';

export function tenantPeers(redis: RedisModel): Peer[] {
  // A retired tenant's path is closed.
  return [...new Set(redis.tenants.filter((t) => t.state === 'active').map((t) => t.tenant.namespace))].sort().map((namespace) => ({ namespace }));
}

export class RedisNetwork extends Construct {
  constructor(scope: Construct, id: string, props: { redis: RedisModel; model: PlatformModel }) {
    super(scope, id);
    const { redis, model } = props;
    const labels = redisLabels(redis, 'network-policy');
    const data: Peer = { pods: dataPods(redis) };
    // Purge Jobs (purge: true) delete a tenant's keys and user, through the same way in as the backup.
    const backup: Peer = { pods: backupPods(redis) };
    // The rotation job (@db/secrets, step rotation.ts) sets ACL passwords on every server.
    const rotation: Peer[] = redisRotates(redis, model) ? [{ pods: rotationPods(redis) }] : [];
    const purging = redis.tenants.some((t) => t.state === 'purged');
    const jobs: Peer[] = [backup, ...(purging ? [{ pods: purgePods(redis) }] : [])];
    if (redis.topology === 'standalone') {
      new FlowPolicy(this, 'Data', {
        namespace: redis.namespace,
        name: redis.name,
        labels,
        pods: dataPods(redis),
        ingress: [
          { peers: [...tenantPeers(redis), ...jobs, ...rotation], ports: [{ port: 6379 }] },
          { peers: [prometheusPeer(model)], ports: [{ port: 9121 }] },
        ],
        egress: [],
      });
    } else {
      const proxy: Peer = { pods: proxyPods(redis) };
      new FlowPolicy(this, 'Data', {
        namespace: redis.namespace,
        name: redis.name,
        labels,
        pods: dataPods(redis),
        ingress: [
          { peers: [data, proxy], ports: [{ port: 6379 }, { port: 26379 }] },
          // Jobs that change the ACL on every server, directly: rotation, and the purge's ACL DELUSER.
          ...(rotation.length > 0 || purging ? [{ peers: [...rotation, ...(purging ? [{ pods: purgePods(redis) }] : [])], ports: [{ port: 6379 }] }] : []),
          { peers: [prometheusPeer(model)], ports: [{ port: 9121 }] },
        ],
        egress: [{ peers: [data], ports: [{ port: 6379 }, { port: 26379 }] }],
      });
      new FlowPolicy(this, 'Proxy', {
        namespace: redis.namespace,
        name: redis.haproxy.name,
        labels,
        pods: proxyPods(redis),
        ingress: [{ peers: [...tenantPeers(redis), ...jobs], ports: [{ port: 6379 }] }],
        egress: [{ peers: [data], ports: [{ port: 6379 }, { port: 26379 }] }],
      });
    }
    new FlowPolicy(this, 'Backup', {
      namespace: redis.namespace,
      name: redis.backup.name,
      labels,
      pods: backupPods(redis),
      egress: [
        { peers: [redis.topology === 'standalone' ? data : { pods: proxyPods(redis) }], ports: [{ port: 6379 }] },
        { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] },
      ],
    });
    if (purging)
      new FlowPolicy(this, 'Purge', {
        namespace: redis.namespace,
        name: `${redis.name}-purge`,
        labels,
        pods: purgePods(redis),
        egress: [
          // The keys through the master (HAProxy with sentinels); ACL DELUSER on every pod.
          { peers: redis.topology === 'standalone' ? [data] : [{ pods: proxyPods(redis) }, data], ports: [{ port: 6379 }] },
          { peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] },
        ],
      });
    // The weekly restore drill loads the snapshot into a server inside its own pod: it needs only the Pushgateway (DNS comes with the namespace).
    new FlowPolicy(this, 'Drill', {
      namespace: redis.namespace,
      name: redis.backup.drill.name,
      labels,
      pods: drillPods(redis),
      egress: [{ peers: [{ namespace: model.monitoring.namespace }], ports: [{ port: 9091 }] }],
    });
  }
}
