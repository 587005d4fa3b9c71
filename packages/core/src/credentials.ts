/**
 * What an engine tells the credential rotation (Vault) about its logins: how Vault reaches
 * the server, which statements rotate a password there, and, per tenant, which login is
 * rotated, where its app connects and why a login is excluded. The Vault engine renders
 * everything from these facts, so a new engine that implements `Engine.credentials` is
 * rotated by construction.
 */
import type { TenantModel } from './model.ts';

/** Vault's `database` plugins the platform configures. */
export type VaultDatabasePlugin = 'postgresql-database-plugin' | 'mysql-database-plugin';

export interface VaultDatabaseConnection {
  /** Connection name in Vault (`<mount>/config/<name>`), also the Kubernetes object name. */
  readonly name: string;
  readonly plugin: VaultDatabasePlugin;
  /**
   * Vault's connection URL with its `{{username}}`/`{{password}}` placeholders, pointing
   * straight at the primary (never at a pooler or router that may hold a stale session).
   */
  readonly connectionUrl: string;
  /** Login Vault uses on the server (its "root"), created by the engine, password owned by Vault. */
  readonly rootUser: string;
  /** Statements Vault runs to rotate a static role's password (`{{name}}`, `{{password}}`). */
  readonly rotationStatements: readonly string[];
  /**
   * Statements Vault runs to rotate its own password (`{{username}}`, `{{password}}`): the
   * plugin's built-in default, which this must equal. It is not sent to Vault:
   * vault-config-operator 0.8.52 sends it under a key Vault ignores, and a value that never
   * reads back equal makes the operator rewrite the connection with the dead bootstrap
   * password (see @db/vault operator-contract.ts). Real-server tests run it.
   */
  readonly rootRotationStatements: readonly string[];
  /** Where the server pods run, for the network policy that lets Vault in. */
  readonly server: { readonly namespace: string; readonly podSelector: Readonly<Record<string, string>>; readonly port: number };
}

export interface TenantLogin {
  readonly tenant: TenantModel;
  /** Section of the tenant the login comes from (`postgres`, `mysql`), for error positions. */
  readonly section: string;
  readonly username: string;
  readonly database: string;
  /** Vault rotates the password (a static role) when true. */
  readonly rotate: boolean;
  readonly rotateReason: string | undefined;
  /** Tenant override of the rotation period (a duration such as 7d). */
  readonly rotationPeriod: string | undefined;
  /** Where the app connects (a pooler for PostgreSQL), for the Secret's host/port/uri. */
  readonly client: { readonly host: string; readonly port: number; readonly uriScheme: 'postgresql' | 'mysql'; readonly uriQuery: string };
  /** Apps that keep the password in their own configuration get it pushed (Technitium). */
  readonly pushPassword?: {
    readonly every: string;
    readonly url: string;
    readonly tokenSecret: string;
    readonly fields: Readonly<Record<string, string>>;
  };
}

export interface EngineCredentials {
  /** Engine id (`postgres`, `mysql`): prefix of static role names and Secret names. */
  readonly engine: string;
  readonly connection: VaultDatabaseConnection;
  readonly logins: readonly TenantLogin[];
  /** The platform's own logins Vault does not rotate (root, exporter, backup), each with why. */
  readonly unmanaged: readonly { readonly username: string; readonly reason: string }[];
}
