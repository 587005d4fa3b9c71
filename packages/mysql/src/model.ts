/** The MySQL section of the desired state, with every default filled in once. */
import { DRILL_DEFAULTS, imageRef, tenantState, withOverride, type PlatformModel, type TenantModel, type TenantState, resolvedOnce } from '@db/core';
import { MYSQL_IMAGES, MYSQLD_EXPORTER_IMAGE, OPERATOR_ROUTER_IMAGE, OPERATOR_SERVER_IMAGE } from './images.ts';
import { ROOT_SECRET_KEYS } from './operator-contract.ts';
import { MYSQL_DEFAULTS as D, mysqlSection, TENANT_MYSQL_DEFAULTS as TD, tenantMysql } from './schema.ts';

export type MysqlTopology = 'standalone' | 'innodb-cluster';

export interface MysqlTenant {
  readonly tenant: TenantModel;
  /** Active; retired (account locked, no credentials, no network path; data and dumps kept); purged (database and user dropped). */
  readonly state: TenantState;
  readonly database: string;
  readonly user: string;
  readonly rotate: boolean;
  readonly rotateReason: string | undefined;
  readonly rotationPeriod: string | undefined;
  /** The app keeps the password in its own config (Technitium): where and how often to push it. */
  /** MAX_USER_CONNECTIONS, or undefined for none (0). */
  readonly connectionLimit: number | undefined;
  /** Dumps of this tenant's database kept on NFS: the tenant's own `backup.keep`, or the server's. */
  readonly backupKeep: number;
  readonly pushPassword: { readonly every: string; readonly url: string; readonly tokenSecret: string; readonly fields: Readonly<Record<string, string>> } | undefined;
}

export interface MysqlModel {
  readonly topology: MysqlTopology;
  readonly namespace: string;
  /** StatefulSet / InnoDBCluster name, and the service apps connect to. */
  readonly name: string;
  readonly version: string;
  /** Standalone server image (also runs the backup and provisioning jobs). */
  readonly image: string;
  readonly imageTag: string;
  readonly exporterImage: string;
  /** InnoDB Cluster: where the operator pulls community-server / community-router from. */
  readonly operatorImageRepository: string;
  readonly operatorRouterVersion: string;
  readonly instances: number;
  readonly routerInstances: number;
  readonly resources: { readonly cpu: string; readonly memory: string; readonly memoryLimit: string };
  readonly maxConnections: number;
  readonly storage: { readonly size: string; readonly storageClass: string };
  readonly backup: {
    readonly name: string;
    readonly schedule: string;
    readonly keep: number;
    readonly path: string;
    /** The weekly restore drill: its CronJob, schedule and scratch room. */
    readonly drill: { readonly name: string; readonly schedule: string; readonly scratch: string };
  };
  readonly operatorNamespace: string;
  /**
   * Secrets created out of band (Vault / External Secrets), referenced by name only: the
   * root (admin) password, and the passwords of the platform's own exporter and backup users.
   */
  readonly secrets: { readonly root: string; readonly exporter: string; readonly backup: string };
  /**
   * The key of the root Secret that holds root's password. The MySQL Operator reads
   * `rootUser`, `rootHost` and `rootPassword` from `spec.secretName` (operator-contract.ts),
   * so an InnoDB Cluster's root Secret has those keys; the
   * standalone server's has `password`, as it always had.
   */
  readonly rootPasswordKey: 'password' | 'rootPassword';
  /**
   * Logins the platform provisions: the exporter, the backup user and, when the platform
   * has a `vault` section, Vault's own login (it may change other users' passwords).
   */
  readonly users: { readonly exporter: string; readonly backup: string; readonly vault: string | undefined };
  readonly tenants: readonly MysqlTenant[];
  /** Host apps connect to: the service `name` in `namespace`. */
  readonly host: string;
}

/** The engine's model, resolved once per platform model (see resolvedOnce). */
export const resolveMysql = resolvedOnce((model: PlatformModel): MysqlModel => {
  const spec = mysqlSection(model.input) ?? {};
  const version = spec.version ?? D.version;
  const pinned = withOverride(MYSQL_IMAGES[version], spec.image);
  const name = spec.name ?? D.name;
  const namespace = spec.namespace ?? D.namespace;
  const tenants = model.tenants
    .filter((t) => t.mysql)
    .map((t) => {
      const my = tenantMysql(t)!;
      return {
        tenant: t,
        state: tenantState(t),
        database: my.database,
        user: my.user ?? my.database,
        rotate: my.rotate ?? TD.rotate,
        rotateReason: my.rotateReason,
        rotationPeriod: my.rotationPeriod,
        pushPassword: my.pushPassword,
        connectionLimit: my.connectionLimit,
        backupKeep: my.backup?.keep ?? spec.backup?.keep ?? D.backup.keep,
      };
    });
  return {
    topology: spec.topology ?? D.topology,
    namespace,
    name,
    version,
    image: imageRef(pinned, model.imageRegistry),
    imageTag: pinned.tag,
    exporterImage: imageRef(MYSQLD_EXPORTER_IMAGE, model.imageRegistry),
    operatorImageRepository: `${model.imageRegistry ?? OPERATOR_SERVER_IMAGE.registry}/${OPERATOR_SERVER_IMAGE.repository.replace(/\/[^/]+$/, '')}`,
    operatorRouterVersion: OPERATOR_ROUTER_IMAGE.tag,
    instances: spec.instances ?? D.instances,
    routerInstances: spec.router?.instances ?? D.router.instances,
    resources: { cpu: spec.resources?.cpu ?? D.resources.cpu, memory: spec.resources?.memory ?? D.resources.memory, memoryLimit: spec.resources?.memoryLimit ?? D.resources.memoryLimit },
    maxConnections: spec.maxConnections ?? D.maxConnections,
    storage: { size: spec.storage?.size ?? D.storage.size, storageClass: spec.storage?.storageClass ?? model.storage.block },
    backup: {
      name: `${name}-backup`,
      schedule: spec.backup?.schedule ?? D.backup.schedule,
      keep: spec.backup?.keep ?? D.backup.keep,
      path: spec.backup?.path ?? `${model.backups.nfs.path.replace(/\/$/, '')}/mysql-backup`,
      drill: { name: `${name}-restore-drill`, schedule: spec.backup?.drill?.schedule ?? DRILL_DEFAULTS.schedule, scratch: spec.backup?.drill?.scratch ?? DRILL_DEFAULTS.scratch },
    },
    operatorNamespace: spec.operatorNamespace ?? D.operatorNamespace,
    secrets: { root: `${name}-root`, exporter: `${name}-exporter`, backup: `${name}-db-backup` },
    rootPasswordKey: (spec.topology ?? D.topology) === 'innodb-cluster' ? ROOT_SECRET_KEYS.password : 'password',
    users: { exporter: 'db_exporter', backup: 'db_backup', vault: model.services.credentialRotation?.login },
    tenants,
    host: `${name}.${namespace}.svc.cluster.local`,
  };
});
