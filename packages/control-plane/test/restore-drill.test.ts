/**
 * The restore and drill Jobs on a real control plane (the newest Kubernetes built), and their
 * network policies evaluated by cyclonus. Every cluster is rendered again, in a scratch
 * workspace, with a `restores:` entry per engine that restores (a restore and a listing of one
 * of its tenants) added to its platform.yaml, and applied with what the operators create:
 *  - the pods of every restore and listing Job, and of a Job from every engine's drill and
 *    backup CronJob, named here, are scheduled, none on an avoided node; without its node
 *    affinity a restore pod and a drill pod land on one (the test can fail);
 *  - each of those pods, as kube-controller-manager created it, is selected by exactly the
 *    NetworkPolicies meant for it (the policy's podSelector against the live pod's labels);
 *  - cyclonus (lib/cyclonus.ts), given the policies as the API server stored them and the live
 *    pods' labels and namespaces, allows exactly the flows the Jobs need (the server behind the
 *    Service their env names, the Pushgateway, kube-dns) and denies the rest (a drill or a
 *    listing to the live server, any of them to other engines' servers, tenants' namespaces,
 *    Prometheus and the API server; anything into their pods), per direction; removing the
 *    restore's Pushgateway rule, or widening the restore selector to listings, flips exactly
 *    the flows it should (the test can fail).
 * No CNI runs here: nothing enforces the policies; cyclonus says what an implementation of the
 * NetworkPolicy API would do with them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { requirePrograms } from '@db/core/testing';
import { requireControlPlane, type ControlPlane } from '../src/index.ts';
import { discoverClusters, ref, ROOT, type ClusterInfo, type Obj } from './lib/desired.ts';
import { collectNames } from './lib/names.ts';
import { Operators } from './lib/operators.ts';
import { bootstrap, namespacesFor, readRendered, waitAllReady, type RenderedCluster } from './lib/platform.ts';
import { setUnschedulable } from './lib/drain.ts';
import { CYCLONUS_VERSION, queryTraffic, type Endpoint, type Flow, type Verdict } from './lib/cyclonus.ts';

const check = requireControlPlane('control-plane suite (restore and drill Jobs)');
const tool = check.available
  ? requirePrograms(`NetworkPolicy evaluation by cyclonus ${CYCLONUS_VERSION}`, ['cyclonus'], 'scripts/install-go-tools.sh builds it')
  : { available: false, reason: check.reason };
// One version: scheduling and label selection do not differ between the built versions, and
// platform.test.ts already applies every cluster to each of them.
const VERSION = check.versions[0];
const CLUSTERS = check.available ? discoverClusters() : [];

/** The tenant key of platform.yaml for an engine's app.kubernetes.io/name. */
const ENGINE_KEY: Record<string, string> = { postgresql: 'postgres', mysql: 'mysql', redis: 'redis' };
/** Engines that restore one tenant's dump (Redis keeps one RDB of the instance: no per-tenant restore). */
const RESTORABLE = ['postgres', 'mysql'];
/** What runs outside the platform, as its own manifests label it. */
const KUBE_DNS = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }; // CoreDNS of kubeadm and k3s
const PUSHGATEWAY_LABELS = { 'app.kubernetes.io/name': 'prometheus-pushgateway', 'app.kubernetes.io/instance': 'prometheus-pushgateway' }; // prometheus-community chart
const PROMETHEUS_LABELS = { 'app.kubernetes.io/name': 'prometheus', prometheus: 'kube-prometheus-stack-prometheus' }; // prometheus-operator
const API_SERVER_IP = '10.43.0.1';

const jobName = (base: string, suffix: string) => `${base.slice(0, 63 - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
const selects = (selector: Obj | undefined, labels: Record<string, string>) => {
  expect(selector?.matchExpressions ?? [], 'matchExpressions in a podSelector').toEqual([]);
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
};
const component = (o: Obj): string => o.spec?.jobTemplate?.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'] ?? o.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'];

/** platform.yaml with a restore and a listing of the first tenant of every restorable engine it runs. */
function withRestores(info: ClusterInfo): { text: string; added: { engine: string; tenant: string; action: string }[] } {
  const platform = structuredClone(info.platform);
  const added: { engine: string; tenant: string; action: string }[] = [];
  for (const engine of RESTORABLE) {
    if (!platform[engine]) continue;
    const tenant = (platform.tenants ?? []).find((t: Obj) => t[engine] && t.state !== 'retired');
    if (!tenant) continue;
    for (const action of ['restore', 'list']) added.push({ engine, tenant: tenant.name, action });
  }
  platform.restores = [
    ...(platform.restores ?? []),
    ...added.map((a) => ({
      engine: a.engine,
      tenant: a.tenant,
      ...(a.action === 'list' ? { action: 'list' } : { into: `${a.tenant.replace(/-/g, '_')}_restored` }),
      reason: 'control-plane restore-drill test',
    })),
  ];
  return { text: stringify(platform), added };
}

/** Renders the cluster from `text` in a scratch workspace with the CLI; returns clusters/<cluster> there. */
function renderScratch(cluster: string, text: string): { dir: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), `db-platform-restore-${cluster}-`));
  mkdirSync(join(root, 'apps', cluster), { recursive: true });
  writeFileSync(join(root, 'apps', cluster, 'platform.yaml'), text);
  cpSync(join(ROOT, 'policy'), join(root, 'policy'), { recursive: true });
  const r = spawnSync(process.execPath, [join(ROOT, 'packages/platform/bin/db-platform.mjs'), 'synth', cluster, '--force'], {
    cwd: root,
    env: { ...process.env, DB_PLATFORM_WORKSPACE: root },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`synth ${cluster} with restores refused:\n${r.stdout}\n${r.stderr}`);
  return { dir: join(root, 'clusters', cluster), root };
}

/** One engine of the cluster as the test sees it: its Jobs' live pods and the server they talk to. */
interface EngineUnderTest {
  readonly engine: string;
  readonly namespace: string;
  readonly instance: string;
  readonly backup: Obj;
  readonly drill: Obj;
  /** Rendered restore and listing Jobs of this engine (none for Redis). */
  readonly restore?: Obj;
  readonly list?: Obj;
  /** Live pods, by role. */
  pods: Record<'backup' | 'drill' | 'restore' | 'list', Obj | undefined>;
  /** The server behind the Service the backup's env names, at the port the Service sends it to. */
  server?: { service: string; pod: Obj; port: number };
  /** A pod of one of the engine's tenants, in its namespace. */
  tenant?: Endpoint;
}

const cases = VERSION ? CLUSTERS.map((cluster) => ({ cluster, title: `Kubernetes ${VERSION.version}, cluster ${cluster.name} with restores` })) : [];

describe.each(cases)('$title', ({ cluster }: { cluster: ClusterInfo }) => {
  let cp: ControlPlane;
  let r: RenderedCluster;
  let scratch = '';
  let added: { engine: string; tenant: string; action: string }[] = [];
  const engines: EngineUnderTest[] = [];
  let created: { e: EngineUnderTest; role: 'backup' | 'drill' | 'restore' | 'list'; ns: string; name: string }[] = [];
  let namespaceLabels = new Map<string, Record<string, string>>();
  const avoid = () => r.topology.avoidNodes;

  beforeAll(async () => {
    const t0 = Date.now();
    const variant = withRestores(cluster);
    added = variant.added;
    const out = renderScratch(cluster.name, variant.text);
    scratch = out.root;
    const info = { ...cluster, platform: parse(variant.text), platformText: variant.text, dir: out.dir };
    r = readRendered(info, out.dir);
    const dns = [...new Set(collectNames(r.objects, () => []).map((n) => n.labels[n.labels.length - 1]!))];
    cp = (await bootstrap(VERSION!, `${cluster.name}-restore`, r.topology, namespacesFor(r, dns))).cp;
    const applied = await cp.applyServerSide(r.yaml, { fieldManager: 'db-platform', allowFailure: true });
    if (applied.status !== 0) throw new Error(`apply of ${cluster.name} with restores failed:\n${applied.stderr}`);
    const ops = new Operators(cp);
    await ops.createAll();
    await waitAllReady(cp, ops, 120_000, `every pod of ${cluster.name} Ready`);
    namespaceLabels = new Map((await cp.list('v1', 'Namespace')).map((n) => [n.metadata.name as string, n.metadata.labels ?? {}]));
    for (const backup of r.objects.filter((o) => o.kind === 'CronJob' && component(o) === 'backup')) {
      const labels = backup.spec.jobTemplate.spec.template.metadata.labels;
      const engine = labels['app.kubernetes.io/name'];
      const instance = labels['app.kubernetes.io/instance'];
      const same = (o: Obj) => o.metadata.namespace === backup.metadata.namespace && (o.spec?.jobTemplate?.spec ?? o.spec)?.template?.metadata?.labels?.['app.kubernetes.io/instance'] === instance;
      const drill = r.objects.find((o) => o.kind === 'CronJob' && component(o) === 'restore-drill' && same(o));
      if (!drill) throw new Error(`no restore drill beside ${ref(backup)}`);
      const jobs = r.objects.filter((o) => o.kind === 'Job' && component(o) === 'restore' && same(o));
      const entry = (action: string) => added.find((a) => a.engine === ENGINE_KEY[engine] && a.action === action);
      const ofEntry = (action: string) => {
        const e = entry(action);
        return e
          ? jobs.find((j) => j.metadata.name.startsWith(`${action}-${e.engine}-${e.tenant}-`) && j.metadata.annotations?.['db-platform.io/reason'] === 'control-plane restore-drill test')
          : undefined;
      };
      engines.push({
        engine,
        namespace: backup.metadata.namespace,
        instance,
        backup,
        drill,
        restore: ofEntry('restore'),
        list: ofEntry('list'),
        pods: { backup: undefined, drill: undefined, restore: undefined, list: undefined },
      });
    }
    // The Jobs: the rendered restore and listing Jobs run on apply; one Job from each backup and drill CronJob.
    created = [];
    for (const e of engines) {
      for (const role of ['backup', 'drill'] as const) {
        const cj = e[role];
        const name = jobName(cj.metadata.name, 'test');
        cp.kubectlOk(['create', 'job', name, `--from=cronjob/${cj.metadata.name}`, '-n', cj.metadata.namespace]);
        created.push({ e, role, ns: cj.metadata.namespace, name });
      }
      for (const role of ['restore', 'list'] as const) if (e[role]) created.push({ e, role, ns: e.namespace, name: e[role]!.metadata.name });
    }
    await cp.waitFor(
      async () => {
        for (const c of created) if (!c.e.pods[c.role]) c.e.pods[c.role] = (await cp.list('v1', 'Pod', c.ns, `job-name=${c.name}`)).find((p) => p.spec.nodeName);
        return created.every((c) => c.e.pods[c.role]);
      },
      90_000,
      `the pods of ${created.map((c) => c.name).join(', ')} scheduled`,
    );
    console.log(
      `[${VERSION!.version} ${cluster.name}] rendered with ${added.length} added restores: entries, applied, Jobs scheduled in ${Date.now() - t0} ms (engines: ${engines.map((e) => `${e.engine} ${e.namespace}/${e.instance}`).join(', ')})`,
    );
  }, 300_000);
  afterAll(async () => {
    await cp?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('schedules the restore and listing Job of every restorable engine and a Job from every engine’s drill and backup CronJob, none on an avoided node', async () => {
    // Named: PostgreSQL, MySQL and Redis each have a backup and a drill; PostgreSQL and MySQL a restore and a listing.
    expect(engines.map((e) => e.engine).sort()).toEqual(['mysql', 'postgresql', 'redis']);
    expect(added.map((a) => `${a.engine} ${a.action}`).sort()).toEqual(['mysql list', 'mysql restore', 'postgres list', 'postgres restore']);
    for (const e of engines) {
      const restorable = RESTORABLE.includes(ENGINE_KEY[e.engine]!);
      expect(!!e.restore && !!e.list, `${e.engine}: restore and listing Jobs rendered`).toBe(restorable);
      if (restorable) {
        expect(e.restore!.metadata.name).toMatch(new RegExp(`^restore-${ENGINE_KEY[e.engine]}-`));
        expect(e.list!.metadata.name).toMatch(new RegExp(`^list-${ENGINE_KEY[e.engine]}-`));
      }
    }
    if (cluster.platform.scheduling?.avoidNodes?.length) expect(avoid().length).toBeGreaterThan(0);
    const placed = created.map((c) => ({ job: `${c.ns}/${c.name}`, node: c.e.pods[c.role]!.spec.nodeName as string }));
    expect(placed.filter((p) => avoid().includes(p.node))).toEqual([]);
    console.log(`[${VERSION!.version} ${cluster.name}] avoided: ${avoid().join(', ') || 'none'}; ${placed.map((p) => `${p.job} on ${p.node}`).join('; ')}`);
  });

  it('without its node affinity a restore pod and a drill pod land on an avoided node, and with it have nowhere to go (the test can fail)', async (ctx) => {
    if (avoid().length === 0) {
      console.log(`[${VERSION!.version} ${cluster.name}] no scheduling.avoidNodes: nothing to land on`);
      return ctx.skip();
    }
    const pg = engines.find((e) => e.engine === 'postgresql' && e.restore)!;
    const ns = pg.namespace;
    const copy = (o: Obj, name: string, affinity: boolean) => {
      const job = structuredClone(o.kind === 'CronJob' ? { apiVersion: 'batch/v1', kind: 'Job', metadata: {}, spec: o.spec.jobTemplate.spec } : o);
      job.metadata = { name, namespace: ns, labels: o.metadata.labels };
      if (!affinity) delete job.spec.template.spec.affinity;
      return job;
    };
    const proofs = [
      { name: 'proof-restore-no-affinity', job: copy(pg.restore!, 'proof-restore-no-affinity', false), lands: true },
      { name: 'proof-drill-no-affinity', job: copy(pg.drill, 'proof-drill-no-affinity', false), lands: true },
      { name: 'proof-restore-rendered', job: copy(pg.restore!, 'proof-restore-rendered', true), lands: false },
      { name: 'proof-drill-rendered', job: copy(pg.drill, 'proof-drill-rendered', true), lands: false },
    ];
    const others = r.topology.nodes.map((n) => n.name).filter((n) => !avoid().includes(n));
    for (const n of others) await setUnschedulable(cp, n, true);
    try {
      for (const p of proofs) expect((await cp.applyObject(p.job, { fieldManager: 'db-platform-test' })).ok, p.name).toBe(true);
      const outcome = new Map<string, string>();
      await cp.waitFor(
        async () => {
          for (const p of proofs) {
            const pod = (await cp.list('v1', 'Pod', ns, `job-name=${p.name}`))[0];
            if (pod?.spec.nodeName) outcome.set(p.name, `on ${pod.spec.nodeName}`);
            const refused = (pod?.status?.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
            if (refused) outcome.set(p.name, `Unschedulable: ${refused.message}`);
          }
          return outcome.size === proofs.length;
        },
        60_000,
        'the proof pods scheduled or refused',
      );
      for (const p of proofs) {
        if (p.lands)
          expect(
            avoid().map((n) => `on ${n}`),
            `${p.name}: ${outcome.get(p.name)}`,
          ).toContain(outcome.get(p.name));
        else expect(outcome.get(p.name), p.name).toMatch(/^Unschedulable: .*(node affinity|didn't match)/);
      }
    } finally {
      for (const n of others) await setUnschedulable(cp, n, false);
      cp.kubectlOk(['delete', 'job', ...proofs.map((p) => p.name), '-n', ns, '--cascade=foreground', '--wait=true']);
    }
  });

  it('selects each pod kube-controller-manager created with exactly the NetworkPolicies meant for it', async () => {
    const policies = await cp.list('networking.k8s.io/v1', 'NetworkPolicy');
    const selecting = (pod: Obj) =>
      policies
        .filter((p) => p.metadata.namespace === pod.metadata.namespace && selects(p.spec.podSelector, pod.metadata.labels ?? {}))
        .map((p) => p.metadata.name as string)
        .sort();
    for (const e of engines) {
      const drillPolicy = e.drill.metadata.name;
      const expected: Record<string, string[] | undefined> = {
        backup: ['allow-dns', 'default-deny', e.backup.metadata.name].sort(),
        drill: ['allow-dns', 'default-deny', drillPolicy].sort(),
        // The listing reads NFS through the kubelet's mount and pushes nothing: DNS only.
        list: e.list ? ['allow-dns', 'default-deny'] : undefined,
        restore: e.restore ? ['allow-dns', 'default-deny', `${e.instance}-restore`].sort() : undefined,
      };
      for (const role of ['backup', 'drill', 'restore', 'list'] as const) {
        const pod = e.pods[role];
        if (!expected[role]) continue;
        expect(pod, `${e.engine} ${role} pod`).toBeDefined();
        // The live pod carries its template's labels (and the Job controller's own).
        const template = (role === 'backup' || role === 'drill' ? e[role].spec.jobTemplate.spec : e[role]!.spec).template.metadata.labels;
        expect(pod!.metadata.labels).toMatchObject(template);
        expect(pod!.metadata.labels['batch.kubernetes.io/job-name'] ?? pod!.metadata.labels['job-name']).toBeTruthy();
        expect(selecting(pod!), `${e.engine} ${role} pod ${pod!.metadata.name}`).toEqual(expected[role]);
      }
    }
  });

  // Without cyclonus (locally) only this test is skipped, with the reason printed; in CI it fails at load.
  it.skipIf(!tool.available)(
    `lets the restore, listing, drill and backup pods through exactly what they need, as cyclonus ${CYCLONUS_VERSION} evaluates the stored policies; a removed rule or a widened selector flips it (the test can fail)`,
    async () => {
      const policies = (await cp.list('networking.k8s.io/v1', 'NetworkPolicy')).map((p) => ({ metadata: { name: p.metadata.name, namespace: p.metadata.namespace }, spec: p.spec }));
      const pods = await cp.list('v1', 'Pod');
      const services = await cp.list('v1', 'Service');
      const at = (pod: Obj): Endpoint => ({ pod: { namespace: pod.metadata.namespace, namespaceLabels: namespaceLabels.get(pod.metadata.namespace) ?? {}, labels: pod.metadata.labels ?? {} } });
      const synthetic = (namespace: string, labels: Record<string, string>): Endpoint => {
        expect(namespaceLabels.has(namespace), `namespace ${namespace} on the control plane`).toBe(true);
        return { pod: { namespace, namespaceLabels: namespaceLabels.get(namespace)!, labels } };
      };
      const envOf = (o: Obj) => {
        const spec = (o.spec.jobTemplate?.spec ?? o.spec).template.spec;
        return Object.fromEntries((spec.containers[0].env ?? []).filter((x: Obj) => typeof x.value === 'string').map((x: Obj) => [x.name as string, x.value as string]));
      };
      // The live server: the Service named by the backup's *HOST, its port from *PORT, to a pod it selects.
      for (const e of engines) {
        const env = envOf(e.backup);
        const hostKey = Object.keys(env).find((k) => /HOST$/.test(k));
        expect(hostKey, `${e.engine}: the backup's env names its server (PGHOST, MYSQL_HOST, REDIS_HOST)`).toBeDefined();
        const host = env[hostKey!]!.split('.')[0]!;
        const servicePort = Number(env[hostKey!.replace(/HOST$/, 'PORT')]);
        // The restore connects where the backup does (a listing gets no connection at all).
        if (e.restore)
          expect([envOf(e.restore)[hostKey!], envOf(e.restore)[hostKey!.replace(/HOST$/, 'PORT')]], `${e.engine}: the restore's server`).toEqual([
            env[hostKey!],
            env[hostKey!.replace(/HOST$/, 'PORT')],
          ]);
        if (e.list) expect(envOf(e.list)[hostKey!], `${e.engine}: a listing's env names no server`).toBeUndefined();
        const svc = services.find((s) => s.metadata.namespace === e.namespace && s.metadata.name === host);
        expect(svc, `${e.engine}: Service ${host} (${hostKey}) on the control plane`).toBeDefined();
        const port = svc!.spec.ports.find((p: Obj) => p.port === servicePort);
        expect(port, `${e.engine}: Service ${host} has port ${servicePort}`).toBeDefined();
        const pod = pods.find((p) => p.metadata.namespace === e.namespace && Object.entries(svc!.spec.selector ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v));
        expect(pod, `${e.engine}: a pod behind Service ${host}`).toBeDefined();
        const target = port.targetPort ?? port.port;
        const resolved = typeof target === 'number' ? target : pod!.spec.containers.flatMap((c: Obj) => c.ports ?? []).find((p: Obj) => p.name === target)?.containerPort;
        expect(resolved, `${e.engine}: targetPort ${target} of ${host}`).toBeTypeOf('number');
        e.server = { service: host, pod: pod!, port: resolved };
        const tenant = (cluster.platform.tenants ?? []).find((t: Obj) => t[ENGINE_KEY[e.engine]!]);
        if (tenant) e.tenant = synthetic(tenant.namespace ?? tenant.name, { 'app.kubernetes.io/name': tenant.name });
      }
      const pushgatewayUrl = new URL(envOf(engines[0]!.backup).PUSHGATEWAY_URL!);
      const pgwNamespace = pushgatewayUrl.hostname.split('.')[1]!;
      const pushgateway = { endpoint: synthetic(pgwNamespace, PUSHGATEWAY_LABELS), port: Number(pushgatewayUrl.port || 80) };
      const kubeDns = synthetic(KUBE_DNS.namespace, KUBE_DNS.labels);
      const prometheus = synthetic(pgwNamespace, PROMETHEUS_LABELS);
      const apiPorts = [...new Set(policies.flatMap((p) => (p.spec.egress ?? []).filter((x: Obj) => !x.to).flatMap((x: Obj) => (x.ports ?? []).map((y: Obj) => y.port as number))))].sort();
      expect(apiPorts.length, 'API-server egress rules (ports, no peers) in the policies').toBeGreaterThan(0);

      type Case = Flow & { name: string; expect: { egress: boolean; ingress: boolean } };
      const cases: Case[] = [];
      const add = (name: string, from: Endpoint, to: Endpoint, port: number, egress: boolean, ingress: boolean, protocol: 'TCP' | 'UDP' = 'TCP') =>
        cases.push({ name, from, to, port, protocol, expect: { egress, ingress } });
      for (const e of engines) {
        const others = engines.filter((o) => o !== e);
        for (const role of ['restore', 'list', 'drill', 'backup'] as const) {
          const pod = e.pods[role];
          if (!pod) continue;
          const who = `${e.engine} ${role}`;
          const src = at(pod);
          // Needs: the restore and the backup reach the live server and the Pushgateway; every pod resolves names.
          const talksToServer = role === 'restore' || role === 'backup';
          const pushes = role !== 'list';
          add(`${who} → live server ${e.server!.service} :${e.server!.port}`, src, at(e.server!.pod), e.server!.port, talksToServer, talksToServer);
          add(`${who} → Pushgateway :${pushgateway.port}`, src, pushgateway.endpoint, pushgateway.port, pushes, true);
          add(`${who} → kube-dns :53/UDP`, src, kubeDns, 53, true, true, 'UDP');
          add(`${who} → kube-dns :53/TCP`, src, kubeDns, 53, true, true);
          for (const port of apiPorts) add(`${who} → API server :${port}`, src, { ip: API_SERVER_IP }, port, false, true);
          add(`${who} → Prometheus :9090`, src, prometheus, 9090, false, true);
          for (const o of others) add(`${who} → ${o.engine} server ${o.server!.service} :${o.server!.port}`, src, at(o.server!.pod), o.server!.port, false, false);
          if (e.tenant) add(`${who} → tenant ${e.tenant.pod!.namespace} :${e.server!.port}`, src, e.tenant, e.server!.port, false, true);
          // Nothing gets into the Jobs' pods.
          if (role !== 'backup') {
            if (e.tenant) add(`tenant ${e.tenant.pod!.namespace} → ${who} :${e.server!.port}`, e.tenant, src, e.server!.port, true, false);
            add(`Prometheus → ${who} :9090`, prometheus, src, 9090, true, false);
            add(`outside → ${who} :${e.server!.port}`, { ip: '192.0.2.10' }, src, e.server!.port, true, false);
          }
        }
      }
      const verdictsOf = (set: readonly Obj[]) => queryTraffic(set, cases);
      const show = (c: Case, v: Verdict) => `${c.name}: egress ${v.egress ? 'allowed' : 'denied'}, ingress ${v.ingress ? 'allowed' : 'denied'}`;
      const t0 = Date.now();
      const base = verdictsOf(policies);
      const ms = Date.now() - t0;
      const wrong = cases.flatMap((c, i) =>
        base[i]!.egress === c.expect.egress && base[i]!.ingress === c.expect.ingress
          ? []
          : [`${show(c, base[i]!)}; expected egress ${c.expect.egress}, ingress ${c.expect.ingress}\n${base[i]!.table}`],
      );
      expect(wrong).toEqual([]);
      expect(cases.filter((c) => c.expect.egress && c.expect.ingress).length).toBeGreaterThan(0);
      for (const e of engines) expect(cases.filter((c) => c.name.startsWith(`${e.engine} drill → live server`)).length, `${e.engine}: drill → live server asked`).toBe(1);

      // Mutation 1: the PostgreSQL restore policy without its Pushgateway rule: exactly restore → Pushgateway flips.
      const pg = engines.find((e) => e.engine === 'postgresql' && e.restore)!;
      const restorePolicy = `${pg.instance}-restore`;
      const noPush = policies.map((p) =>
        p.metadata.name === restorePolicy && p.metadata.namespace === pg.namespace
          ? { ...p, spec: { ...p.spec, egress: p.spec.egress.filter((x: Obj) => !(x.ports ?? []).some((y: Obj) => y.port === pushgateway.port)) } }
          : p,
      );
      expect(noPush.find((p) => p.metadata.name === restorePolicy)!.spec.egress.length).toBe(policies.find((p) => p.metadata.name === restorePolicy)!.spec.egress.length - 1);
      const flipped = (set: readonly Obj[]) => {
        const v = verdictsOf(set);
        return cases.flatMap((c, i) => (v[i]!.egress !== base[i]!.egress || v[i]!.ingress !== base[i]!.ingress ? [show(c, v[i]!)] : []));
      };
      expect(flipped(noPush)).toEqual([`postgresql restore → Pushgateway :${pushgateway.port}: egress denied, ingress allowed`]);

      // Mutation 2: the restore selectors widened to the listings (without db-platform.io/restoring, as before this test
      // found it): the listing reaches the live server and the Pushgateway.
      const widen = (sel: Obj | undefined) => {
        if (!sel?.matchLabels?.['db-platform.io/restoring']) return sel;
        const { 'db-platform.io/restoring': _, ...rest } = sel.matchLabels;
        return { ...sel, matchLabels: rest };
      };
      const widened = policies.map((p) => ({
        ...p,
        spec: {
          ...p.spec,
          podSelector: widen(p.spec.podSelector),
          ...(p.spec.ingress
            ? { ingress: p.spec.ingress.map((x: Obj) => (x.from ? { ...x, from: x.from.map((f: Obj) => (f.podSelector ? { ...f, podSelector: widen(f.podSelector) } : f)) } : x)) }
            : {}),
        },
      }));
      const listFlips = flipped(widened);
      expect(listFlips).toEqual(
        engines
          .filter((e) => e.list)
          .flatMap((e) => [
            `${e.engine} list → live server ${e.server!.service} :${e.server!.port}: egress allowed, ingress allowed`,
            `${e.engine} list → Pushgateway :${pushgateway.port}: egress allowed, ingress allowed`,
          ]),
      );
      console.log(
        `[${VERSION!.version} ${cluster.name}] cyclonus ${CYCLONUS_VERSION}: ${cases.length} flows over ${policies.length} policies in ${ms} ms, ${cases.filter((c) => c.expect.egress && c.expect.ingress).length} allowed, ${cases.filter((c) => !(c.expect.egress && c.expect.ingress)).length} denied as expected; mutations flip: ${flipped(noPush).join('; ')} | ${listFlips.join('; ')}`,
      );
    },
  );
});

if (cases.length === 0) it.skip(check.reason || 'no cluster with a platform.yaml and a render', () => {});
