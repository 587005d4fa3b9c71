/**
 * The control plane behaves like a real cluster where our manifests depend on it: the
 * StatefulSet, EndpointSlice, Job, disruption and PodSecurity machinery are the real ones, only
 * the kubelets are kwok. Runs once per Kubernetes version built by scripts/install-control-plane.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiWarnings, ControlPlane, requireControlPlane, type KubeVersion } from '../src/index.ts';

const check = requireControlPlane('real control plane tests');

const NODES = ['node-a', 'node-b', 'node-c'];
const NS = 'smoke';

/** Compliant with PodSecurity `restricted` (pods are never run: kwok only plays their status). */
const podSpec = (name: string, indent: number, restartPolicy = 'Always') =>
  `
restartPolicy: ${restartPolicy}
securityContext:
  runAsNonRoot: true
  runAsUser: 999
  seccompProfile: { type: RuntimeDefault }
containers:
  - name: ${name}
    image: registry.example.com/db:1.0
    ports: [{ name: tcp, containerPort: 5432 }]
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: { drop: [ALL] }`.replaceAll('\n', `\n${' '.repeat(indent)}`);

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/warn-version: latest
---
# The governing Service of the StatefulSet.
apiVersion: v1
kind: Service
metadata: { name: db, namespace: ${NS} }
spec:
  clusterIP: None
  selector: { app: db }
  ports: [{ name: tcp, port: 5432 }]
---
# A second headless Service over the same pods: not the governing one, so no hostnames.
apiVersion: v1
kind: Service
metadata: { name: db-replicas, namespace: ${NS} }
spec:
  clusterIP: None
  selector: { app: db }
  ports: [{ name: tcp, port: 5432 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: ${NS} }
spec:
  serviceName: db
  replicas: 2
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:${podSpec('db', 6)}
          volumeMounts: [{ name: data, mountPath: /var/lib/db }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec:
        storageClassName: local-ssd
        accessModes: [ReadWriteOnce]
        resources: { requests: { storage: 1Gi } }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: db, namespace: ${NS} }
spec:
  minAvailable: 2
  selector: { matchLabels: { app: db } }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: backup, namespace: ${NS} }
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:${podSpec('backup', 10, 'Never')}
`;

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string; hostname?: string; subdomain?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
interface EndpointSlice {
  endpoints?: { hostname?: string; conditions?: { ready?: boolean }; targetRef?: { name: string } }[];
}

const ready = (p: Pod) => p.status.phase === 'Running' && !!p.status.podIP && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

function suite(version: KubeVersion): void {
  describe(`Kubernetes ${version.version}`, () => {
    let cp: ControlPlane;

    beforeAll(async () => {
      cp = await ControlPlane.start({ version, name: `smoke-${version.version}`, nodes: NODES.map((name) => ({ name })), storageClasses: ['standard', 'local-ssd'] });
      console.log(`control plane ${version.version} started in ${cp.startupMs} ms (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, ${NODES.length} nodes Ready)`);
    });
    afterAll(async () => {
      await cp?.stop();
    });

    it('reports its version; kubectl skew notices are not API warnings', () => {
      const r = cp.kubectl(['version', '-o', 'json']);
      expect(r.status).toBe(0);
      expect((JSON.parse(r.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toBe(`v${version.version}`);
      expect(apiWarnings(r.stderr)).toEqual([]);
    });

    it('runs a StatefulSet with volume claims on kwok nodes under PodSecurity restricted, without warnings', async () => {
      const applied = await cp.applyServerSide(MANIFESTS);
      expect(applied.warnings).toEqual([]);
      let pods: Pod[] = [];
      await cp.waitFor(
        () => {
          pods = cp.getJson<{ items: Pod[] }>(['pods', '-n', NS, '-l', 'app=db']).items;
          return pods.length === 2 && pods.every(ready);
        },
        60_000,
        'db-0 and db-1 Running and Ready',
      );
      expect(pods.map((p) => p.metadata.name).sort()).toEqual(['db-0', 'db-1']);
      for (const p of pods) {
        expect(NODES).toContain(p.spec.nodeName);
        // Set by the StatefulSet controller: the pod's DNS name under the governing Service.
        expect(p.spec).toMatchObject({ hostname: p.metadata.name, subdomain: 'db' });
      }
      // Scheduled first (WaitForFirstConsumer), then provisioned by kwok and bound.
      const claims = cp.getJson<{ items: { metadata: { name: string }; spec: { volumeName?: string }; status: { phase?: string } }[] }>(['pvc', '-n', NS]).items;
      expect(claims.map((c) => [c.metadata.name, c.status.phase]).sort()).toEqual([
        ['data-db-0', 'Bound'],
        ['data-db-1', 'Bound'],
      ]);
      for (const c of claims) expect(cp.getJson<{ status: { phase: string } }>(['pv', c.spec.volumeName ?? '?']).status.phase).toBe('Bound');
    });

    it('gives hostnames in EndpointSlices of the governing Service only', async () => {
      const slices = (service: string) => cp.getJson<{ items: EndpointSlice[] }>(['endpointslices', '-n', NS, '-l', `kubernetes.io/service-name=${service}`]).items.flatMap((s) => s.endpoints ?? []);
      await cp.waitFor(() => [slices('db'), slices('db-replicas')].every((e) => e.length === 2 && e.every((x) => x.conditions?.ready === true)), 60_000, 'two ready endpoints in each Service');
      expect(
        slices('db')
          .map((e) => e.hostname)
          .sort(),
      ).toEqual(['db-0', 'db-1']);
      expect(slices('db-replicas').map((e) => e.hostname)).toEqual([undefined, undefined]);
    });

    it('creates a Job from the CronJob and schedules its pod', async () => {
      cp.kubectlOk(['create', 'job', 'backup-now', '--from=cronjob/backup', '-n', NS]);
      let pod: Pod | undefined;
      await cp.waitFor(
        () => {
          pod = cp.getJson<{ items: Pod[] }>(['pods', '-n', NS, '-l', 'job-name=backup-now']).items[0];
          return !!pod?.spec.nodeName;
        },
        60_000,
        'the pod of Job backup-now scheduled',
      );
      expect(NODES).toContain(pod?.spec.nodeName);
      // kwok's pod-complete stage ends Job pods: the Job controller sees the success.
      await cp.waitFor(() => cp.getJson<{ status: { succeeded?: number } }>(['job', 'backup-now', '-n', NS]).status.succeeded === 1, 60_000, 'Job backup-now succeeded');
    });

    it('enforces PodSecurity restricted: a non-compliant pod is rejected, a non-compliant template warned about', async () => {
      const pod = `
apiVersion: v1
kind: Pod
metadata: { name: rooted, namespace: ${NS} }
spec:
  containers: [{ name: c, image: registry.example.com/db:1.0, securityContext: { privileged: true } }]
`;
      const rejected = await cp.applyServerSide(pod, { allowFailure: true });
      expect(rejected.status).not.toBe(0);
      expect(rejected.stderr).toContain('violates PodSecurity "restricted:latest"');
      expect(rejected.stderr).toContain('privileged');

      const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: rooted, namespace: ${NS} }
spec:
  replicas: 0
  selector: { matchLabels: { app: rooted } }
  template:
    metadata: { labels: { app: rooted } }
    spec:
      containers: [{ name: c, image: registry.example.com/db:1.0, securityContext: { privileged: true } }]
`;
      const warned = await cp.applyServerSide(deployment);
      expect(warned.warnings.some((w) => w.startsWith('would violate PodSecurity "restricted:latest"'))).toBe(true);
    });

    it('refuses an eviction that would break the PodDisruptionBudget', async () => {
      await cp.waitFor(
        () => {
          const s = cp.getJson<{ status?: { currentHealthy?: number; disruptionsAllowed?: number } }>(['pdb', 'db', '-n', NS]).status;
          return s?.currentHealthy === 2 && s.disruptionsAllowed === 0;
        },
        60_000,
        'PDB db computed by the disruption controller',
      );
      const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'db-0', namespace: NS } });
      const r = cp.kubectl(['create', '--raw', `/api/v1/namespaces/${NS}/pods/db-0/eviction`, '-f', '-'], { input: eviction });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget");
      expect(cp.getJson<Pod>(['pod', 'db-0', '-n', NS]).status.phase).toBe('Running');
    });
  });
}

if (check.available) for (const v of check.versions) suite(v);
else it.skip(check.reason, () => {});
