/**
 * Vault configured declaratively through vault-config-operator: the `database` secrets
 * engine mount, a password policy, one connection per engine (Vault's own login, rotated
 * by Vault), one static role per rotated tenant login, the policy that lets each tenant
 * namespace read only its own static credentials, and the Kubernetes-auth role External
 * Secrets logs in with.
 *
 * Every object authenticates to Vault as the operator's ServiceAccount
 * (`authentication.serviceAccount`), whose Vault role is created once by hand (README:
 * bootstrap), because nothing can grant the operator its first permissions but an admin.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import {
  DatabaseSecretEngineConfig,
  DatabaseSecretEngineStaticRole,
  DatabaseSecretEngineStaticRoleSpecCredentialType,
  KubernetesAuthEngineRole,
  PasswordPolicy,
  Policy,
  PolicySpecType,
  SecretEngineMount,
} from './imports/redhatcop.redhat.io.ts';
import { goDuration, type VaultConnectionModel, type VaultModel } from './model.ts';
import { vaultLabels } from './labels.ts';
import { allowedRolesPattern } from './operator-contract.ts';

/**
 * 32 characters from [A-Za-z0-9], at least one of each class: about 190 bits, and safe
 * unescaped in SQL string literals, connection URIs, shell and apps' own config strings
 * (Technitium's `Pwd=...;`).
 */
export const PASSWORD_POLICY_HCL = `length = 32
rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 1
}
rule "charset" {
  charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 1
}
rule "charset" {
  charset = "0123456789"
  min-chars = 1
}
`;

/**
 * The tenants' policy. Vault fills in the namespace of the ServiceAccount that logged in
 * (an identity template); the operator fills in the Kubernetes auth mount's accessor.
 * Static role names start with `<namespace>_`, so a namespace reads its own roles and no
 * other's.
 */
export function tenantPolicyHcl(v: VaultModel): string {
  const ns = `{{identity.entity.aliases.\${auth/${v.authMount}/@accessor}.metadata.service_account_namespace}}`;
  return `# db-platform: each tenant namespace reads only its own database static credentials.
path "${v.mount}/static-creds/${ns}_*" {
  capabilities = ["read"]
}
`;
}

/** Annotation that records, on each connection, the logins Vault leaves alone and why (one per line). */
export const NOT_ROTATED_ANNOTATION = 'rotation.db-platform.io/not-rotated';

/** Every login of the connection that Vault does not rotate, with the reason, in the output. */
export function notRotatedAnnotations(c: VaultConnectionModel): Record<string, string> {
  const lines = [...c.excluded.map((l) => `${l.username} (tenant ${l.tenant.name}): ${(l.rotateReason ?? '').replace(/\s+/g, ' ')}`), ...c.unmanaged.map((u) => `${u.username}: ${u.reason}`)].sort();
  return lines.length > 0 ? { [NOT_ROTATED_ANNOTATION]: `${lines.join('\n')}\n` } : {};
}

export class VaultDatabaseEngine extends Construct {
  constructor(scope: Construct, id: string, props: { vault: VaultModel }) {
    super(scope, id);
    const v = props.vault;
    const authentication = { path: v.authMount, role: v.operator.role, serviceAccount: { name: v.operator.serviceAccount } };
    const meta = (name: string, component: string) => ({ name, namespace: v.namespace, labels: vaultLabels(component) });

    new k8s.KubeServiceAccount(this, 'OperatorAccount', {
      metadata: meta(v.operator.serviceAccount, 'vault-config'),
      // Its token is requested by the operator (TokenRequest), never mounted into a pod.
      automountServiceAccountToken: false,
    });

    new SecretEngineMount(this, 'Mount', {
      metadata: meta(v.mount, 'secrets-engine'),
      spec: { authentication, type: 'database', description: 'db-platform: tenant database passwords, rotated by static roles' },
    });

    new PasswordPolicy(this, 'PasswordPolicy', {
      metadata: meta(v.passwordPolicy, 'password-policy'),
      spec: { authentication, passwordPolicy: PASSWORD_POLICY_HCL },
    });

    for (const c of v.connections) {
      const conn = c.connection;
      new DatabaseSecretEngineConfig(this, `Connection-${c.engine}`, {
        metadata: { ...meta(conn.name, `connection-${c.engine}`), annotations: notRotatedAnnotations(c) },
        spec: {
          authentication,
          path: v.mount,
          pluginName: conn.plugin,
          connectionUrl: conn.connectionUrl,
          username: conn.rootUser,
          // Basic-auth Secret made once by hand (README: bootstrap); after the first
          // reconcile Vault has rotated the password and the Secret's value is dead.
          rootCredentials: { secret: { name: c.rootSecret } },
          rootPasswordRotation: { enable: true, rotationPeriod: goDuration(v.rootRotationPeriod) },
          // Every field here reads back from Vault as sent, so the operator finds the
          // connection unchanged and never writes it again with the bootstrap password that
          // the first root rotation killed (operator-contract.ts). Hence: no
          // rootRotationStatements (Vault's plugin default is ours), and allowed roles as a
          // constant pattern, so adding a tenant never changes this object.
          allowedRoles: [allowedRolesPattern(c.engine)],
          passwordPolicy: v.passwordPolicy,
          // Fails closed: a write with a dead password is refused instead of stored.
          verifyConnection: true,
        },
      });

      for (const r of c.staticRoles) {
        new DatabaseSecretEngineStaticRole(this, `StaticRole-${r.objectName}`, {
          metadata: {
            ...meta(r.objectName, 'static-role'),
            labels: { ...vaultLabels('static-role'), 'db-platform.io/tenant': r.login.tenant.name },
          },
          spec: {
            authentication,
            path: v.mount,
            name: r.vaultName,
            dBName: conn.name,
            username: r.login.username,
            rotationPeriod: r.rotationSeconds,
            rotationStatements: [...conn.rotationStatements],
            credentialType: DatabaseSecretEngineStaticRoleSpecCredentialType.PASSWORD,
            passwordCredentialConfig: { passwordPolicy: v.passwordPolicy },
          },
        });
      }
    }

    new Policy(this, 'TenantPolicy', {
      metadata: meta(v.store.policy, 'policy'),
      spec: { authentication, type: PolicySpecType.ACL, policy: tenantPolicyHcl(v) },
    });

    const namespaces = [...new Set(v.connections.flatMap((c) => c.staticRoles.map((r) => r.login.tenant.namespace)))].sort();
    new KubernetesAuthEngineRole(this, 'TenantAuthRole', {
      metadata: meta(v.store.authRole, 'auth-role'),
      spec: {
        authentication,
        path: v.authMount,
        policies: [v.store.policy],
        targetNamespaces: { targetNamespaces: namespaces },
        targetServiceAccounts: [v.store.serviceAccount],
        // External Secrets logs in for each sync: short-lived tokens.
        tokenTtl: 600,
        tokenMaxTtl: 900,
      } as never,
    });
  }
}
