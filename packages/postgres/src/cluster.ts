/**
 * The CNPG Cluster and the `postgresql` compatibility service.
 *
 * Tenants' roles are declared under `managed.roles` without a `passwordSecret`: CNPG
 * creates the role and its attributes but never touches its password, which Vault owns
 * (CNPG re-applies a managed role's password from its Secret, so a role whose password
 * Vault rotates must not have one). Roles excluded from rotation may name a Secret.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { avoidNodesAffinity, PIN_ANNOTATIONS, type PlatformModel } from '@db/core';
import {
  Cluster,
  ClusterSpecPrimaryUpdateMethod,
  ClusterSpecPrimaryUpdateStrategy,
  ClusterSpecManagedRolesEnsure,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
} from './imports/postgresql.cnpg.io.ts';
import { VAULT_CONNECTION_LIMIT, type PostgresModel } from './model.ts';
import { clusterLabels, pinnedPodMetadata, primaryPods } from './labels.ts';
import { CNPG_POSTGRES_UID } from './backup.ts';
import { CNPG_INITDB } from './operator-contract.ts';

/**
 * Host-based access rules that keep each tenant's login inside its own database: the
 * tenant may connect to its database, and is refused everywhere else (PostgreSQL grants
 * CONNECT on every database to PUBLIC). CNPG places these before its default rule.
 */
export function tenantHbaRules(pg: PostgresModel): string[] {
  // A retired tenant's role is NOLOGIN and may not log in anywhere; a purged tenant's role is gone.
  const own = pg.tenants.filter((t) => t.state === 'active').map((t) => `host ${t.database} ${t.role} all scram-sha-256`);
  const elsewhere = pg.tenants.filter((t) => t.state !== 'purged').map((t) => `host all ${t.role} all reject`);
  return [...own, ...elsewhere];
}

/** Access rules of the cluster: the tenants', and no login at all for CNPG's initdb owner (see CNPG_INITDB). */
export function hbaRules(pg: PostgresModel): string[] {
  return [...tenantHbaRules(pg), `host all ${CNPG_INITDB.owner} all reject`];
}

export interface PostgresClusterProps {
  readonly pg: PostgresModel;
  readonly model: PlatformModel;
}

export class PostgresCluster extends Construct {
  constructor(scope: Construct, id: string, props: PostgresClusterProps) {
    super(scope, id);
    const { pg, model } = props;
    const labels = clusterLabels(pg, 'database');
    const nodeAffinity = avoidNodesAffinity(model);

    new Cluster(this, 'Resource', {
      metadata: { name: pg.name, namespace: pg.namespace, labels, annotations: { ...PIN_ANNOTATIONS } },
      spec: {
        description: `Shared PostgreSQL ${pg.version} of cluster ${model.cluster}, rendered by db-platform`,
        instances: pg.instances,
        imageName: pg.image,
        imagePullPolicy: 'IfNotPresent',
        enableSuperuserAccess: false,
        enablePdb: true,
        // The operator's pods are not rendered here; these are the restricted-profile
        // settings the CRD lets us request for them (the operator's defaults, made explicit
        // so a change of default never loosens them silently).
        seccompProfile: { type: 'RuntimeDefault' },
        podSecurityContext: {
          runAsNonRoot: true,
          runAsUser: CNPG_POSTGRES_UID,
          runAsGroup: CNPG_POSTGRES_UID,
          fsGroup: CNPG_POSTGRES_UID,
          fsGroupChangePolicy: 'OnRootMismatch',
          seccompProfile: { type: 'RuntimeDefault' },
        },
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        primaryUpdateStrategy: ClusterSpecPrimaryUpdateStrategy.UNSUPERVISED,
        primaryUpdateMethod: ClusterSpecPrimaryUpdateMethod.SWITCHOVER,
        inheritedMetadata: pinnedPodMetadata(labels),
        // CNPG's default bootstrap, made explicit (its webhook would store it anyway): the
        // initdb database and owner cannot be avoided, so the owner gets no login below.
        bootstrap: { initdb: { database: CNPG_INITDB.database, owner: CNPG_INITDB.owner } },
        postgresql: { parameters: { ...pg.parameters }, pgHba: hbaRules(pg) },
        storage: { size: pg.storage.size, storageClass: pg.storage.storageClass, resizeInUseVolumes: true },
        ...(pg.storage.walSize ? { walStorage: { size: pg.storage.walSize, storageClass: pg.storage.storageClass, resizeInUseVolumes: true } } : {}),
        resources: {
          requests: { cpu: ClusterSpecResourcesRequests.fromString(pg.resources.cpu), memory: ClusterSpecResourcesRequests.fromString(pg.resources.memory) },
          limits: { memory: ClusterSpecResourcesLimits.fromString(pg.resources.memory) },
        },
        affinity: {
          enablePodAntiAffinity: true,
          // One instance per node: a node failure may cost one instance, never the primary and its replica together.
          podAntiAffinityType: pg.instances > 1 ? 'required' : 'preferred',
          topologyKey: 'kubernetes.io/hostname',
          ...(nodeAffinity ? { nodeAffinity } : {}),
        },
        managed: {
          roles: [
            {
              // CNPG's initdb owner: its password (Secret <cluster>-app) is re-applied by
              // CNPG and rotated by no one, so it may not log in at all.
              name: CNPG_INITDB.owner,
              ensure: ClusterSpecManagedRolesEnsure.PRESENT,
              comment: 'CNPG initdb owner of the unused app database; NOLOGIN (its generated password is rotated by no one)',
              login: false,
            },
            {
              name: pg.backupRole,
              ensure: ClusterSpecManagedRolesEnsure.PRESENT,
              comment: 'db-platform per-tenant dumps (pg_dump); read-only',
              login: true,
              inRoles: ['pg_read_all_data'],
              passwordSecret: { name: pg.backupSecret },
            },
            {
              name: pg.restoreRole,
              ensure: ClusterSpecManagedRolesEnsure.PRESENT,
              comment: 'db-platform restores (restores: entries): creates a missing tenant database and replays a dump as the tenant; no superuser',
              login: true,
              createdb: true,
              inRoles: pg.tenants.filter((t) => t.state !== 'purged').map((t) => t.role),
              passwordSecret: { name: pg.restoreSecret },
            },
            ...(pg.vaultRole
              ? [
                  {
                    name: pg.vaultRole,
                    ensure: ClusterSpecManagedRolesEnsure.PRESENT,
                    comment: 'Vault database secrets engine; rotates tenant passwords; its own password is owned by Vault (rotate-root)',
                    login: true,
                    superuser: true,
                    connectionLimit: VAULT_CONNECTION_LIMIT,
                  },
                ]
              : []),
            ...pg.tenants.map((t) =>
              t.state === 'purged'
                ? // CNPG drops a role whose entry says absent (CNPG 1.30 roles.go:170-172, see cnpgDropRoleSql), once the database it owns is gone.
                  { name: t.role, ensure: ClusterSpecManagedRolesEnsure.ABSENT, comment: `tenant ${t.tenant.name}; purged` }
                : {
                    name: t.role,
                    ensure: ClusterSpecManagedRolesEnsure.PRESENT,
                    comment:
                      t.state === 'retired'
                        ? `tenant ${t.tenant.name}; retired on ${t.tenant.retiredOn}: NOLOGIN, its data kept`
                        : t.rotate
                          ? `tenant ${t.tenant.name}; password owned by Vault (rotated weekly)`
                          : `tenant ${t.tenant.name}; not rotated: ${t.rotateReason}`,
                    // CNPG's role update runs ALTER ROLE ... NOLOGIN and leaves the password alone (see operator-contract.ts cnpgAlterRoleSql).
                    login: t.state === 'active',
                    inherit: true,
                    connectionLimit: t.connectionLimit ?? -1,
                    ...(t.passwordSecret ? { passwordSecret: { name: t.passwordSecret } } : {}),
                  },
            ),
          ],
        },
      },
    });

    // Apps that cannot use PgBouncer (session features) connect here. It selects only the
    // primary: a selector that can match a replica sends writes to a read-only server
    // (the 2026-04-04 READONLY incident).
    new k8s.KubeService(this, 'Compat', {
      metadata: { name: pg.services.compat, namespace: pg.namespace, labels: clusterLabels(pg, 'database') },
      spec: {
        type: 'ClusterIP',
        selector: primaryPods(pg),
        ports: [{ name: 'postgres', port: 5432, targetPort: k8s.IntOrString.fromNumber(5432), protocol: 'TCP' }],
      },
    });
  }
}
