/**
 * What we render for every cluster works on a real control plane of every built Kubernetes
 * version, on nodes and storage modelled on that cluster (topologies.ts):
 *  - the platform and its GitOps folders apply server-side with zero errors and zero warnings
 *    (PodSecurity included), and the Argo CD bootstrap key merges into an existing argocd-cm;
 *  - what the operators create from our custom resources (their stand-ins) is accepted, and the
 *    old InnoDBCluster podLabels provably are not;
 *  - every pod is scheduled and Ready, none on an avoided node (and provably one would be
 *    without our affinity), replicated pods spread as their anti-affinity says;
 *  - every in-cluster DNS name we write resolves to what runs (a pod name only under its
 *    governing service, provably), or is a prerequisite named in platform.yaml;
 *  - External Secrets' Secrets outlive their ExternalSecret (CreateOrMerge) where Owner's die;
 *  - the Argo CD PreSync check, run for real with its own token, passes and fails as it should
 *    and its Role reads argocd-cm only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requirePrograms } from '@db/core/testing';
import { requireControlPlane, type ControlPlane } from '../src/index.ts';
import { discoverClusters, kubectlPath, ref, renderedNamespaces, type ClusterInfo, type Obj } from './lib/desired.ts';
import { collectNames, resolveNames, schemaDefaultNames, type DnsName, type Resolution } from './lib/names.ts';
import { esoSecret, FIELD_MANAGERS, mysqlObjects, Operators } from './lib/operators.ts';
import { applyGitopsFolder, bootstrap, createArgoCdConfigMap, namespacesFor, readRendered, waitAllReady, type CrdAdaptation, type RenderedCluster } from './lib/platform.ts';
import { drainNode, setUnschedulable, type DrainResult } from './lib/drain.ts';
import { spreadViolations } from './lib/scheduling.ts';

const check = requireControlPlane('control-plane suite (platform)');
const programs = check.available ? requirePrograms('Argo CD health check run for real', ['curl', 'sh'], 'apt-get install curl') : { available: false, reason: check.reason };
const CLUSTERS = check.available ? discoverClusters() : [];
const cases = check.versions.flatMap((version) => CLUSTERS.map((cluster) => ({ version, cluster, title: `Kubernetes ${version.version}, cluster ${cluster.name}` })));

/** The podLabels of old main's InnoDBCluster, which the API server refused once merged into the operator's templates. */
const OLD_IC_POD_LABELS = { 'app.kubernetes.io/name': 'mysql', 'app.kubernetes.io/instance': 'mysql', 'app.kubernetes.io/managed-by': 'db-platform', 'app.kubernetes.io/component': 'database' };

const ownedByJob = (p: Obj) => (p.metadata.ownerReferences ?? []).some((o: Obj) => o.kind === 'Job');
const jobName = (base: string, suffix: string) => `${base.slice(0, 63 - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;

function dnsNamespaces(r: RenderedCluster): string[] {
  return [...new Set(collectNames([...r.objects, ...r.gitops.flatMap((g) => g.objects)], () => []).map((n) => n.labels[n.labels.length - 1]!))];
}

describe.each(cases)('$title', ({ version, cluster }: { version: (typeof check.versions)[number]; cluster: ClusterInfo }) => {
  let cp: ControlPlane;
  let r: RenderedCluster;
  let ops: Operators;
  let crdAdaptations: CrdAdaptation[] = [];
  const avoid = () => r.topology.avoidNodes;

  beforeAll(async () => {
    r = readRendered(cluster);
    const t0 = Date.now();
    const boot = await bootstrap(version, `${cluster.name}-platform`, r.topology, namespacesFor(r, dnsNamespaces(r)));
    cp = boot.cp;
    crdAdaptations = boot.crdAdaptations;
    ops = new Operators(cp);
    console.log(
      `[${version.version} ${cluster.name}] control plane in ${cp.startupMs} ms (${r.topology.source} topology: ${r.topology.nodes.map((n) => n.name).join(', ')}; storage ${r.topology.storageClasses.join(', ')}; NFS ${r.topology.nfsClasses.join(', ') || '-'}), CRDs and ${boot.namespaces.length} namespaces in ${Date.now() - t0 - cp.startupMs} ms` +
        (boot.crdWarnings.length ? `; the pinned CRDs drew ${boot.crdWarnings.length} API warnings: ${boot.crdWarnings.join(' | ')}` : '') +
        boot.crdAdaptations.map((a) => `\n  CRD ${a.crd} REFUSED as published (${a.adapted} so the suite can go on): ${a.refusal}`).join(''),
    );
  }, 180_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it('installs every pinned CRD as published', () => {
    expect(crdAdaptations.map((a) => `${a.crd}: ${a.refusal}`)).toEqual([]);
  });

  it('applies clusters/<cluster> server-side: zero errors, zero warnings (PodSecurity included)', async () => {
    const res = await cp.applyServerSide(r.yaml, { fieldManager: 'db-platform', allowFailure: true });
    expect(
      res.stderr.split('\n').filter((l) => /error/i.test(l)),
      res.stderr,
    ).toEqual([]);
    expect(res.status).toBe(0);
    expect(res.warnings).toEqual([]);
    // Every rendered Namespace got its PodSecurity labels as written.
    for (const ns of r.objects.filter((o) => o.kind === 'Namespace')) {
      const live = cp.getJson<Obj>(['namespace', ns.metadata.name]);
      expect(live.metadata.labels).toMatchObject(ns.metadata.labels ?? {});
    }
  });

  it('applies the GitOps folders: argocd/bootstrap merges into an existing argocd-cm, every folder with zero errors and zero warnings', async () => {
    const boot = r.gitops.find((g) => g.name === 'argocd/bootstrap');
    if (boot) {
      const argocdCm = boot.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cm');
      createArgoCdConfigMap(cp, argocdCm?.metadata.namespace ?? 'argocd');
    }
    expect(r.gitops.length, 'a cluster without GitOps wiring').toBeGreaterThan(0);
    for (const folder of r.gitops) {
      const res = await applyGitopsFolder(cp, folder, { allowFailure: true });
      expect(res.status, `${folder.name}: ${res.stderr}`).toBe(0);
      expect(res.warnings, folder.name).toEqual([]);
    }
    if (boot) {
      for (const cm of boot.objects.filter((o) => o.kind === 'ConfigMap')) {
        const live = cp.getJson<Obj>(['configmap', cm.metadata.name, '-n', cm.metadata.namespace]);
        // The install's own key stays, ours is added.
        expect(live.data.url).toBe('https://argocd.example.internal');
        for (const [k, v] of Object.entries(cm.data ?? {})) expect(live.data[k]).toBe(v);
        const managers = (await cp.getPath<Obj>(`/api/v1/namespaces/${cm.metadata.namespace}/configmaps/${cm.metadata.name}`)).metadata.managedFields.map((f: Obj) => f.manager);
        expect(managers).toEqual(expect.arrayContaining(['kubectl-create', 'db-platform-bootstrap']));
      }
    }
  });

  it('creates what the operators create for our custom resources, owned as they own it: zero errors, zero warnings', async () => {
    const results = await ops.createAll();
    const refused = results.filter((x) => !x.ok).map((x) => `${x.ref}: ${x.message}`);
    expect(refused).toEqual([]);
    expect(results.flatMap((x) => x.warnings.map((w) => `${x.ref}: ${w}`))).toEqual([]);
    // Every custom resource an operator acts on got its stand-in's objects.
    const owners = new Set(results.flatMap((x) => (x.object?.metadata?.ownerReferences ?? []).map((o: Obj) => `${o.kind}/${x.object!.metadata.namespace}/${o.name}`)));
    for (const cr of r.objects.filter((o) => ['Cluster', 'Pooler', 'InnoDBCluster'].includes(o.kind))) expect(owners, ref(cr)).toContain(ref(cr));
    for (const es of r.objects.filter((o) => o.kind === 'ExternalSecret')) expect(results.map((x) => x.ref)).toContain(`Secret/${es.metadata.namespace}/${es.spec.target?.name ?? es.metadata.name}`);
    console.log(`[${version.version} ${cluster.name}] operator stand-ins: ${results.length} objects (${[...new Set(results.map((x) => x.ref.split('/')[0]))].join(', ')})`);
  });

  it('refuses the operator objects of an InnoDBCluster with the old podLabels (the test can fail)', async (ctx) => {
    const ic = r.objects.find((o) => o.kind === 'InnoDBCluster');
    if (!ic) {
      console.log(`[${version.version} ${cluster.name}] no InnoDBCluster rendered: the old-podLabels proof runs on a cluster that has one`);
      return ctx.skip();
    }
    const ns = 'old-podlabels-proof';
    const source = r.objects.find((o) => o.kind === 'Namespace' && o.metadata.name === ic.metadata.namespace);
    expect((await cp.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...(source?.metadata.labels ?? {}) } } })).ok).toBe(true);
    const withLabels = (labels: Record<string, string>) => {
      const copy = structuredClone(ic);
      copy.metadata = { ...copy.metadata, namespace: ns, uid: '00000000-0000-0000-0000-000000000001' };
      copy.spec.podLabels = { ...labels };
      copy.spec.router = { ...copy.spec.router, podLabels: { ...labels } };
      return mysqlObjects(copy)
        .filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment')
        .map((o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: undefined } }));
    };
    for (const o of withLabels(OLD_IC_POD_LABELS)) {
      const res = await cp.applyObject(o, { fieldManager: FIELD_MANAGERS.mysql, force: true });
      expect(res.ok, `${res.ref} with the old podLabels was accepted`).toBe(false);
      expect(res.status).toBe(422);
      expect(res.message).toContain('`selector` does not match template `labels`');
    }
    // The same objects from today's podLabels, in the same namespace, are accepted.
    for (const o of withLabels(ic.spec.podLabels ?? {})) {
      const res = await cp.applyObject(o, { fieldManager: FIELD_MANAGERS.mysql, force: true, dryRun: true });
      expect(res.ok, `${res.ref}: ${res.message}`).toBe(true);
    }
  });

  it('schedules every pod and makes it Ready; none on an avoided node; replicated pods spread as their anti-affinity says', async () => {
    await waitAllReady(cp, ops, 120_000, `every pod of ${cluster.name} scheduled and Ready`);
    const pods = await cp.list('v1', 'Pod');
    const nodes = await cp.list('v1', 'Node');
    const onAvoided = pods.filter((p) => avoid().includes(p.spec.nodeName)).map((p) => `${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName}`);
    expect(onAvoided).toEqual([]);
    // MySQL Operator pods are Ready only through their readiness gates (set by the stand-in, as the operator does).
    for (const p of pods.filter((x) => (x.spec.readinessGates ?? []).length > 0)) {
      for (const g of p.spec.readinessGates) expect((p.status.conditions ?? []).find((c: Obj) => c.type === g.conditionType)?.status, `${p.metadata.name} ${g.conditionType}`).toBe('True');
    }
    const spread = spreadViolations(pods, nodes);
    expect(spread.violations).toEqual([]);
    const byNode = new Map<string, number>();
    for (const p of pods) byNode.set(p.spec.nodeName, (byNode.get(p.spec.nodeName) ?? 0) + 1);
    console.log(`[${version.version} ${cluster.name}] ${pods.length} pods Ready (${[...byNode].map(([n, c]) => `${n}: ${c}`).join(', ')}); ${spread.checked} anti-affinity groups spread as asked`);
  });

  it('runs a Job from every CronJob, every rendered Job and every Argo CD hook Job: each pod scheduled, none on an avoided node', async () => {
    const cronJobs = [...r.objects, ...r.gitops.flatMap((g) => g.objects)].filter((o) => o.kind === 'CronJob');
    const jobs = [...r.objects, ...r.gitops.flatMap((g) => g.objects)].filter((o) => o.kind === 'Job');
    const created: { ns: string; name: string; from: string }[] = [];
    for (const cj of cronJobs) {
      const name = jobName(cj.metadata.name, 'test');
      cp.kubectlOk(['create', 'job', name, `--from=cronjob/${cj.metadata.name}`, '-n', cj.metadata.namespace]);
      created.push({ ns: cj.metadata.namespace, name, from: ref(cj) });
    }
    for (const j of jobs) created.push({ ns: j.metadata.namespace, name: j.metadata.name, from: ref(j) });
    const landed = new Map<string, Obj>();
    await cp.waitFor(
      async () => {
        for (const c of created) {
          if (landed.has(`${c.ns}/${c.name}`)) continue;
          const pod = (await cp.list('v1', 'Pod', c.ns, `job-name=${c.name}`)).find((p) => p.spec.nodeName);
          if (pod) landed.set(`${c.ns}/${c.name}`, pod);
        }
        return landed.size === created.length;
      },
      90_000,
      `the pods of ${created.length} Jobs scheduled (${created.map((c) => c.name).join(', ')})`,
    );
    const onAvoided = [...landed.values()].filter((p) => avoid().includes(p.spec.nodeName)).map((p) => `${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName}`);
    expect(onAvoided).toEqual([]);
    // kwok completes them: the Job controller sees success.
    await cp.waitFor(
      async () => {
        for (const c of created) if (((await cp.getPath<Obj>(await cp.resourcePath('batch/v1', 'Job', c.ns, c.name))).status?.succeeded ?? 0) < 1) return false;
        return true;
      },
      90_000,
      'every Job succeeded',
    );
    // And across the whole cluster, nothing ever landed on an avoided node.
    const all = await cp.list('v1', 'Pod');
    expect(all.filter((p) => avoid().includes(p.spec.nodeName)).map((p) => p.metadata.name)).toEqual([]);
    console.log(
      `[${version.version} ${cluster.name}] ${created.length} Jobs (${cronJobs.length} from CronJobs, ${jobs.length} rendered) scheduled on ${[...new Set([...landed.values()].map((p) => p.spec.nodeName))].join(', ')}`,
    );
  });

  it('without its node affinity a backup Job could land on an avoided node (the test can fail)', async (ctx) => {
    if (avoid().length === 0) {
      console.log(`[${version.version} ${cluster.name}] no scheduling.avoidNodes: nothing to land on`);
      return ctx.skip();
    }
    const backup = r.objects.find((o) => o.kind === 'CronJob' && /backup/.test(o.metadata.name)) ?? r.objects.find((o) => o.kind === 'CronJob');
    if (!backup) return ctx.skip();
    const stripped = structuredClone(backup);
    stripped.metadata = { name: jobName(backup.metadata.name, 'noaff').slice(0, 52), namespace: backup.metadata.namespace };
    delete stripped.spec.jobTemplate.spec.template.spec.affinity;
    expect((await cp.applyObject(stripped, { fieldManager: 'db-platform-test' })).ok).toBe(true);
    const others = r.topology.nodes.map((n) => n.name).filter((n) => !avoid().includes(n));
    for (const n of others) await setUnschedulable(cp, n, true);
    try {
      cp.kubectlOk(['create', 'job', 'proof-no-affinity', `--from=cronjob/${stripped.metadata.name}`, '-n', backup.metadata.namespace]);
      cp.kubectlOk(['create', 'job', 'proof-rendered', `--from=cronjob/${backup.metadata.name}`, '-n', backup.metadata.namespace]);
      let pod: Obj | undefined;
      await cp.waitFor(
        async () => {
          pod = (await cp.list('v1', 'Pod', backup.metadata.namespace, 'job-name=proof-no-affinity')).find((p) => p.spec.nodeName);
          return pod !== undefined;
        },
        60_000,
        'the affinity-less backup pod scheduled',
      );
      expect(avoid()).toContain(pod!.spec.nodeName);
      // The rendered one, with every other node cordoned, has nowhere to go.
      let unschedulable: Obj | undefined;
      await cp.waitFor(
        async () => {
          const p = (await cp.list('v1', 'Pod', backup.metadata.namespace, 'job-name=proof-rendered'))[0];
          unschedulable = (p?.status?.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
          return !!unschedulable;
        },
        60_000,
        'the rendered backup pod reported Unschedulable',
      );
      expect(unschedulable!.message).toMatch(/node affinity|didn't match/);
    } finally {
      for (const n of others) await setUnschedulable(cp, n, false);
      cp.kubectlOk(['delete', 'job', 'proof-no-affinity', 'proof-rendered', '-n', backup.metadata.namespace, '--cascade=foreground', '--wait=true']);
      cp.kubectlOk(['delete', 'cronjob', stripped.metadata.name, '-n', backup.metadata.namespace]);
    }
  });

  it('resolves every in-cluster DNS name we write: Services and pods under their governing service in our namespaces, prerequisites elsewhere', async () => {
    const objects = [...r.objects, ...r.gitops.flatMap((g) => g.objects)];
    const owned = renderedNamespaces(r.objects);
    let resolutions: Resolution[] = [];
    await cp
      .waitFor(
        async () => {
          const pods = await cp.list('v1', 'Pod');
          const podsOf = (w: Obj) =>
            pods
              .filter((p) => p.metadata.namespace === w.metadata.namespace && Object.entries(w.spec?.selector?.matchLabels ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v) && !ownedByJob(p))
              .map((p) => p.metadata.name as string);
          resolutions = await resolveNames(cp, collectNames(objects, podsOf), { owned, platformText: cluster.platformText, defaults: schemaDefaultNames() });
          return resolutions.every((x) => x.verdict !== 'unresolved');
        },
        30_000,
        'every DNS name resolvable',
      )
      .catch(() => {});
    const unique = (xs: readonly Resolution[]) => [...new Map(xs.map((x) => [`${x.name} ${x.verdict}`, x])).values()];
    expect(unique(resolutions.filter((x) => x.verdict === 'unresolved')).map((x) => `${x.name} (${x.where}): ${x.detail}`)).toEqual([]);
    expect(resolutions.length).toBeGreaterThan(0);
    const elsewhere = unique(resolutions.filter((x) => !['service', 'pod-under-governing-service'].includes(x.verdict)));
    console.log(
      `[${version.version} ${cluster.name}] ${new Set(resolutions.map((x) => x.name)).size} distinct DNS names in ${resolutions.length} places resolve (${resolutions.filter((x) => x.verdict === 'service').length} to a Service, ${resolutions.filter((x) => x.verdict === 'pod-under-governing-service').length} to a pod under its governing service); outside the platform's namespaces:\n` +
        elsewhere.map((x) => `    ${x.name}: ${x.verdict}, ${x.detail}`).join('\n'),
    );
  });

  it("flags a pod name under a headless service that does not govern the pod (old lab Redis: redis-v2-N.redis-v2-peers while the StatefulSet's serviceName was redis-v2-headless)", async () => {
    const ns = 'resolver-proof';
    const labels = { app: 'redis-v2' };
    const headless = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: labels, ports: [{ name: 'redis', port: 6379 }] },
    });
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'redis-v2', namespace: ns },
      spec: {
        serviceName: 'redis-v2-headless',
        replicas: 2,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'redis',
                image: 'registry.example.com/redis:8.6.2',
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'SELF_HOST', value: `$(POD_NAME).redis-v2-peers.${ns}.svc.cluster.local` },
                ],
              },
            ],
          },
        },
      },
    };
    for (const o of [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, headless('redis-v2-headless'), headless('redis-v2-peers'), sts]) expect((await cp.applyObject(o)).ok).toBe(true);
    await cp.waitFor(
      async () =>
        (await cp.list('discovery.k8s.io/v1', 'EndpointSlice', ns, 'kubernetes.io/service-name=redis-v2-headless')).flatMap((s) => s.endpoints ?? []).filter((e: Obj) => e.hostname).length === 2,
      60_000,
      'redis-v2-0 and -1 published under redis-v2-headless',
    );
    const pods = (await cp.list('v1', 'Pod', ns)).map((p) => p.metadata.name as string);
    const names: DnsName[] = collectNames([sts], () => pods);
    names.push({ name: `redis-v2-0.redis-v2-headless.${ns}.svc.cluster.local`, labels: ['redis-v2-0', 'redis-v2-headless', ns], where: 'control' });
    const res = await resolveNames(cp, names, { owned: new Set([ns]), platformText: '', defaults: [] });
    const peers = res.filter((x) => x.labels[1] === 'redis-v2-peers');
    expect(peers.map((x) => x.name).sort()).toEqual([`redis-v2-0.redis-v2-peers.${ns}.svc.cluster.local`, `redis-v2-1.redis-v2-peers.${ns}.svc.cluster.local`]);
    for (const x of peers) {
      expect(x.verdict).toBe('unresolved');
      expect(x.detail).toContain('published under redis-v2-headless');
    }
    expect(res.find((x) => x.where === 'control')?.verdict).toBe('pod-under-governing-service');
    // Its pods go (the empty namespace may stay: deleting one takes the namespace controller seconds).
    cp.kubectlOk(['delete', 'statefulset', 'redis-v2', '-n', ns, '--cascade=foreground', '--wait=true', '--timeout=60s']);
  });

  it('runs the Argo CD PreSync check for real: passes with the bootstrap key, fails with the message without it, and its token reads argocd-cm only', async (ctx) => {
    const argocd = r.gitops.find((g) => g.name === 'argocd');
    const cm = argocd?.objects.find((o) => o.kind === 'ConfigMap' && o.data?.['check.sh']);
    const job = argocd?.objects.find((o) => o.kind === 'Job' && o.metadata.annotations?.['argocd.argoproj.io/hook']);
    if (!argocd || !cm || !job) return ctx.skip();
    if (!programs.available) return ctx.skip();
    const ns: string = job.metadata.namespace;
    const spec = job.spec.template.spec;
    const container = spec.containers[0];
    const env = Object.fromEntries((container.env ?? []).filter((e: Obj) => typeof e.value === 'string').map((e: Obj) => [e.name, e.value as string]));
    const dir = mkdtempSync(join(tmpdir(), 'argocd-health-check-'));
    try {
      const token = cp.kubectlOk(['create', 'token', spec.serviceAccountName, '-n', ns, '--duration=10m']).trim();
      const ca = cp.getJson<Obj>(['configmap', 'kube-root-ca.crt', '-n', ns]).data['ca.crt'] as string;
      writeFileSync(join(dir, 'token'), token);
      writeFileSync(join(dir, 'ca.crt'), ca);
      writeFileSync(join(dir, 'check.sh'), cm.data['check.sh']);
      const run = () =>
        spawnSync('sh', [join(dir, 'check.sh')], {
          encoding: 'utf8',
          timeout: 60_000,
          env: { PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cp.port), ...env, TOKEN_DIR: dir },
        });
      const ok = run();
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('argocd-cm assesses Application health');

      const key = 'resource.customizations.health.argoproj.io_Application';
      cp.kubectlOk(['patch', 'configmap', 'argocd-cm', '-n', ns, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: `/data/${key.replaceAll('~', '~0').replaceAll('/', '~1')}` }])]);
      const fail = run();
      expect(fail.status).not.toBe(0);
      expect(fail.stderr).toContain(`argocd-cm has no ${key}`);
      expect(fail.stderr).toContain(`kubectl apply --server-side --field-manager=db-platform-bootstrap -f ${env.BOOTSTRAP_PATH}`);
      const boot = r.gitops.find((g) => g.name === 'argocd/bootstrap');
      if (boot) expect((await applyGitopsFolder(cp, boot)).status).toBe(0);
      expect(run().status).toBe(0);

      // The Role: get argocd-cm, nothing else.
      const asCheck = (...args: string[]) =>
        spawnSync(kubectlPath(), ['--server', cp.server, '--certificate-authority', join(dir, 'ca.crt'), '--token', token, ...args], {
          encoding: 'utf8',
          env: { ...process.env, KUBECONFIG: '/dev/null' },
        });
      cp.kubectlOk(['create', 'configmap', 'other', '-n', ns, '--from-literal=a=b']);
      expect(asCheck('get', 'configmap', 'argocd-cm', '-n', ns, '-o', 'name').status).toBe(0);
      for (const args of [
        ['get', 'configmap', 'other', '-n', ns],
        ['get', 'configmaps', '-n', ns],
        ['get', 'secrets', '-n', ns],
      ]) {
        const res = asCheck(...args);
        expect(res.status, args.join(' ')).not.toBe(0);
        expect(res.stderr).toMatch(/Forbidden/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drains every node in turn: each drain completes, no PodDisruptionBudget ever drops below its minimum', async () => {
    await waitAllReady(cp, ops, 120_000, 'every pod Ready before the drains');
    const results: DrainResult[] = [];
    for (const node of r.topology.nodes) {
      let res: DrainResult;
      try {
        res = await drainNode(cp, node.name, { ops, timeoutMs: 90_000 });
      } finally {
        await setUnschedulable(cp, node.name, false);
      }
      results.push(res);
      if (!res.completed) break;
      await waitAllReady(cp, ops, 120_000, `every pod Ready again after draining ${node.name}`);
    }
    const refusals = results.flatMap((x) => x.refused);
    const why = new Map<string, number>();
    for (const x of refusals) why.set(x.why, (why.get(x.why) ?? 0) + 1);
    console.log(
      `[${version.version} ${cluster.name}] drains: ${results.map((x) => `${x.node} ${x.completed ? 'drained' : 'BLOCKED'} in ${x.ms} ms (${x.evicted.length} evicted, ${x.refused.length} refused)`).join('; ')}\n` +
        `  ${refusals.length} evictions refused (HTTP 429)${refusals.length ? ':' : ''}${[...why].map(([w, n]) => `\n    ${n} × ${w}`).join('')}\n` +
        `  operator reactions: ${results.flatMap((x) => x.reactions.filter((e) => !e.startsWith('mysql.oracle.com'))).join('; ') || 'none'}` +
        (results.some((x) => x.stale.length) ? `\n  PDB status not recounted by the disruption controller: ${[...new Set(results.flatMap((x) => x.stale))].join('; ')}` : '') +
        // The disruption controller recounts a PDB when a pod enters its selector, not when one
        // leaves it; CNPG relabels pods in name order, so a switchover to a lower-numbered
        // instance promotes before it demotes, and a recount in between leaves CNPG's primary
        // PDB counting two. An eviction through that window is the upstream race, not our budgets.
        (results.some((x) => x.raced.length) ? `\n  UPSTREAM RACE, evictions allowed by a stale PDB status: ${results.flatMap((x) => x.raced).join('; ')}` : ''),
    );
    expect(
      results
        .filter((x) => !x.completed)
        .map(
          (x) =>
            `${x.node}: still on it after ${x.ms} ms: ${x.stuck.join(', ')}; refusals: ${x.refused
              .slice(-3)
              .map((y) => y.why)
              .join(' | ')}`,
        ),
    ).toEqual([]);
    expect(results.flatMap((x) => x.violations)).toEqual([]);
  }, 900_000);

  it('catches a PodDisruptionBudget that blocks every drain (minAvailable = replicas)', async () => {
    // On a node of its own (tainted for it), so nothing of the platform is drained with it.
    const ns = 'drain-proof';
    const node = 'drain-proof-node';
    await cp.addNodes([{ name: node, taints: [{ key: 'db-platform.io/drain-proof', effect: 'NoSchedule' }] }]);
    const labels = { app: 'quorum' };
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'quorum', namespace: ns },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { 'kubernetes.io/hostname': node },
              tolerations: [{ key: 'db-platform.io/drain-proof', operator: 'Exists', effect: 'NoSchedule' }],
              containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }],
            },
          },
        },
      },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'quorum', namespace: ns }, spec: { minAvailable: 2, selector: { matchLabels: labels } } },
    ];
    for (const o of objects) expect((await cp.applyObject(o)).ok).toBe(true);
    await cp.waitFor(async () => (await cp.getPath<Obj>(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/quorum`)).status?.currentHealthy === 2, 60_000, 'PDB quorum counting 2 healthy pods');
    try {
      const res = await drainNode(cp, node, { ops, timeoutMs: 8_000 });
      expect(res.completed).toBe(false);
      expect(res.stuck.filter((p) => p.startsWith(`${ns}/`))).toHaveLength(2);
      expect(res.evicted).toEqual([]);
      expect(res.refused.length).toBeGreaterThan(0);
      for (const x of res.refused) expect(x.why).toBe('The disruption budget quorum needs 2 healthy pods and has 2 currently');
      expect(res.violations, res.violations.join('\n')).toEqual([]);
      console.log(
        `[${version.version} ${cluster.name}] a PDB with minAvailable = replicas: drain of ${node} blocked after ${res.ms} ms, ${res.refused.length} evictions refused: ${res.refused[0]?.why}`,
      );
    } finally {
      cp.kubectlOk(['delete', 'deployment', 'quorum', '-n', ns, '--cascade=foreground', '--wait=true', '--timeout=60s']);
      cp.kubectlOk(['delete', 'node', node, '--wait=true', '--timeout=60s']);
    }
  });

  it('keeps our Secrets when their ExternalSecret is deleted (CreateOrMerge), while an Owner Secret is garbage-collected with it', async (ctx) => {
    const rendered = r.objects.filter((o) => o.kind === 'ExternalSecret');
    if (rendered.length === 0) return ctx.skip();
    expect(rendered.filter((o) => o.spec.target?.creationPolicy !== 'CreateOrMerge').map(ref)).toEqual([]);
    const live = await cp.list('external-secrets.io/v1', 'ExternalSecret');
    const secretOf = (es: Obj) => ({ ns: es.metadata.namespace as string, name: (es.spec.target?.name ?? es.metadata.name) as string });
    for (const es of live) {
      const s = secretOf(es);
      const secret = await cp.getPath<Obj>(`/api/v1/namespaces/${s.ns}/secrets/${s.name}`);
      expect(secret.metadata.ownerReferences ?? [], `${s.ns}/${s.name}`).toEqual([]);
    }
    // The old defect: the same ExternalSecret with creationPolicy Owner.
    const proof = structuredClone(rendered[0]!);
    proof.metadata = { name: `${proof.metadata.name}-owner`, namespace: proof.metadata.namespace, labels: proof.metadata.labels };
    proof.spec.target = { ...proof.spec.target, name: `${proof.spec.target.name}-owner`, creationPolicy: 'Owner' };
    const created = await cp.applyObject(proof);
    expect(created.ok, created.message).toBe(true);
    const ownedSecret = esoSecret(created.object!);
    expect(ownedSecret.metadata.ownerReferences).toHaveLength(1);
    expect((await cp.applyObject(ownedSecret, { fieldManager: FIELD_MANAGERS.eso, force: true })).ok).toBe(true);

    for (const es of [...live, created.object!]) cp.kubectlOk(['delete', 'externalsecret', es.metadata.name, '-n', es.metadata.namespace, '--wait=true']);
    // The garbage collector removes the Owner Secret...
    await cp.waitFor(
      async () => (await cp.request('GET', `/api/v1/namespaces/${proof.metadata.namespace}/secrets/${proof.spec.target.name}`)).status === 404,
      60_000,
      'the Owner Secret garbage-collected',
    );
    // ...and has nothing to do with ours: every one is still there.
    for (const es of live) {
      const s = secretOf(es);
      expect((await cp.request('GET', `/api/v1/namespaces/${s.ns}/secrets/${s.name}`)).status, `${s.ns}/${s.name}`).toBe(200);
    }
    // Put the ExternalSecrets back (as the next sync would).
    const again = await cp.applyServerSide(
      r.objects
        .filter((o) => o.kind === 'ExternalSecret')
        .map((o) => stringify(o))
        .join('---\n'),
      { fieldManager: 'db-platform' },
    );
    expect(again.warnings).toEqual([]);
  });
});

if (cases.length === 0) it.skip(check.reason || 'no cluster with a platform.yaml and a render', () => {});
