/** The guardrails every engine shares. Engine-specific rules live in their packages. */
import { isPinned } from './labels.ts';
import { isPinnedReference } from './images.ts';
import { imagesOf, objectRef, podTemplate, type K8sObject } from './objects.ts';
import type { Finding, Rule, RuleContext } from './guardrails.ts';

/** `app.kubernetes.io/component` values of pods that hold or serve data. */
export const DATA_COMPONENTS: ReadonlySet<string> = new Set(['database', 'pooler', 'sentinel', 'proxy']);

/** Objects whose pods hold or serve data: CNPG clusters and poolers, and workloads labelled as such. */
export function isDataWorkload(o: K8sObject): boolean {
  if (o.apiVersion.startsWith('postgresql.cnpg.io/') && (o.kind === 'Cluster' || o.kind === 'Pooler')) return true;
  if (o.apiVersion.startsWith('mysql.oracle.com/') && o.kind === 'InnoDBCluster') return true;
  const component = o.metadata.labels?.['app.kubernetes.io/component'];
  return podTemplate(o) !== undefined && component !== undefined && DATA_COMPONENTS.has(component);
}

/** The node affinity that governs where an object's pods may run. */
function nodeAffinityOf(o: K8sObject): Record<string, any> | undefined {
  if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/')) return o.spec?.affinity?.nodeAffinity;
  if (o.kind === 'Pooler') return o.spec?.template?.spec?.affinity?.nodeAffinity;
  if (o.kind === 'InnoDBCluster') return o.spec?.podSpec?.affinity?.nodeAffinity;
  return podTemplate(o)?.spec?.affinity?.nodeAffinity;
}

/** Metadata the pods of an object carry (where image-update bots look). */
function podMetadataOf(o: K8sObject): { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined {
  if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/')) return o.spec?.inheritedMetadata;
  if (o.kind === 'Pooler') return o.spec?.template?.metadata;
  if (o.kind === 'InnoDBCluster') return o.spec?.podAnnotations || o.spec?.podLabels ? { labels: o.spec?.podLabels, annotations: o.spec?.podAnnotations } : undefined;
  return podTemplate(o)?.metadata;
}

/** Storage classes of the volumes that hold an object's data. */
function dataStorageClasses(o: K8sObject): string[] {
  const classes: string[] = [];
  if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/')) {
    if (o.spec?.storage?.storageClass) classes.push(o.spec.storage.storageClass);
    if (o.spec?.walStorage?.storageClass) classes.push(o.spec.walStorage.storageClass);
  }
  if (o.kind === 'InnoDBCluster') {
    const sc = o.spec?.datadirVolumeClaimTemplate?.storageClassName;
    if (sc) classes.push(sc);
  }
  if (o.kind === 'StatefulSet') for (const t of o.spec?.volumeClaimTemplates ?? []) if (t.spec?.storageClassName) classes.push(t.spec.storageClassName);
  if (o.kind === 'PersistentVolumeClaim' && o.spec?.storageClassName) classes.push(o.spec.storageClassName);
  return classes;
}

export const nfsDatabaseVolume: Rule = {
  id: 'nfs-database-volume',
  severity: 'error',
  title: 'No database or SQLite volume on an NFS storage class',
  reason: 'NFS lacks a reliable fsync(): SQLite databases on NFS were corrupted under load, and every database here moved to block storage (Proxmox LVM).',
  check({ model, objects }: RuleContext): Finding[] {
    const nfs = new Set(model.storage.nfs);
    const isNfs = (sc: string) => nfs.has(sc) || /nfs/i.test(sc);
    const findings: Finding[] = [];
    for (const { object } of objects) {
      for (const sc of dataStorageClasses(object)) {
        if (isNfs(sc)) findings.push({ object: objectRef(object), message: `data volume on storage class "${sc}", which is NFS` });
      }
      if (object.kind === 'StatefulSet' && isDataWorkload(object)) {
        for (const v of podTemplate(object)?.spec?.volumes ?? []) if (v.nfs) findings.push({ object: objectRef(object), message: `volume "${v.name}" mounts NFS directly` });
      }
    }
    return findings;
  },
};

export const databaseOnAvoidedNode: Rule = {
  id: 'database-on-gpu-node',
  severity: 'error',
  title: 'Every pod the platform runs (servers, poolers, backups, provisioning, push jobs) is kept off scheduling.avoidNodes (the GPU node)',
  reason:
    'MySQL pods landed on k8s-node1, the GPU node, when the anti-affinity rule was missing; and on a simulated copy of prod every backup, provisioning and push Job landed there too. Pods are excluded by a required node affinity.',
  check({ model, objects }: RuleContext): Finding[] {
    if (model.avoidNodes.length === 0) return [];
    const findings: Finding[] = [];
    for (const { object } of objects) {
      if (!isDataWorkload(object) && podTemplate(object) === undefined) continue;
      const terms: any[] = nodeAffinityOf(object)?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
      const excludedEverywhere = (node: string) =>
        terms.length > 0 && terms.every((t) => (t.matchExpressions ?? []).some((e: any) => e.key === 'kubernetes.io/hostname' && e.operator === 'NotIn' && (e.values ?? []).includes(node)));
      const allowed = model.avoidNodes.filter((n) => !excludedEverywhere(n));
      if (allowed.length > 0)
        findings.push({
          object: objectRef(object),
          message: `pods can be scheduled on ${allowed.join(', ')}: no required node affinity excludes ${allowed.length === 1 ? 'it' : 'them'}`,
          path: ['scheduling', 'avoidNodes'],
        });
    }
    return findings;
  },
};

export const unpinnedImage: Rule = {
  id: 'unpinned-image',
  severity: 'error',
  title: 'Every image is pinned to an immutable tag or digest',
  reason: 'Database upgrades need planning: a floating tag upgrades on the next pod restart (Redis once ran "Latest"; a 7.4 replica could not read 8.6.2\'s RDB format 13).',
  check({ objects }: RuleContext): Finding[] {
    return objects.flatMap(({ object }) =>
      imagesOf(object)
        .filter((ref) => !isPinnedReference(ref))
        .map((ref) => ({ object: objectRef(object), message: `image "${ref}" is not pinned (use a tag with at least major.minor, or a digest)` })),
    );
  },
};

export const imageUpdateOptOut: Rule = {
  id: 'image-update-opt-out',
  severity: 'error',
  title: 'Database pods opt out of image-update bots (Keel, Diun)',
  reason: 'Keel patch-bumped Redis to 8.0.6-alpine, which rejected the AOF config and crash-looped; database images change only through a reviewed commit.',
  check({ objects }: RuleContext): Finding[] {
    return objects
      .filter(({ object }) => isDataWorkload(object))
      .filter(({ object }) => {
        const meta = podMetadataOf(object);
        return !isPinned(meta?.labels, meta?.annotations);
      })
      .map(({ object }) => ({ object: objectRef(object), message: 'pods lack the keel.sh/policy=never label and annotation and diun.enable=false' }));
  },
};

export const stableClaimTemplates: Rule = {
  id: 'versioned-claim-template',
  severity: 'error',
  title: 'StatefulSet claim templates carry no version label',
  reason: "A StatefulSet's volumeClaimTemplates are immutable: an app.kubernetes.io/version label there turns every version bump into a refused sync that needs the StatefulSet replaced by hand.",
  check({ objects }: RuleContext): Finding[] {
    return objects
      .filter(({ object }) => object.kind === 'StatefulSet')
      .flatMap(({ object }) =>
        (object.spec?.volumeClaimTemplates ?? [])
          .filter((t: any) => t.metadata?.labels?.['app.kubernetes.io/version'] !== undefined)
          .map((t: any) => ({ object: objectRef(object), message: `claim template "${t.metadata?.name}" carries app.kubernetes.io/version` })),
      );
  },
};

export const CORE_RULES: readonly Rule[] = [nfsDatabaseVolume, databaseOnAvoidedNode, unpinnedImage, imageUpdateOptOut, stableClaimTemplates];
