import { describe, expect, it } from 'vitest';
import { CORE_RULES } from '../src/rules.ts';
import { runGuardrails, withWaiverAnnotations, WAIVER_ANNOTATION_PREFIX } from '../src/guardrails.ts';
import { isPinnedReference } from '../src/images.ts';
import type { CustomResourceFacts } from '../src/engine.ts';
import type { RenderedObject } from '../src/objects.ts';
import { modelFromYaml } from '../src/testing/index.ts';

const BASE = `cluster: t
storage: { block: proxmox-lvm, nfs: [nfs-client] }
backups: { nfs: { server: n, path: /x } }
scheduling: { avoidNodes: [k8s-node1] }
monitoring: { pushgateway: "http://p:9091", runbookBaseUrl: "https://e.org/r" }
tenants: []
`;

const sts = (over: Record<string, any> = {}): RenderedObject => ({
  component: 'x',
  object: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'dbaas', labels: { 'app.kubernetes.io/component': 'database' } },
    spec: {
      template: {
        metadata: { labels: { 'keel.sh/policy': 'never' }, annotations: { 'keel.sh/policy': 'never', 'diun.enable': 'false' } },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['k8s-node1'] }] }] },
            },
          },
          containers: [{ name: 'db', image: 'docker.io/library/mysql:8.4.4' }],
        },
      },
      volumeClaimTemplates: [{ spec: { storageClassName: 'proxmox-lvm' } }],
      ...over,
    },
  },
});

const ids = (objects: RenderedObject[], yaml = BASE) => {
  const r = runGuardrails(CORE_RULES, { model: modelFromYaml(yaml), objects, facts: {} });
  return { errors: r.errors.map((e) => e.message.slice(1, e.message.indexOf(']'))), report: r };
};

describe('core guardrails', () => {
  it('pass a compliant database workload', () => expect(ids([sts()]).errors).toEqual([]));
  it("see through any engine's custom resource by the reader the engine declares, and know no kind of their own", () => {
    // An operator's database cluster: its pods come from spec.pod, its data from spec.volume, its operand image from spec.engineImage.
    const widget: RenderedObject = {
      component: 'x',
      object: {
        apiVersion: 'example.io/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'dbaas' },
        spec: { pod: { metadata: {}, affinity: {} }, volume: { storageClass: 'nfs-client' }, engineImage: 'example.io/widget:latest' },
      },
    };
    const facts: CustomResourceFacts = {
      kinds: [
        {
          group: 'example.io',
          kind: 'Widget',
          dataPods: true,
          nodeAffinity: (o) => o.spec.pod.affinity.nodeAffinity,
          podMetadata: (o) => o.spec.pod.metadata,
          dataStorageClasses: (o) => [o.spec.volume.storageClass],
          images: (o) => [o.spec.engineImage],
        },
      ],
    };
    const r = runGuardrails(CORE_RULES, { model: modelFromYaml(BASE), objects: [widget], facts });
    expect(r.errors.map((e) => e.message.slice(1, e.message.indexOf(']'))).sort()).toEqual(['database-on-gpu-node', 'image-update-opt-out', 'nfs-database-volume', 'unpinned-image']);
    expect(ids([widget]).errors).toEqual([]);
  });
  it('refuse a database volume on NFS', () => expect(ids([sts({ volumeClaimTemplates: [{ spec: { storageClassName: 'nfs-client' } }] })]).errors).toEqual(['nfs-database-volume']));
  it('refuse a database that can land on the GPU node', () => {
    const o = sts();
    o.object.spec.template.spec.affinity = {};
    expect(ids([o]).errors).toEqual(['database-on-gpu-node']);
  });
  it('refuse any job the platform runs (backup, provisioning, push) that can land on the GPU node', () => {
    const job: RenderedObject = {
      component: 'x',
      object: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'backup', namespace: 'dbaas', labels: { 'app.kubernetes.io/component': 'backup' } },
        spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'docker.io/library/mysql:8.4.4' }] } } } } },
      },
    };
    expect(ids([job]).errors).toEqual(['database-on-gpu-node']);
    job.object.spec.jobTemplate.spec.template.spec.affinity = sts().object.spec.template.spec.affinity;
    expect(ids([job]).errors).toEqual([]);
  });
  it('refuse a version label on a claim template (immutable: every bump would need a replace)', () => {
    expect(ids([sts({ volumeClaimTemplates: [{ metadata: { name: 'data', labels: { 'app.kubernetes.io/version': '8.4.4' } }, spec: { storageClassName: 'proxmox-lvm' } }] })]).errors).toEqual([
      'versioned-claim-template',
    ]);
  });
  it('refuse an unpinned image and a missing update-bot opt-out', () => {
    const o = sts();
    o.object.spec.template.spec.containers[0].image = 'redis:8-alpine';
    o.object.spec.template.metadata = {};
    expect(ids([o]).errors.sort()).toEqual(['image-update-opt-out', 'unpinned-image']);
  });
  it('accept a waiver with its reason, written onto the object', () => {
    const o = sts({ volumeClaimTemplates: [{ spec: { storageClassName: 'nfs-client' } }] });
    const yaml = `${BASE}waivers:\n  - { rule: nfs-database-volume, object: StatefulSet/dbaas/db, reason: "a throwaway test database on NFS" }\n`;
    const { errors, report } = ids([o], yaml);
    expect(errors).toEqual([]);
    expect(report.waived).toEqual([{ rule: 'nfs-database-volume', object: 'StatefulSet/dbaas/db', reason: 'a throwaway test database on NFS' }]);
    // Running the rules changes nothing; the annotation comes with withWaiverAnnotations, on a new object.
    expect(o.object.metadata.annotations?.[`${WAIVER_ANNOTATION_PREFIX}nfs-database-volume`]).toBeUndefined();
    const [annotated] = withWaiverAnnotations([o], report.waived);
    expect(annotated!.object.metadata.annotations?.[`${WAIVER_ANNOTATION_PREFIX}nfs-database-volume`]).toBe('a throwaway test database on NFS');
    expect(annotated).not.toBe(o);
  });
  it('tell pinned image references from floating ones', () => {
    for (const ref of ['ghcr.io/cloudnative-pg/postgis:16-3.4-49', 'redis:8.6.2-alpine', 'r:5000/x/y:1.2', `x@sha256:${'a'.repeat(64)}`]) expect(isPinnedReference(ref), ref).toBe(true);
    for (const ref of ['redis', 'redis:latest', 'redis:8-alpine', 'postgres:16', 'r:5000/x/y', 'x:1.2-latest']) expect(isPinnedReference(ref), ref).toBe(false);
  });
});
