/**
 * The MySQL Operator 8.4.3-2.1.5, as its source behaves (mysql/mysql-operator@8.4.3-2.1.5),
 * applied to what we render: the StatefulSet and router Deployment it would build from our
 * InnoDBCluster must be ones the API server accepts, and the root Secret must have the keys
 * it reads. The control-plane suite (packages/control-plane) applies the same objects to a
 * real API server.
 */
import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import type { K8sObject } from '@db/core';
import { mysqlEngine } from '../src/engine.ts';
import { mergePatchObject, operatorRouterPodLabels, operatorServerPodLabels, ROOT_SECRET_KEYS } from '../src/operator-contract.ts';
import { clusterModel } from './helpers.ts';

const lab = clusterModel('lab');
const chart = Testing.chart();
mysqlEngine.build(chart, lab);
const objects = Testing.synth(chart) as K8sObject[];
const ic = objects.find((o) => o.kind === 'InnoDBCluster')!;

/** apps/v1 validation: every selector label must be on the template with the same value. */
const selectorMatches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('MySQL Operator 8.4.3-2.1.5 contract', () => {
  it('keeps the StatefulSet selector matching its template after merging spec.podLabels (cluster_objects.py:200-226, 523-547)', () => {
    const selector = operatorServerPodLabels(ic.metadata.name);
    const template = mergePatchObject({ metadata: { labels: { ...selector } } }, { metadata: { labels: ic.spec.podLabels } }) as { metadata: { labels: Record<string, string> } };
    expect(selectorMatches(selector, template.metadata.labels)).toBe(true);
    // Ours still reach the pods where they do not collide: the image-update opt-out.
    expect(template.metadata.labels['keel.sh/policy']).toBe('never');
    expect(template.metadata.labels['app.kubernetes.io/part-of']).toBe('db-platform');
  });

  it('keeps the router Deployment selector matching its template after merging spec.router.podLabels (router_objects.py:145-165, 252-259)', () => {
    const selector = operatorRouterPodLabels(ic.metadata.name);
    const template = mergePatchObject({ metadata: { labels: { ...selector } } }, { metadata: { labels: ic.spec.router.podLabels } }) as { metadata: { labels: Record<string, string> } };
    expect(selectorMatches(selector, template.metadata.labels)).toBe(true);
  });

  it('would have refused the labels main rendered before (the defect this pins)', () => {
    const before = { 'app.kubernetes.io/name': 'mysql', 'app.kubernetes.io/instance': 'mysql', 'app.kubernetes.io/component': 'database', 'app.kubernetes.io/managed-by': 'db-platform' };
    const selector = operatorServerPodLabels('mysql');
    const template = mergePatchObject({ metadata: { labels: { ...selector } } }, { metadata: { labels: before } }) as { metadata: { labels: Record<string, string> } };
    expect(selectorMatches(selector, template.metadata.labels)).toBe(false);
  });

  it('merges podSpec containers by name into the operator containers (utils.py:110-127)', () => {
    const base = {
      containers: [
        { name: 'mysql', image: 'x', securityContext: { readOnlyRootFilesystem: true } },
        { name: 'sidecar', image: 'y' },
      ],
    };
    const merged = mergePatchObject(structuredClone(base), ic.spec.podSpec) as { containers: { name: string; securityContext?: Record<string, unknown> }[] };
    expect(merged.containers.map((c) => c.name)).toEqual(['mysql', 'sidecar']);
    expect(merged.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it('reads the root password from key rootPassword of spec.secretName (cluster_objects.py:332-336, sidecar_main.py:242-264), and so do our jobs', () => {
    expect(ROOT_SECRET_KEYS.password).toBe('rootPassword');
    const refs = JSON.stringify(objects).match(/"secretKeyRef":\{"key":"[^"]+","name":"mysql-root"\}|"secretKeyRef":\{"name":"mysql-root","key":"[^"]+"\}/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(r).toContain('"key":"rootPassword"');
  });
});
