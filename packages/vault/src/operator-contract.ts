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
 *
 * `operatorWrites` is the operator's Vault writes for every kind we render (path and payload,
 * each citing its lines), which test/vault-server.test.ts and the control-plane's
 * vault-auth.test.ts send to a real Vault 1.21.4.
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
    // The rendered spec's key is `connectionURL` (the CRD's json tag, types.go:55 of DBSEConfig).
    connection_url: spec.connectionURL,
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

/**
 * A write vault-config-operator 0.8.52 makes to Vault for one of our objects: its Vault client
 * (hashicorp/vault/api v1.23.0, pinned by the operator's go.mod) sends `Logical().Write` as
 * `PUT /v1/<path>` with the payload as JSON (api/logical.go:231-238, request.go:47-55), so a Go
 * nil slice or map goes as `null`. `source` names the operator's lines that produce it.
 */
export interface OperatorWrite {
  readonly path: string;
  readonly body: Record<string, unknown> | null;
  readonly source: string;
}

/** What the operator reads besides the object itself. */
export interface OperatorInputs {
  /** The data of a Secret in the object's namespace (a connection's `rootCredentials.secret`). */
  readonly secret?: (namespace: string, name: string) => Readonly<Record<string, string>>;
  /** `sys/auth` as Vault lists it: mount path (`kubernetes/`) → its accessor (a Policy's `${auth/<path>/@accessor}`). */
  readonly authAccessors?: Readonly<Record<string, string>>;
  /** Whether the engine is mounted already: the operator then tunes it instead of mounting it. */
  readonly mounted?: boolean;
}

/** The operator's CleansePath, api/v1alpha1/utils/commons.go:340-342. */
const cleanse = (path: string) => path.replaceAll('//', '/').replace(/^\/+|\/+$/g, '');
/** Go's encoding of a nil slice or map: `null`. */
const orNull = <T>(v: T | undefined): T | null => v ?? null;

/** MountConfig.toMap, secretenginemount_types.go:251-262. */
function mountConfig(c: Record<string, any> = {}): Record<string, unknown> {
  return {
    default_lease_ttl: c.defaultLeaseTTL ?? '',
    max_lease_ttl: c.maxLeaseTTL ?? '',
    force_no_cache: c.forceNoCache ?? false,
    audit_non_hmac_request_keys: orNull(c.auditNonHMACRequestKeys),
    audit_non_hmac_response_keys: orNull(c.auditNonHMACResponseKeys),
    listing_visibility: c.listingVisibility ?? '',
    passthrough_request_headers: orNull(c.passthroughRequestHeaders),
    allowed_response_headers: orNull(c.allowedResponseHeaders),
  };
}

/**
 * The Vault writes vault-config-operator 0.8.52 makes when it reconciles `obj` for the first
 * time (redhat-cop/vault-config-operator@v0.8.52), for the kinds we render. `obj` must carry the
 * defaults the API server gives it from the CRD (`withCrdDefaults`), as the operator reads it
 * after admission.
 */
export function operatorWrites(obj: { kind: string; metadata: { name: string; namespace?: string }; spec?: any }, inputs: OperatorInputs = {}): OperatorWrite[] {
  const spec = obj.spec ?? {};
  const name: string = spec.name || obj.metadata.name;
  switch (obj.kind) {
    case 'SecretEngineMount': {
      // GetPath :43-58 (sys/mounts/[<spec.path>/]<name>); the engine reconciler mounts it when
      // sys/mounts does not list it, else writes only the tune config
      // (internal/controller/vaultresourcecontroller/vaultengineresourcereconciler.go:62-78).
      const path = cleanse(`sys/mounts/${spec.path ? `${spec.path}/` : ''}${name}`);
      if (inputs.mounted)
        return [{ path: `${path}/tune`, body: mountConfig(spec.config), source: 'secretenginemount_types.go:89-94 (GetEngineTunePath, GetTunePayload), vaultengineresourcereconciler.go:73-78' }];
      return [
        {
          path,
          // Mount.toMap :264-274.
          body: {
            type: spec.type,
            description: spec.description ?? '',
            config: mountConfig(spec.config),
            local: spec.local ?? false,
            seal_wrap: spec.sealWrap ?? false,
            external_entropy_access: spec.externalEntropyAccess ?? false,
            options: orNull(spec.options),
          },
          source: 'secretenginemount_types.go:43-58 (GetPath), 60-62, 251-274 (Mount.toMap, MountConfig.toMap); vaultengineresourcereconciler.go:62-71',
        },
      ];
    }
    case 'PasswordPolicy':
      return [{ path: cleanse(`sys/policies/password/${name}`), body: { policy: spec.passwordPolicy }, source: 'passwordpolicy_types.go:38-48 (GetPath, GetPayload)' }];
    case 'DatabaseSecretEngineConfig': {
      // setInternalCredentials :185-199: the password from the Secret's passwordKey, the
      // username from the spec when set; toMap :362-386 (operatorPayload above).
      const creds = spec.rootCredentials?.secret?.name ? inputs.secret?.(obj.metadata.namespace ?? '', spec.rootCredentials.secret.name) : undefined;
      const password = creds?.[spec.rootCredentials?.passwordKey ?? 'password'] ?? '';
      const writes: OperatorWrite[] = [
        {
          path: cleanse(`${spec.path ?? ''}/config/${name}`),
          body: operatorPayload(spec, password),
          source: 'databasesecretengineconfig_types.go:76-81 (GetPath), 88-90, 185-199 (setInternalCredentials), 362-386 (toMap)',
        },
      ];
      // First reconcile with rootPasswordRotation.enable: rotate-root at once
      // (internal/controller/databasesecretengineconfig_controller.go:100-110, 133-141).
      if (spec.rootPasswordRotation?.enable) {
        writes.push({
          path: cleanse(`${spec.path ?? ''}/rotate-root/${name}`),
          body: null,
          source: 'databasesecretengineconfig_types.go:82-87 (GetRootPasswordRotationPath), 396-405; databasesecretengineconfig_controller.go:100-110',
        });
      }
      return writes;
    }
    case 'DatabaseSecretEngineStaticRole': {
      // DBSEStaticRole.toMap :123-137, PasswordCredentialConfig.toMap :99-103.
      const body: Record<string, unknown> = {
        db_name: spec.dBName ?? '',
        username: spec.username ?? '',
        rotation_period: spec.rotationPeriod ?? 0,
        rotation_statements: orNull(spec.rotationStatements),
        credential_type: spec.credentialType ?? '',
      };
      if (spec.passwordCredentialConfig) body.credential_config = { password_policy: spec.passwordCredentialConfig.passwordPolicy ?? '' };
      return [{ path: cleanse(`${spec.path ?? ''}/static-roles/${name}`), body, source: 'databasesecretenginestaticrole_types.go:99-103, 123-137 (toMap), 151-159 (GetPath, GetPayload)' }];
    }
    case 'Policy': {
      // PrepareInternalValues :77-107: every `${auth/<mount>/@accessor}` of a mount sys/auth lists becomes its accessor.
      let policy: string = spec.policy;
      for (const [mount, accessor] of Object.entries(inputs.authAccessors ?? {})) policy = policy.replaceAll(`\${auth/${mount.replace(/^\/+|\/+$/g, '')}/@accessor}`, accessor);
      const path = spec.type ? `sys/policies/${spec.type}/${name}` : `sys/policy/${name}`;
      return [{ path: cleanse(path), body: { policy }, source: 'policy_types.go:42-58 (GetPath, GetPayload), 77-107 (PrepareInternalValues)' }];
    }
    case 'KubernetesAuthEngineRole': {
      // PrepareInternalValues :92-110 (a list of namespaces is taken as is; a selector is not
      // rendered by us), VRole.toMap :261-279.
      const body: Record<string, unknown> = {
        bound_service_account_names: orNull(spec.targetServiceAccounts),
        bound_service_account_namespaces: orNull(spec.targetNamespaces?.targetNamespaces),
        alias_name_source: spec.aliasNameSource ?? '',
      };
      if (spec.audience !== undefined) body.audience = spec.audience;
      Object.assign(body, {
        token_ttl: spec.tokenTTL ?? 0,
        token_max_ttl: spec.tokenMaxTTL ?? 0,
        token_policies: orNull(spec.policies),
        token_bound_cidrs: orNull(spec.tokenBoundCIDRs),
        token_explicit_max_ttl: spec.tokenExplicitMaxTTL ?? 0,
        token_no_default_policy: spec.tokenNoDefaultPolicy ?? false,
        token_num_uses: spec.tokenNumUses ?? 0,
        token_period: spec.tokenPeriod ?? 0,
        token_type: spec.tokenType ?? '',
      });
      if (spec.targetNamespaces?.targetNamespaceSelector) throw new Error(`${obj.kind} ${obj.metadata.name}: a namespace selector is resolved against the cluster (:117-138), not stood in for here`);
      return [
        { path: cleanse(`auth/${spec.path ?? ''}/role/${name}`), body, source: 'kubernetesauthenginerole_types.go:74-82 (GetPath, GetPayload), 92-110 (PrepareInternalValues), 261-279 (VRole.toMap)' },
      ];
    }
    default:
      throw new Error(`no vault-config-operator stand-in for ${obj.kind}`);
  }
}

type Schema = { type?: string; default?: unknown; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean };

/**
 * The object as the API server stores it: every `default` of the CRD's structural schema filled
 * in where the field is missing and its parent object is present (recursively, into arrays and
 * maps), which is how the operator then reads it (e.g. a KubernetesAuthEngineRole's
 * `aliasNameSource: serviceaccount_uid`, `tokenType: default`).
 */
export function withCrdDefaults<T>(value: T, schema: Schema): T {
  const fill = (v: any, s: Schema | undefined): any => {
    if (!s || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => fill(x, s.items));
    const out: Record<string, any> = { ...v };
    for (const [k, ps] of Object.entries(s.properties ?? {})) if (out[k] === undefined && ps.default !== undefined) out[k] = structuredClone(ps.default);
    for (const k of Object.keys(out)) {
      const ps = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      out[k] = fill(out[k], ps);
    }
    return out;
  };
  return fill(value, schema);
}
