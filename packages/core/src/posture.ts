/**
 * Security posture of rendered workloads: the Pod Security Standards `restricted` profile
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, baseline controls
 * included) and the workload rules of the platform (resources, probes, PDBs, spreading,
 * service-account tokens, no secret literal in env), applied to every pod template found in
 * rendered objects.
 *
 * Pod templates are found by shape, not by kind, so a kind added later (an engine's
 * DaemonSet, a chart's Deployment, a CR embedding a pod template) is covered by
 * construction. A pod spec whose containers all name an image is one we render in full;
 * one whose containers carry no image is an overlay an operator merges into the pods it
 * creates (a pod template or pod spec in a custom resource): `operatorOverlays` returns
 * those for the tests of what each CRD lets us request.
 */
import { findPodSpecs, objectRef, type K8sObject } from './objects.ts';

type Json = Record<string, any>;

export interface PodTemplateRef {
  /** `Kind/namespace/name` of the rendered object. */
  readonly object: string;
  readonly kind: string;
  /** JSON path of the pod spec inside the object, e.g. `spec.jobTemplate.spec.template.spec`. */
  readonly path: string;
  readonly spec: Json;
  /** Labels of the pods (template metadata), when the template has them. */
  readonly labels: Readonly<Record<string, string>>;
  /** Replicas asked for: `spec.replicas` of the owner (default 1); undefined for run-to-completion and per-node kinds. */
  readonly replicas: number | undefined;
  /** Whether the pods run to completion (Job, CronJob, a bare Pod with restartPolicy Never/OnFailure). */
  readonly runsToCompletion: boolean;
  readonly namespace: string | undefined;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function templatesOf(o: K8sObject, complete: boolean): PodTemplateRef[] {
  const runsToCompletion = o.kind === 'Job' || o.kind === 'CronJob' || (o.kind === 'Pod' && ['Never', 'OnFailure'].includes(o.spec?.restartPolicy)) || o.spec?.jobTemplate !== undefined;
  return findPodSpecs(o)
    .filter(({ spec }) => spec.containers.every((c: Json) => typeof c.image === 'string') === complete)
    .map(({ path, spec, parent }) => ({
      object: objectRef(o),
      kind: o.kind,
      path: path.join('.'),
      spec,
      labels: (path.length >= 2 && isObj(parent?.metadata) ? parent!.metadata.labels : undefined) ?? (o.kind === 'Pod' ? (o.metadata.labels ?? {}) : {}),
      replicas: runsToCompletion || o.kind === 'DaemonSet' ? undefined : typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1,
      runsToCompletion,
      namespace: o.metadata.namespace,
    }));
}

/** Pod templates we render in full (every container names its image). */
export function renderedPodTemplates(objects: readonly K8sObject[]): PodTemplateRef[] {
  return objects.flatMap((o) => templatesOf(o, true));
}

/** Pod-spec overlays of operator CRs (containers without image: the operator supplies it). */
export function operatorOverlays(objects: readonly K8sObject[]): PodTemplateRef[] {
  return objects.flatMap((o) => templatesOf(o, false));
}

export interface PostureRule {
  readonly id: string;
  /** `pss-restricted`, `pss-baseline` or `workload`. */
  readonly profile: 'pss-baseline' | 'pss-restricted' | 'workload';
  readonly title: string;
}

export interface PostureFinding {
  readonly rule: string;
  readonly object: string;
  /** Container name, or `(pod)`. */
  readonly container: string;
  readonly message: string;
}

export const POSTURE_RULES: readonly PostureRule[] = [
  { id: 'host-namespaces', profile: 'pss-baseline', title: 'hostNetwork, hostPID and hostIPC are unset or false' },
  { id: 'privileged', profile: 'pss-baseline', title: 'no privileged container' },
  { id: 'capabilities-baseline', profile: 'pss-baseline', title: 'added capabilities only from the baseline list' },
  { id: 'host-path', profile: 'pss-baseline', title: 'no hostPath volume' },
  { id: 'host-ports', profile: 'pss-baseline', title: 'no hostPort' },
  { id: 'apparmor', profile: 'pss-baseline', title: 'AppArmor profile RuntimeDefault or Localhost, if set' },
  { id: 'selinux', profile: 'pss-baseline', title: 'SELinux type limited to the container types, no custom user or role' },
  { id: 'proc-mount', profile: 'pss-baseline', title: 'procMount Default' },
  { id: 'sysctls', profile: 'pss-baseline', title: 'only the safe sysctls' },
  { id: 'volume-types', profile: 'pss-restricted', title: 'only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes' },
  { id: 'privilege-escalation', profile: 'pss-restricted', title: 'allowPrivilegeEscalation: false on every container' },
  { id: 'run-as-non-root', profile: 'pss-restricted', title: 'runAsNonRoot: true (pod or every container), never false' },
  { id: 'run-as-user', profile: 'pss-restricted', title: 'runAsUser is never 0' },
  { id: 'seccomp', profile: 'pss-restricted', title: 'seccompProfile RuntimeDefault or Localhost (pod or every container), never Unconfined' },
  { id: 'capabilities-restricted', profile: 'pss-restricted', title: 'capabilities drop ALL; only NET_BIND_SERVICE may be added' },
  { id: 'read-only-root-filesystem', profile: 'workload', title: 'readOnlyRootFilesystem: true (writable paths are explicit volumes)' },
  { id: 'resources', profile: 'workload', title: 'CPU and memory requests and a memory limit on every container (no CPU limit: throttling a database hurts more than it protects)' },
  { id: 'probes', profile: 'workload', title: 'long-running containers have liveness and readiness probes, and they differ' },
  { id: 'disruption-budget', profile: 'workload', title: 'replicated pods are covered by a PodDisruptionBudget that sets unhealthyPodEvictionPolicy' },
  { id: 'spread', profile: 'workload', title: 'replicated pods have pod anti-affinity or topology spread over nodes' },
  { id: 'service-account-token', profile: 'workload', title: 'automountServiceAccountToken: false (no pod here talks to the API server)' },
  { id: 'secret-env', profile: 'workload', title: 'no secret as a literal env value (secretKeyRef or a mounted Secret instead)' },
];

const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** Env names that hold a credential: a literal value under such a name is a leaked secret. */
export const SECRET_ENV_NAME = /(PASS(WORD|WD)?|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|_PWD)$/i;

function containersOf(spec: Json): Json[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].filter(isObj);
}

/** Long-running containers: regular ones, and init containers with restartPolicy Always (sidecars). */
function longRunning(spec: Json): Json[] {
  return [...(spec.initContainers ?? []).filter((c: Json) => c?.restartPolicy === 'Always'), ...(spec.containers ?? [])];
}

function selects(selector: Json | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!isObj(selector)) return false;
  const match = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
  const exprs = (selector.matchExpressions ?? []) as Json[];
  const exprOk = exprs.every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key]);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
  return (Object.keys(selector.matchLabels ?? {}).length > 0 || exprs.length > 0) && match && exprOk;
}

/** Checks one pod template against every rule. `all` is every rendered object (for PDBs). */
export function checkPodTemplate(t: PodTemplateRef, all: readonly K8sObject[]): PostureFinding[] {
  const findings: PostureFinding[] = [];
  const add = (rule: string, container: string, message: string) => findings.push({ rule, object: t.object, container, message });
  const spec = t.spec;
  const pod: Json = isObj(spec.securityContext) ? spec.securityContext : {};
  const containers = containersOf(spec);

  for (const h of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[h] === true) add('host-namespaces', '(pod)', `${h}: true`);
  for (const v of (spec.volumes ?? []) as Json[]) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type === 'hostPath') add('host-path', '(pod)', `volume ${v.name} is a hostPath`);
    if (!type || !ALLOWED_VOLUMES.has(type)) add('volume-types', '(pod)', `volume ${v.name} is of type ${type ?? '(none)'}, which the restricted profile refuses`);
  }
  for (const s of (pod.sysctls ?? []) as Json[]) if (!SAFE_SYSCTLS.has(s.name)) add('sysctls', '(pod)', `unsafe sysctl ${s.name}`);
  if (pod.runAsUser === 0) add('run-as-user', '(pod)', 'pod runAsUser is 0 (root)');
  if (pod.runAsNonRoot === false) add('run-as-non-root', '(pod)', 'pod runAsNonRoot is false');
  if (pod.seccompProfile?.type === 'Unconfined') add('seccomp', '(pod)', 'pod seccompProfile is Unconfined');
  if (pod.appArmorProfile?.type === 'Unconfined') add('apparmor', '(pod)', 'pod appArmorProfile is Unconfined');
  if (pod.seLinuxOptions && (!SELINUX_TYPES.has(pod.seLinuxOptions.type ?? '') || pod.seLinuxOptions.user || pod.seLinuxOptions.role))
    add('selinux', '(pod)', 'pod seLinuxOptions out of the allowed set');
  if (spec.automountServiceAccountToken !== false) add('service-account-token', '(pod)', 'automountServiceAccountToken is not false: every pod would get an API token it does not need');

  for (const c of containers) {
    const sc: Json = isObj(c.securityContext) ? c.securityContext : {};
    const name = String(c.name);
    if (sc.privileged === true) add('privileged', name, 'privileged: true');
    for (const p of (c.ports ?? []) as Json[]) if (p.hostPort !== undefined && p.hostPort !== 0) add('host-ports', name, `hostPort ${p.hostPort}`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') add('proc-mount', name, `procMount ${sc.procMount}`);
    if (sc.appArmorProfile?.type === 'Unconfined') add('apparmor', name, 'appArmorProfile is Unconfined');
    if (sc.seLinuxOptions && (!SELINUX_TYPES.has(sc.seLinuxOptions.type ?? '') || sc.seLinuxOptions.user || sc.seLinuxOptions.role)) add('selinux', name, 'seLinuxOptions out of the allowed set');
    if (sc.allowPrivilegeEscalation !== false) add('privilege-escalation', name, 'allowPrivilegeEscalation is not false');
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (nonRoot !== true) add('run-as-non-root', name, 'runAsNonRoot is not true (neither on the container nor on the pod)');
    if (sc.runAsUser === 0) add('run-as-user', name, 'runAsUser is 0 (root)');
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') add('seccomp', name, `seccompProfile is ${seccomp ?? 'unset'} (neither on the container nor on the pod)`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    const added: string[] = sc.capabilities?.add ?? [];
    if (!drop.includes('ALL')) add('capabilities-restricted', name, 'capabilities do not drop ALL');
    for (const cap of added) {
      if (!BASELINE_CAPABILITIES.has(cap)) add('capabilities-baseline', name, `adds capability ${cap}`);
      if (cap !== 'NET_BIND_SERVICE') add('capabilities-restricted', name, `adds capability ${cap}; only NET_BIND_SERVICE may be added`);
    }
    if (sc.readOnlyRootFilesystem !== true) add('read-only-root-filesystem', name, 'readOnlyRootFilesystem is not true');
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    const missing = [requests.cpu === undefined && 'requests.cpu', requests.memory === undefined && 'requests.memory', limits.memory === undefined && 'limits.memory'].filter(Boolean);
    if (missing.length > 0) add('resources', name, `missing ${missing.join(', ')}`);
    for (const e of (c.env ?? []) as Json[]) {
      if (typeof e.value === 'string' && e.value !== '' && SECRET_ENV_NAME.test(String(e.name))) add('secret-env', name, `env ${e.name} has a literal value`);
    }
  }

  if (!t.runsToCompletion) {
    for (const c of longRunning(spec)) {
      const name = String(c.name);
      if (!c.livenessProbe || !c.readinessProbe) add('probes', name, `missing ${!c.livenessProbe ? 'livenessProbe' : 'readinessProbe'}`);
      else if (JSON.stringify(c.livenessProbe) === JSON.stringify(c.readinessProbe))
        add('probes', name, 'livenessProbe and readinessProbe are identical: a slow pod is killed instead of taken out of the service');
    }
  }

  if (t.replicas !== undefined && t.replicas > 1) {
    const pdbs = all.filter((o) => o.kind === 'PodDisruptionBudget' && o.metadata.namespace === t.namespace && selects(o.spec?.selector, t.labels));
    if (pdbs.length === 0) add('disruption-budget', '(pod)', `${t.replicas} replicas and no PodDisruptionBudget selects their pods`);
    for (const p of pdbs) if (!p.spec?.unhealthyPodEvictionPolicy) add('disruption-budget', '(pod)', `PodDisruptionBudget ${p.metadata.name} does not set unhealthyPodEvictionPolicy`);
    const anti = spec.affinity?.podAntiAffinity;
    const terms = [...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: Json) => p.podAffinityTerm)];
    const spreads = (spec.topologySpreadConstraints ?? []) as Json[];
    const spreadsOverNodes = terms.some((term: Json) => term?.topologyKey && selects(term.labelSelector, t.labels)) || spreads.some((s) => s.topologyKey && selects(s.labelSelector, t.labels));
    if (!spreadsOverNodes) add('spread', '(pod)', `${t.replicas} replicas without pod anti-affinity or topology spread that selects them`);
  }
  return findings;
}

/** Every finding of every rendered pod template. */
export function checkPosture(objects: readonly K8sObject[]): PostureFinding[] {
  return renderedPodTemplates(objects).flatMap((t) => checkPodTemplate(t, objects));
}
