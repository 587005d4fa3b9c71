/**
 * Security posture of everything rendered: every pod template of every cluster against the
 * Pod Security Standards `restricted` profile and the workload rules (packages/core/src/
 * posture.ts), with the exceptions of policy/workload-waivers.yaml and nothing else; the
 * settings each operator CRD lets us request for the pods it creates; and the Pod Security
 * labels of the namespaces. Positive controls prove every rule fires.
 */
import { describe, expect, it } from 'vitest';
import { POSTURE_RULES, checkPodTemplate, operatorOverlays, renderedPodTemplates, type K8sObject, type PostureFinding } from '@db/core';
import { renderFile } from '../src/render.ts';
import { platformFileOf } from '../src/paths.ts';
import { verifyPosture } from '../src/verify.ts';
import { appClusters, problemIn, repositoryWaivers } from './helpers.ts';

const clusters = appClusters();
const waivers = repositoryWaivers();

function objectsOf(cluster: string): K8sObject[] {
  const r = renderFile(platformFileOf(cluster), cluster);
  if (!r.ok) throw new Error(`apps/${cluster}/platform.yaml is refused`);
  return r.objects.map((o) => o.object);
}
const rendered = new Map(clusters.map((c) => [c, objectsOf(c)]));

describe('Pod Security Standards restricted and workload rules on every rendered pod template (verify.ts, as synth runs it)', () => {
  let templates = 0;
  let objects = 0;

  it.each(clusters)('clusters/%s has no finding outside the listed exceptions, and no exception that matches nothing', (cluster) => {
    const all = rendered.get(cluster)!;
    objects += all.length;
    templates += renderedPodTemplates(all).length;
    expect(renderedPodTemplates(all).length, 'no pod template found: the finder is broken').toBeGreaterThan(0);
    const problems = verifyPosture(cluster, all, waivers, problemIn(cluster));
    expect(problems.map((p) => p.message)).toEqual([]);
  });

  it('reports a finding no exception accepts, and an exception that matches nothing', () => {
    const deployment = goodDeployment();
    deployment.spec.template.spec.hostNetwork = true;
    const stale = {
      ...waivers,
      waivers: { ...waivers.waivers, posture: [{ rule: 'privileged', object: 'Deployment/ns/x', container: 'c', clusters: ['t'], reason: 'a reason that is long enough to be accepted' }] },
    };
    const messages = verifyPosture('t', [deployment, pdb], stale, problemIn('t')).map((p) => p.message);
    expect(messages).toEqual([
      expect.stringContaining('[posture host-namespaces] Deployment/ns/x'),
      expect.stringContaining('posture exception for privileged on Deployment/ns/x (c) matches nothing on t'),
    ]);
    console.log(
      `posture: ${templates} pod templates in ${objects} rendered objects of ${clusters.length} clusters checked against ${POSTURE_RULES.length} rules, ${waivers.waivers.posture.length} exceptions`,
    );
  });
});

/** A pod template that meets every rule; each control below breaks exactly one. */
function goodDeployment(): K8sObject {
  const labels = { app: 'x' };
  const probe = (path: string) => ({ httpGet: { path, port: 8080 } });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x', namespace: 'ns' },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } }] } },
          containers: [
            {
              name: 'c',
              image: 'example/x:1.2.3',
              env: [
                { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
                { name: 'MODE', value: 'prod' },
              ],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '16Mi' } },
              livenessProbe: probe('/live'),
              readinessProbe: probe('/ready'),
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: {} },
            { name: 'cfg', configMap: { name: 'c' } },
            { name: 'data', persistentVolumeClaim: { claimName: 'd' } },
          ],
        },
      },
    },
  };
}
const pdb: K8sObject = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'x', namespace: 'ns' },
  spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
};

type Mutation = (pod: Record<string, any>, c: Record<string, any>) => void;
const CONTROLS: Record<string, Mutation> = {
  'host-namespaces': (pod) => (pod.hostNetwork = true),
  privileged: (_, c) => (c.securityContext.privileged = true),
  'capabilities-baseline': (_, c) => (c.securityContext.capabilities.add = ['NET_BIND_SERVICE', 'SYS_ADMIN']),
  'host-path': (pod) => pod.volumes.push({ name: 'h', hostPath: { path: '/var/run' } }),
  'host-ports': (_, c) => (c.ports = [{ containerPort: 80, hostPort: 80 }]),
  apparmor: (_, c) => (c.securityContext.appArmorProfile = { type: 'Unconfined' }),
  selinux: (_, c) => (c.securityContext.seLinuxOptions = { type: 'spc_t' }),
  'proc-mount': (_, c) => (c.securityContext.procMount = 'Unmasked'),
  sysctls: (pod) => (pod.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]),
  'volume-types': (pod) => pod.volumes.push({ name: 'n', nfs: { server: 'nfs', path: '/x' } }),
  'privilege-escalation': (_, c) => delete c.securityContext.allowPrivilegeEscalation,
  'run-as-non-root': (pod) => delete pod.securityContext.runAsNonRoot,
  'run-as-user': (_, c) => (c.securityContext.runAsUser = 0),
  seccomp: (pod) => delete pod.securityContext.seccompProfile,
  'capabilities-restricted': (_, c) => (c.securityContext.capabilities.drop = ['NET_RAW']),
  'read-only-root-filesystem': (_, c) => (c.securityContext.readOnlyRootFilesystem = false),
  resources: (_, c) => delete c.resources.limits,
  probes: (_, c) => (c.readinessProbe = c.livenessProbe),
  'disruption-budget': (pod) => (pod.__dropPdb = true),
  spread: (pod) => delete pod.affinity,
  'service-account-token': (pod) => delete pod.automountServiceAccountToken,
  'secret-env': (_, c) => c.env.push({ name: 'REDIS_PASSWORD', value: 'hunter2hunter2' }),
};

function findingsOf(mutate?: Mutation, wrap: (d: K8sObject) => K8sObject = (d) => d): PostureFinding[] {
  const d = goodDeployment();
  const pod = d.spec.template.spec;
  mutate?.(pod, pod.containers[0]);
  const dropPdb = pod.__dropPdb === true;
  delete pod.__dropPdb;
  const all = [wrap(d), ...(dropPdb ? [] : [pdb])];
  return renderedPodTemplates(all).flatMap((t) => checkPodTemplate(t, all));
}

describe('posture rules: positive controls', () => {
  it('the control workload meets every rule', () => {
    expect(findingsOf()).toEqual([]);
  });
  it('every rule has a control', () => {
    expect(Object.keys(CONTROLS).sort()).toEqual(POSTURE_RULES.map((r) => r.id).sort());
  });
  it.each(Object.entries(CONTROLS))('%s fires on a template that breaks it', (rule, mutate) => {
    const rules = new Set(findingsOf(mutate).map((f) => f.rule));
    expect(rules.has(rule), `rule ${rule} did not fire`).toBe(true);
  });
  it('finds pod templates by shape: CronJob, Pod and kinds it has never seen', () => {
    const asCronJob = (d: K8sObject): K8sObject => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: d.metadata,
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: d.spec.template } } },
    });
    const asFutureKind = (d: K8sObject): K8sObject => ({ apiVersion: 'example.io/v1', kind: 'Widget', metadata: d.metadata, spec: { deep: { podTemplate: d.spec.template } } });
    const asPod = (d: K8sObject): K8sObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: d.metadata, spec: d.spec.template.spec });
    for (const wrap of [asCronJob, asFutureKind, asPod]) {
      expect(findingsOf(CONTROLS['run-as-user'], wrap).map((f) => f.rule)).toContain('run-as-user');
    }
    // Jobs run to completion: no probes required of them.
    expect(findingsOf(CONTROLS.probes, asCronJob).map((f) => f.rule)).not.toContain('probes');
  });
});

describe('operator-managed pods: the CRs request what their CRDs allow', () => {
  it.each(clusters)('clusters/%s: every operator pod overlay drops privileges and sets seccomp and resources', (cluster) => {
    const overlays = operatorOverlays(rendered.get(cluster)!);
    expect(overlays.length).toBeGreaterThan(0);
    for (const t of overlays) {
      expect(t.spec.securityContext?.seccompProfile?.type, `${t.object} ${t.path}`).toBe('RuntimeDefault');
      for (const c of t.spec.containers) {
        const at = `${t.object} ${t.path} container ${c.name}`;
        expect(c.securityContext?.allowPrivilegeEscalation, at).toBe(false);
        expect(c.securityContext?.capabilities?.drop, at).toContain('ALL');
        expect(c.resources?.requests?.cpu, at).toBeDefined();
        expect(c.resources?.limits?.memory, at).toBeDefined();
      }
    }
  });

  it.each(clusters)('clusters/%s: every CNPG Cluster sets the restricted pod and container security contexts', (cluster) => {
    const cnpg = rendered.get(cluster)!.filter((o) => o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/'));
    expect(cnpg.length).toBeGreaterThan(0);
    for (const o of cnpg) {
      expect(o.spec.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(o.spec.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(o.spec.podSecurityContext.runAsUser).toBeGreaterThan(0);
      expect(o.spec.securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(o.spec.resources.limits.memory).toBeDefined();
    }
  });

  it('the lab InnoDBCluster requests restricted containers for the server and the router', () => {
    const ic = rendered.get('lab')!.find((o) => o.kind === 'InnoDBCluster')!;
    for (const podSpec of [ic.spec.podSpec, ic.spec.router.podSpec]) {
      expect(podSpec.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(podSpec.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    }
  });
});

describe('Pod Security admission labels of the database namespaces', () => {
  it.each(clusters)('clusters/%s: every namespace enforces, audits and warns on one level, restricted unless an operator needs root', (cluster) => {
    const all = rendered.get(cluster)!;
    const namespaces = all.filter((o) => o.kind === 'Namespace');
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      const l = ns.metadata.labels ?? {};
      const level = l['pod-security.kubernetes.io/enforce'];
      expect(level, ns.metadata.name).toBeDefined();
      expect(l['pod-security.kubernetes.io/audit']).toBe(level);
      expect(l['pod-security.kubernetes.io/warn']).toBe(level);
      const inside = all.filter((o) => o.metadata.namespace === ns.metadata.name);
      // The only reason for less than restricted: the MySQL Operator's root init container.
      if (level !== 'restricted')
        expect(
          inside.some((o) => o.kind === 'InnoDBCluster'),
          `${ns.metadata.name} is ${level}`,
        ).toBe(true);
      else for (const t of renderedPodTemplates(inside)) expect(checkPodTemplate(t, all).filter((f) => POSTURE_RULES.find((r) => r.id === f.rule)!.profile !== 'workload')).toEqual([]);
    }
  });
});
