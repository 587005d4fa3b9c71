/**
 * What vault-config-operator 0.8.52 and Vault do with a DatabaseSecretEngineConfig, as their
 * source does it (redhat-cop/vault-config-operator@v0.8.52; hashicorp/vault
 * builtin/logical/database). The proxy refuses vault-config-operator's module, so its
 * behaviour is pinned here and in test/operator-contract.test.ts. Bumping the operator
 * means re-reading these lines.
 *
 * The failure this guards against: on every reconcile (operator restart, spec change, the
 * root-rotation requeue) the operator re-reads the bootstrap Secret and, unless Vault's
 * current config reads back equal to what it would send, writes the connection again with
 * that password. After the first root rotation the password is dead, Vault's connection
 * check refuses the write, the object stays failed, new tenants' roles are never allowed
 * and the periodic root rotation stops (upstream issue #339).
 */

/** Static roles are named `<namespace>_<engine>_<user>`: one pattern per engine, constant as tenants come and go. */
export const allowedRolesPattern = (engine: string) => `*_${engine}_*`;

/** Vault's glob match of allowed_roles (strutil.StrListContainsGlob: `*` only). */
export function vaultAllowsRole(allowedRoles: readonly string[], role: string): boolean {
  return allowedRoles.some(
    (p) =>
      p === '*' ||
      new RegExp(
        `^${p
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(role),
  );
}

type Payload = Record<string, unknown>;

/**
 * The body the operator writes to `<path>/config/<name>`: DBSEConfig.toMap,
 * api/v1alpha1/databasesecretengineconfig_types.go:362-386. Note the key
 * `root_credentials_rotate_statements` (:369), which Vault's write handler does not read
 * (it reads `root_rotation_statements`), and no `password_authentication` at all.
 */
export function operatorPayload(spec: Record<string, any>, bootstrapPassword: string): Payload {
  const payload: Payload = {
    plugin_name: spec.pluginName,
    plugin_version: spec.pluginVersion ?? '',
    verify_connection: spec.verifyConnection ?? false,
    allowed_roles: [...(spec.allowedRoles ?? ['*'])],
    root_credentials_rotate_statements: [...(spec.rootRotationStatements ?? [])],
    password_policy: spec.passwordPolicy ?? '',
    connection_url: spec.connectionUrl,
    username: spec.username,
    disable_escaping: spec.disableEscaping ?? false,
    ...(spec.databaseSpecificConfig ?? {}),
  };
  if (bootstrapPassword !== '') payload.password = bootstrapPassword;
  return payload;
}

const VAULT_CONFIG_PARAMS = new Set(['plugin_name', 'plugin_version', 'verify_connection', 'allowed_roles', 'root_rotation_statements', 'password_policy']);

/**
 * What Vault stores from a create-write and returns on read (connectionWriteHandler /
 * connectionReadHandler, path_config_connection.go): known parameters become top-level
 * fields, every other key goes into `connection_details`, the password is never returned,
 * and `root_credentials_rotate_statements` reads back as what `root_rotation_statements`
 * set (nothing, from this operator).
 */
export function vaultReadBack(written: Payload): Payload {
  const details: Payload = {};
  for (const [k, v] of Object.entries(written)) if (!VAULT_CONFIG_PARAMS.has(k) && k !== 'password') details[k] = v;
  return {
    plugin_name: written.plugin_name,
    plugin_version: written.plugin_version,
    verify_connection: written.verify_connection,
    allowed_roles: written.allowed_roles,
    password_policy: written.password_policy,
    root_credentials_rotate_statements: (written.root_rotation_statements as unknown[] | undefined) ?? [],
    connection_details: details,
  };
}

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/**
 * DBSEConfig.IsEquivalentToDesiredState, databasesecretengineconfig_types.go:91-117: the
 * connection fields move into `connection_details` (with `root_credentials_rotate_statements`
 * also left at the top level), the password is dropped, and only the managed keys are
 * compared. `rootRotated` is `status.lastRootPasswordRotation` being set (:92-94).
 */
export function operatorFindsEqual(desired: Payload, current: Payload, rootRotated: boolean): boolean {
  if (!rootRotated) return false;
  const d: Payload = { ...desired };
  d.connection_details = { connection_url: d.connection_url, disable_escaping: d.disable_escaping, root_credentials_rotate_statements: d.root_credentials_rotate_statements, username: d.username };
  for (const k of ['password', 'connection_url', 'username', 'disable_escaping']) delete d[k];
  const filtered: Payload = {};
  for (const k of Object.keys(d)) filtered[k] = current[k];
  return json(d) === json(filtered);
}

/**
 * External Secrets 2.9.0 (external-secrets/external-secrets@v2.9.0), for the Secrets it
 * writes into tenant namespaces. Only `Owner` sets a controller ownerReference on the Secret
 * (applyOwnership, pkg/controllers/externalsecret/externalsecret_controller.go:815-828), and
 * `deletionPolicy` governs a secret vanishing from the provider, not the ExternalSecret's
 * deletion (:210-239, 846-851): with Owner, the garbage collector deletes the Secret with its
 * ExternalSecret whatever the deletionPolicy. `Orphan` Secrets are never checked between
 * refreshes (isSecretValid, :1282-1286); `CreateOrMerge` (apis/externalsecrets/v1/
 * externalsecret_types.go:57-61) re-creates a deleted Secret at once and keeps it when the
 * ExternalSecret goes.
 */
export const esoSetsOwnerReference = (creationPolicy: string) => creationPolicy === 'Owner';
export const esoRestoresDeletedSecretAtOnce = (creationPolicy: string) => creationPolicy === 'Owner' || creationPolicy === 'CreateOrMerge';

/**
 * The Secret External Secrets 2.9.0 writes for an ExternalSecret (its target name, the
 * template's type, labels and annotations, the managed label, and a controller
 * ownerReference only for `Owner`), with `values` standing in for what Vault returned.
 */
export function externalSecretStandIn(es: Record<string, any>, values: Readonly<Record<string, string>>, uid?: string): Record<string, any> {
  const target = es.spec.target ?? {};
  const template = target.template ?? {};
  const owner = esoSetsOwnerReference(target.creationPolicy ?? 'Owner') && uid !== undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: target.name ?? es.metadata.name,
      namespace: es.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), 'reconcile.external-secrets.io/managed': 'true' },
      annotations: { ...(template.metadata?.annotations ?? {}) },
      ...(owner ? { ownerReferences: [{ apiVersion: es.apiVersion, kind: es.kind, name: es.metadata.name, uid, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    type: template.type ?? 'Opaque',
    stringData: Object.fromEntries(Object.keys(template.data ?? values).map((k) => [k, values[k] ?? `${k}-value`])),
  };
}
