import { describe, expect, it } from 'vitest';
import { CORE_RULES, runGuardrails } from '@db/core';
import { modelFromYaml as modelFromYamlOf, synthEngine } from '@db/core/testing';
import { sqliteEngine } from '../src/engine.ts';
import { platformYaml } from './helpers.ts';

/** A model checked against this package's schema (other engines' sections pass unchecked). */
const modelFromYaml = (text: string) => modelFromYamlOf(text, [sqliteEngine], { othersOpaque: true });

describe('SQLite volumes', () => {
  it('are claims on block storage in the app namespace, never pruned', () => {
    const [pvc] = synthEngine(sqliteEngine, modelFromYaml(platformYaml('')));
    expect(pvc).toMatchObject({
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'vaultwarden-sqlite', namespace: 'vaultwarden' },
      spec: { storageClassName: 'proxmox-lvm', resources: { requests: { storage: '1Gi' } } },
    });
    expect(pvc!.metadata.annotations!['argocd.argoproj.io/sync-options']).toContain('Prune=false');
  });

  it('on an NFS storage class are refused by the nfs-database-volume guardrail', () => {
    const model = modelFromYaml(platformYaml('  - { app: headscale, size: 1Gi, storageClass: nfs-client }\n'));
    const objects = synthEngine(sqliteEngine, model).map((object) => ({ component: 'sqlite', object }));
    const report = runGuardrails(CORE_RULES, { model, objects, facts: {} });
    expect(report.errors.map((e) => e.message)).toEqual([expect.stringContaining('[nfs-database-volume] PersistentVolumeClaim/headscale/headscale-sqlite')]);
  });
});
