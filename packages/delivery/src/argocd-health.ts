/**
 * Sync waves order the child Applications of the root Application only if Argo CD assesses
 * an Application's health. It stopped doing so by default in 1.8 (docs/operator-manual/
 * health.md:29-33 at v3.5.1; gitops-engine/pkg/health/health.go:121-124 knows only Workflow in
 * argoproj.io; without a check a resource counts as healthy at once, sync_context.go:554-560).
 * Without the customisation every wave is applied at once and the operators' CRDs race their
 * custom resources.
 *
 * So the wiring carries both halves:
 * - `argocd/bootstrap/`: the one `argocd-cm` key, applied once server-side with its own field
 *   manager (it merges into the ConfigMap of any Argo CD install, keeping its other keys);
 *   outside the root Application's kustomization, so Argo CD never tracks or prunes it;
 * - a PreSync hook of the root Application that reads `argocd-cm` and fails the sync, before
 *   any child Application is created, when the key is missing.
 */
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { createHash } from 'node:crypto';
import { CURL_IMAGE, CURL_UID, FlowPolicy, imageRef, restrictedContainerSecurityContext, restrictedPodSecurityContext } from '@db/core';

/** The key and Lua script of docs/operator-manual/health.md:35-59 (Argo CD v3.5.1), verbatim. */
export const APPLICATION_HEALTH_KEY = 'resource.customizations.health.argoproj.io_Application';
export const APPLICATION_HEALTH_LUA = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
`;

/** The field manager the bootstrap step applies the key with (README). */
export const BOOTSTRAP_FIELD_MANAGER = 'db-platform-bootstrap';

/**
 * The check, in POSIX sh with curl: reads argocd-cm through the API server with the pod's
 * projected token and exits non-zero, saying why and what to run, when the key is absent.
 */
export function applicationHealthCheckScript(): string {
  return `#!/bin/sh
# Refuses the sync when Argo CD would not wait between sync waves (see argocd-health.ts).
set -eu
api="https://\${KUBERNETES_SERVICE_HOST}:\${KUBERNETES_SERVICE_PORT}"
body=$(curl --silent --show-error --fail --max-time 20 --retry 3 --retry-connrefused --retry-delay 2 \\
  --cacert "\${TOKEN_DIR}/ca.crt" -H "Authorization: Bearer $(cat "\${TOKEN_DIR}/token")" \\
  "$api/api/v1/namespaces/\${ARGOCD_NAMESPACE}/configmaps/argocd-cm") || {
  echo "argocd-health-check: cannot read ConfigMap \${ARGOCD_NAMESPACE}/argocd-cm" >&2
  exit 2
}
case "$body" in
  *'"${APPLICATION_HEALTH_KEY}"'*)
    echo "argocd-health-check: argocd-cm assesses Application health; sync waves wait for each component"
    ;;
  *)
    echo "argocd-health-check: argocd-cm has no ${APPLICATION_HEALTH_KEY}: Argo CD would apply every sync wave at once and the operators' CRDs would race their resources." >&2
    echo "Apply it once: kubectl apply --server-side --field-manager=${BOOTSTRAP_FIELD_MANAGER} -f \${BOOTSTRAP_PATH}" >&2
    exit 1
    ;;
esac
`;
}

export interface ApplicationHealthProps {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly imageRegistry: string | undefined;
  readonly apiServerPorts: readonly number[];
  /** The bootstrap folder from the repository root, for the message. */
  readonly bootstrapPath: string;
  /** Pod-spec fields that keep the pod off the avoided nodes. */
  readonly placement: { readonly affinity?: k8s.Affinity };
}

/** Kinds of the check, for the Argo CD project's allow list. */
export const HEALTH_CHECK_KINDS = [
  { group: '', kind: 'ServiceAccount' },
  { group: '', kind: 'ConfigMap' },
  { group: 'rbac.authorization.k8s.io', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  { group: 'batch', kind: 'Job' },
] as const;

/** The argocd-cm key, applied once at bootstrap (component argocd/bootstrap). */
export class ApplicationHealthCustomization extends Construct {
  constructor(scope: Construct, id: string, props: { namespace: string; labels: Readonly<Record<string, string>> }) {
    super(scope, id);
    new k8s.KubeConfigMap(this, 'Resource', {
      // Argo CD reads only ConfigMaps labelled part-of argocd (util/settings/settings.go:537).
      metadata: { name: 'argocd-cm', namespace: props.namespace, labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' } },
      data: { [APPLICATION_HEALTH_KEY]: APPLICATION_HEALTH_LUA },
    });
  }
}

/** The PreSync hook of the root Application that checks argocd-cm. */
export class ApplicationHealthCheck extends Construct {
  constructor(scope: Construct, id: string, props: ApplicationHealthProps) {
    super(scope, id);
    const name = 'db-platform-argocd-health-check';
    const script = applicationHealthCheckScript();
    // PreSync hooks, RBAC first: re-created before each sync, removed once it passed.
    const hook = (wave: number) => ({
      'argocd.argoproj.io/hook': 'PreSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation,HookSucceeded',
      'argocd.argoproj.io/sync-wave': String(wave),
    });
    const meta = (wave: number) => ({ name, namespace: props.namespace, labels: { ...props.labels }, annotations: hook(wave) });
    const pods = { 'app.kubernetes.io/name': 'db-platform', 'app.kubernetes.io/component': 'argocd-health-check' };

    new k8s.KubeServiceAccount(this, 'Account', { metadata: meta(-2), automountServiceAccountToken: false });
    new k8s.KubeRole(this, 'Role', {
      metadata: meta(-2),
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['argocd-cm'], verbs: ['get'] }],
    });
    new k8s.KubeRoleBinding(this, 'Binding', {
      metadata: meta(-2),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: props.namespace }],
    });
    new k8s.KubeConfigMap(this, 'Script', { metadata: meta(-2), data: { 'check.sh': script } });
    // The pod may reach the API server and nothing else, and nothing may reach it.
    new FlowPolicy(this, 'Network', {
      namespace: props.namespace,
      name,
      labels: { ...props.labels },
      annotations: hook(-2),
      pods,
      ingress: [],
      egress: [{ ports: props.apiServerPorts.map((port) => ({ port })) }],
    });
    const podLabels = { ...props.labels, ...pods };
    new k8s.KubeJob(this, 'Job', {
      metadata: meta(-1),
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 120,
        template: {
          metadata: { labels: podLabels, annotations: { 'db-platform.io/script-sha256': createHash('sha256').update(script).digest('hex').slice(0, 16) } },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: name,
            // A token for this one read, projected explicitly: short-lived, no automount.
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(CURL_UID),
            ...props.placement,
            containers: [
              {
                name: 'check',
                image: imageRef(CURL_IMAGE, props.imageRegistry),
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '/scripts/check.sh'],
                env: [
                  { name: 'ARGOCD_NAMESPACE', value: props.namespace },
                  { name: 'TOKEN_DIR', value: '/var/run/secrets/db-platform' },
                  { name: 'BOOTSTRAP_PATH', value: props.bootstrapPath },
                ],
                securityContext: restrictedContainerSecurityContext(),
                resources: { requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') }, limits: { memory: k8s.Quantity.fromString('32Mi') } },
                volumeMounts: [
                  { name: 'script', mountPath: '/scripts', readOnly: true },
                  { name: 'token', mountPath: '/var/run/secrets/db-platform', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'script', configMap: { name, defaultMode: 0o555 } },
              {
                name: 'token',
                projected: {
                  sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }],
                },
              },
            ],
          },
        },
      },
    });
  }
}
