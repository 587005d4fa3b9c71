/**
 * The guardrails every engine shares, in neutral words; a platform tells the incidents behind
 * them in its own (`withHistory`). Engine-specific rules live in their packages.
 */
import { isPinned } from './labels.ts';
import { isPinnedReference } from './images.ts';
import { imagesOf, objectRef, podTemplate, type K8sObject } from './objects.ts';
import type { Finding, Rule, RuleContext } from './guardrails.ts';
import { readerOf, type CustomResourceFacts } from './engine.ts';

/** `app.kubernetes.io/component` value of pods that hold data; engines add theirs (`CustomResourceFacts.dataComponents`). */
export const DATA_COMPONENT = 'database';

/** Objects whose pods hold or serve data: the kinds engines declare so, and workloads labelled as such. */
export function isDataWorkload(o: K8sObject, facts: CustomResourceFacts): boolean {
  if (readerOf(facts, o)?.dataPods) return true;
  const component = o.metadata.labels?.['app.kubernetes.io/component'];
  return podTemplate(o) !== undefined && component !== undefined && (component === DATA_COMPONENT || (facts.dataComponents ?? []).includes(component));
}

/** The node affinity that governs where an object's pods may run. */
function nodeAffinityOf(o: K8sObject, facts: CustomResourceFacts): Record<string, any> | undefined {
  const reader = readerOf(facts, o);
  if (reader?.nodeAffinity) return reader.nodeAffinity(o);
  return podTemplate(o)?.spec?.affinity?.nodeAffinity;
}

/** Metadata the pods of an object carry (where image-update bots look). */
function podMetadataOf(o: K8sObject, facts: CustomResourceFacts): { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined {
  const reader = readerOf(facts, o);
  if (reader?.podMetadata) return reader.podMetadata(o);
  return podTemplate(o)?.metadata;
}

/** Storage classes of the volumes that hold an object's data. */
function dataStorageClasses(o: K8sObject, facts: CustomResourceFacts): string[] {
  const classes: string[] = [...(readerOf(facts, o)?.dataStorageClasses?.(o) ?? [])];
  if (o.kind === 'StatefulSet') for (const t of o.spec?.volumeClaimTemplates ?? []) if (t.spec?.storageClassName) classes.push(t.spec.storageClassName);
  if (o.kind === 'PersistentVolumeClaim' && o.spec?.storageClassName) classes.push(o.spec.storageClassName);
  return classes;
}

export const nfsDatabaseVolume: Rule = {
  id: 'nfs-database-volume',
  severity: 'error',
  title: 'No database volume on an NFS storage class',
  reason: 'NFS lacks a reliable fsync(): databases on NFS get corrupted under load, so database volumes belong on block storage.',
  check({ model, objects, facts }: RuleContext): Finding[] {
    const nfs = new Set(model.storage.nfs);
    const isNfs = (sc: string) => nfs.has(sc) || /nfs/i.test(sc);
    const findings: Finding[] = [];
    for (const { object } of objects) {
      for (const sc of dataStorageClasses(object, facts)) {
        if (isNfs(sc)) findings.push({ object: objectRef(object), message: `data volume on storage class "${sc}", which is NFS` });
      }
      if (object.kind === 'StatefulSet' && isDataWorkload(object, facts)) {
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
  reason: 'Database pods land on the GPU node when an anti-affinity rule is missing, and so does every Job the platform runs; pods are excluded by a required node affinity.',
  check({ model, objects, facts }: RuleContext): Finding[] {
    if (model.avoidNodes.length === 0) return [];
    const findings: Finding[] = [];
    for (const { object } of objects) {
      if (!isDataWorkload(object, facts) && podTemplate(object) === undefined) continue;
      const terms: any[] = nodeAffinityOf(object, facts)?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
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
  reason: 'Database upgrades need planning: a floating tag upgrades on the next pod restart, and a newer server may write files an older replica cannot read.',
  check({ objects, facts }: RuleContext): Finding[] {
    return objects.flatMap(({ object }) =>
      imagesOf(object, facts)
        .filter((ref) => !isPinnedReference(ref))
        .map((ref) => ({ object: objectRef(object), message: `image "${ref}" is not pinned (use a tag with at least major.minor, or a digest)` })),
    );
  },
};

export const imageUpdateOptOut: Rule = {
  id: 'image-update-opt-out',
  severity: 'error',
  title: 'Database pods opt out of image-update bots (Keel, Diun)',
  reason: 'An image-update bot that patch-bumps a database can start an image that rejects its config and crash-loops; database images change only through a reviewed commit.',
  check({ objects, facts }: RuleContext): Finding[] {
    return objects
      .filter(({ object }) => isDataWorkload(object, facts))
      .filter(({ object }) => {
        const meta = podMetadataOf(object, facts);
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

/** The title and reason a platform gives a shared rule: the incident behind it, in its own history. */
export type RuleHistory = Readonly<Record<string, { readonly title?: string; readonly reason?: string }>>;

/** The rules with the titles and reasons of `history` where it has them. */
export function withHistory(rules: readonly Rule[], history: RuleHistory): Rule[] {
  return rules.map((r) => (history[r.id] ? { ...r, ...history[r.id] } : r));
}
