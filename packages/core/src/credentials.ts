/**
 * What an engine tells the credential rotation about its logins: how the rotator reaches the
 * server, which statements rotate a password there, and, per tenant, which login is rotated,
 * where its app connects and why a login is excluded. The rotator (an add-on engine) renders
 * everything from these facts, so a new engine that implements `Engine.credentials` is rotated
 * by construction. Core names no rotator and no server: plugins and URI schemes are the
 * engines' words, and the rotator checks that it supports them.
 */
import type * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import type { FlowRule } from './network-policy.ts';
import type { TenantModel } from './model.ts';

export interface CredentialConnection {
  /** Connection name at the rotator (also the Kubernetes object name). */
  readonly name: string;
  /** The rotator's plugin for this server (e.g. `example-database-plugin`). */
  readonly plugin: string;
  /**
   * The connection URL with `{{username}}`/`{{password}}` placeholders, pointing straight at
   * the primary (never at a pooler or router that may hold a stale session).
   */
  readonly connectionUrl: string;
  /** Login the rotator uses on the server (its "root"), created by the engine, password owned by the rotator. */
  readonly rootUser: string;
  /** Statements that rotate a tenant login's password (`{{name}}`, `{{password}}`). */
  readonly rotationStatements: readonly string[];
  /**
   * Statements that rotate the rotator's own password (`{{username}}`, `{{password}}`): the
   * plugin's built-in default, which this must equal. The rotator does not send them (see the
   * rotator's operator contract); real-server tests run them.
   */
  readonly rootRotationStatements: readonly string[];
  /** Where the server pods run, for the network policy that lets the rotator in. */
  readonly server: { readonly namespace: string; readonly podSelector: Readonly<Record<string, string>>; readonly port: number };
}

export interface TenantLogin {
  readonly tenant: TenantModel;
  /** The tenant field the login comes from (the engine's id), for error positions. */
  readonly section: string;
  readonly username: string;
  readonly database: string;
  /** The rotator rotates the password when true. */
  readonly rotate: boolean;
  readonly rotateReason: string | undefined;
  /** Tenant override of the rotation period (a duration such as 7d). */
  readonly rotationPeriod: string | undefined;
  /** Where the app connects (a pooler, when the engine has one), for the Secret's host/port/uri. */
  readonly client: { readonly host: string; readonly port: number; readonly uriScheme: string; readonly uriQuery: string };
  /** Apps that keep the password in their own configuration get it pushed. */
  readonly pushPassword?: {
    readonly every: string;
    readonly url: string;
    readonly tokenSecret: string;
    readonly fields: Readonly<Record<string, string>>;
  };
}

export interface EngineCredentials {
  /** Engine id: prefix of rotated login names and Secret names. */
  readonly engine: string;
  readonly connection: CredentialConnection;
  readonly logins: readonly TenantLogin[];
  /** The platform's own logins the rotator does not rotate (root, exporter, backup), each with why. */
  readonly unmanaged: readonly { readonly username: string; readonly reason: string }[];
}

/**
 * A credential the platform generates, declared by the engine whose server or job uses it:
 * nobody types it, and it is never in the repository. The generator (an add-on engine) makes
 * it once in the cluster, keeps it at one owner, and delivers it as the Secret `name` in
 * `namespace`, plus, for a tenant's login, as a Secret in the tenant's namespace.
 */
/** Bounds of a sane password rotation period, for every rotator: shorter churns connections, longer keeps a leaked password alive. */
export const ROTATION_BOUNDS_SECONDS = { min: 86_400, max: 90 * 86_400 } as const;

export interface GeneratedSecret {
  /** Namespace of the server or job that reads it; the Secret is delivered there. */
  readonly namespace: string;
  /** Secret name in `namespace`. */
  readonly name: string;
  /** Who uses it and for what (docs, tests). */
  readonly purpose: string;
  /** The Secret's keys, as Go templates over `.password` (the generated value). @default { password: '{{ .password }}' } */
  readonly template?: Readonly<Record<string, string>>;
  /** Secret type, e.g. `kubernetes.io/basic-auth`. @default Opaque */
  readonly type?: string;
  /** For a tenant's login: the copy the app reads, in the tenant's namespace. */
  readonly tenantCopy?: {
    readonly tenant: TenantModel;
    readonly name: string;
    readonly template: Readonly<Record<string, string>>;
  };
  /**
   * Rotated on a schedule, for a server that accepts two passwords per login: the new value
   * is added to the server first, then becomes `password` in the one owner with the old one
   * kept as `previous` until the next rotation, so a consumer still holding the old value
   * logs in until it has the new one. Needs the engine's `rotationStep`. @default never rotated
   */
  readonly rotation?: { readonly periodSeconds: number };
}

/**
 * The engine's part of a scheduled rotation: the step that makes its server accept the new
 * passwords, run by the generator's rotation job between choosing them and publishing them.
 * The step's script (POSIX sh) finds one folder per rotated Secret under `$ROTATE_DIR`
 * (named after the Secret) holding the files `next` and `current`; when it exits 0, every
 * server that checks those logins must accept exactly `next` and `current` (so a stray value
 * from an earlier failed run is gone). A non-zero exit publishes nothing: the rotation is
 * retried on the next run, the old value still valid everywhere.
 */
export interface RotationStep {
  /** Namespace of the rotated Secrets (the job runs there); `name`: the job's CronJob. */
  readonly namespace: string;
  readonly name: string;
  /** UTC cron schedule of the job; each run rotates what is due. */
  readonly schedule: string;
  readonly image: string;
  readonly runAsUser: number;
  readonly script: string;
  readonly env: readonly k8s.EnvVar[];
  readonly volumes: readonly k8s.Volume[];
  readonly volumeMounts: readonly k8s.VolumeMount[];
  /** Labels of the job's pods: the engine's own network policy admits them to its servers. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Where the step connects (egress of the job's pods, besides the generator's own). */
  readonly egress: readonly FlowRule[];
}
