/**
 * PgBouncer through a CNPG Pooler: the endpoint apps use instead of the primary, so a
 * failover or a burst of app connections never exhausts `max_connections`.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { avoidNodesAffinity, type PlatformModel } from '@db/core';
import { Pooler, PoolerSpecType, PoolerSpecPgbouncerPoolMode } from './imports/postgresql.cnpg.io.ts';
import type { PostgresModel } from './model.ts';
import { clusterLabels, pinnedPodMetadata, poolerPods } from './labels.ts';

export class PostgresPooler extends Construct {
  constructor(scope: Construct, id: string, props: { pg: PostgresModel; model: PlatformModel }) {
    super(scope, id);
    const { pg, model } = props;
    const labels = clusterLabels(pg, 'pooler');
    const nodeAffinity = avoidNodesAffinity(model);
    new Pooler(this, 'Resource', {
      metadata: { name: pg.pooler.name, namespace: pg.namespace, labels },
      spec: {
        cluster: { name: pg.name },
        instances: pg.pooler.instances,
        type: PoolerSpecType.RW,
        pgbouncer: {
          image: pg.pooler.image,
          poolMode: pg.pooler.poolMode === 'session' ? PoolerSpecPgbouncerPoolMode.SESSION : PoolerSpecPgbouncerPoolMode.TRANSACTION,
          parameters: {
            max_client_conn: String(pg.pooler.maxClientConnections),
            default_pool_size: String(pg.pooler.defaultPoolSize),
            server_tls_sslmode: 'prefer',
          },
        },
        template: {
          metadata: pinnedPodMetadata(labels),
          spec: {
            // Merged by CNPG into the PgBouncer pods it creates: the restricted profile. The
            // API token stays: CNPG's instance manager in the pod reads its Secrets through the API.
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'pgbouncer',
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
                  limits: { memory: k8s.Quantity.fromString('256Mi') },
                },
              },
            ],
            affinity: {
              ...(nodeAffinity ? { nodeAffinity } : {}),
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: poolerPods(pg) } } }],
              },
            },
          },
        },
      },
    });
    if (pg.pooler.instances > 1) {
      new k8s.KubePodDisruptionBudget(this, 'Pdb', {
        metadata: { name: pg.pooler.name, namespace: pg.namespace, labels },
        spec: {
          minAvailable: k8s.IntOrString.fromNumber(pg.pooler.instances - 1),
          selector: { matchLabels: poolerPods(pg) },
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }
  }
}
