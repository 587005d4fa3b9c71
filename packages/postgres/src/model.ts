/** The PostgreSQL section of the desired state, with every default filled in once. */
import { DRILL_DEFAULTS, imageRef, mebibytes, tenantState, withOverride, type PlatformModel, type TenantModel, type TenantState, resolvedOnce } from '@db/core';
import { PGBOUNCER_IMAGE, POSTGIS_IMAGES, POSTGRES_IMAGES } from './images.ts';
import { POSTGRES_DEFAULTS as D, postgresSection, TENANT_POSTGRES_DEFAULTS as TD, tenantPostgres } from './schema.ts';

export interface PostgresTenant {
  readonly tenant: TenantModel;
  /** Active; retired (no login, no credentials, no network path; data and dumps kept); purged (database and role dropped). */
  readonly state: TenantState;
  readonly database: string;
  readonly role: string;
  readonly rotate: boolean;
  readonly rotateReason: string | undefined;
  readonly rotationPeriod: string | undefined;
  readonly passwordSecret: string | undefined;
  readonly connection: 'pooler' | 'direct';
  readonly extensions: readonly string[];
  /** The role's CONNECTION LIMIT, or undefined for none (-1). */
  readonly connectionLimit: number | undefined;
  /** Dumps of this tenant's database kept on NFS: the tenant's own `backup.keep`, or the cluster's. */
  readonly backupKeep: number;
}

export interface PostgresModel {
  readonly namespace: string;
  readonly name: string;
  readonly instances: number;
  readonly version: 16 | 17 | 18;
  readonly postgis: boolean;
  readonly image: string;
  readonly imageTag: string;
  readonly storage: { readonly size: string; readonly walSize: string | undefined; readonly storageClass: string };
  readonly resources: { readonly cpu: string; readonly memory: string };
  readonly parameters: Readonly<Record<string, string>>;
  readonly pooler: {
    readonly name: string;
    readonly instances: number;
    readonly poolMode: 'session' | 'transaction';
    readonly maxClientConnections: number;
    readonly defaultPoolSize: number;
    readonly image: string;
  };
  readonly backup: {
    readonly name: string;
    readonly schedule: string;
    readonly keep: number;
    readonly path: string;
    /** The weekly restore drill: its CronJob, schedule and scratch room. */
    readonly drill: { readonly name: string; readonly schedule: string; readonly scratch: string };
  };
  /** Role the backup job logs in as; its password comes from `backupSecret` (created out of band). */
  readonly backupRole: string;
  readonly backupSecret: string;
  /**
   * Role the restore Jobs log in as: CREATEDB and a member of every tenant role, so it
   * restores as the tenant; its password comes from `restoreSecret` (generated with `secrets:`, else created out of band).
   */
  readonly restoreRole: string;
  readonly restoreSecret: string;
  /**
   * Vault's login on the cluster when the platform has a `vault` section: a superuser
   * whose password only Vault knows (PostgreSQL 16 lets a CREATEROLE role change another
   * role's password only with ADMIN OPTION on it, which CNPG's declarative roles cannot
   * grant).
   */
  readonly vaultRole: string | undefined;
  readonly tenants: readonly PostgresTenant[];
  /** Services: `<name>-rw` (primary), the `postgresql` compatibility service, the pooler. */
  readonly services: { readonly rw: string; readonly compat: string; readonly pooler: string };
}

/** The CONNECTION LIMIT of Vault's login (it rotates passwords one at a time). */
export const VAULT_CONNECTION_LIMIT = 5;

/** The engine's model, resolved once per platform model (see resolvedOnce). */
export const resolvePostgres = resolvedOnce((model: PlatformModel): PostgresModel => {
  const spec = postgresSection(model.input) ?? {};
  const version = spec.version ?? D.version;
  const postgis = spec.postgis ?? version < 18;
  const base = postgis && version !== 18 ? POSTGIS_IMAGES[version] : POSTGRES_IMAGES[version];
  const pinned = withOverride(base, spec.image);
  const name = spec.name ?? D.name;
  const resources = { cpu: spec.resources?.cpu ?? D.resources.cpu, memory: spec.resources?.memory ?? D.resources.memory };
  const memory = mebibytes(resources.memory);
  const poolerName = spec.pooler?.name ?? D.pooler.name;
  const tenants = model.tenants
    .filter((t) => t.postgres)
    .map((t) => {
      const pg = tenantPostgres(t)!;
      return {
        tenant: t,
        state: tenantState(t),
        database: pg.database,
        role: pg.role ?? pg.database,
        rotate: pg.rotate ?? TD.rotate,
        rotateReason: pg.rotateReason,
        rotationPeriod: pg.rotationPeriod,
        passwordSecret: pg.passwordSecret,
        connection: pg.connection ?? TD.connection,
        extensions: pg.extensions ?? [],
        connectionLimit: pg.connectionLimit,
        backupKeep: pg.backup?.keep ?? spec.backup?.keep ?? D.backup.keep,
      };
    });
  return {
    namespace: spec.namespace ?? D.namespace,
    name,
    instances: spec.instances ?? D.instances,
    version,
    postgis,
    image: imageRef(pinned, model.imageRegistry),
    imageTag: pinned.tag,
    storage: { size: spec.storage?.size ?? D.storage.size, walSize: spec.storage?.walSize, storageClass: spec.storage?.storageClass ?? model.storage.block },
    resources,
    // Sized from the memory limit, as a DBA would: shared_buffers a quarter, the planner told
    // about the rest; connections bounded because PgBouncer multiplexes clients.
    parameters: {
      max_connections: '200',
      shared_buffers: `${Math.floor(memory / 4)}MB`,
      effective_cache_size: `${Math.floor((memory * 3) / 4)}MB`,
      maintenance_work_mem: `${Math.max(64, Math.floor(memory / 16))}MB`,
      work_mem: '8MB',
      log_min_duration_statement: '1000',
      ...(spec.parameters ?? {}),
    },
    pooler: {
      name: poolerName,
      instances: spec.pooler?.instances ?? D.pooler.instances,
      poolMode: spec.pooler?.poolMode ?? D.pooler.poolMode,
      maxClientConnections: spec.pooler?.maxClientConnections ?? D.pooler.maxClientConnections,
      defaultPoolSize: spec.pooler?.defaultPoolSize ?? D.pooler.defaultPoolSize,
      image: imageRef(PGBOUNCER_IMAGE, model.imageRegistry),
    },
    backup: {
      name: `${name}-backup`,
      schedule: spec.backup?.schedule ?? D.backup.schedule,
      keep: spec.backup?.keep ?? D.backup.keep,
      path: spec.backup?.path ?? `${model.backups.nfs.path.replace(/\/$/, '')}/postgres-backup`,
      drill: { name: `${name}-restore-drill`, schedule: spec.backup?.drill?.schedule ?? DRILL_DEFAULTS.schedule, scratch: spec.backup?.drill?.scratch ?? DRILL_DEFAULTS.scratch },
    },
    backupRole: 'db_backup',
    backupSecret: `${name}-db-backup`,
    restoreRole: 'db_restore',
    restoreSecret: `${name}-db-restore`,
    vaultRole: model.services.credentialRotation?.login,
    tenants,
    services: { rw: `${name}-rw`, compat: 'postgresql', pooler: poolerName },
  };
});
