/**
 * NetworkPolicies evaluated by cyclonus v0.5.6 (github.com/mattfenwick/cyclonus, built by
 * scripts/install-go-tools.sh), offline: `cyclonus analyze --mode query-traffic --policy-path
 * <dir> --traffic-path <file>`. What this relies on, at v0.5.6:
 *  - pkg/kube/read.go:16-71: the policy path is walked file by file, each file one
 *    NetworkPolicy (or a NetworkPolicyList) parsed strictly (:45, :53: an unknown field is an
 *    error), and a policy without spec.policyTypes is refused (:66-70). So each policy is
 *    written alone, as JSON, with only apiVersion, kind, metadata.name/namespace and spec.
 *  - pkg/cli/analyze.go:151-153, 220-233: the traffic file is a JSON list of matcher.Traffic;
 *    each is printed as a table, then "Is traffic allowed?" and the verdict table.
 *  - pkg/matcher/traffic.go:12-19, 57-80: Traffic {Source, Destination: {Internal: {PodLabels,
 *    NamespaceLabels, Namespace}, IP}, ResolvedPort, ResolvedPortName, Protocol}; a peer
 *    without Internal is outside the cluster.
 *  - pkg/matcher/policy.go:89-105: the verdict table has one row per target (policy), typed
 *    Ingress or Egress and Allow or Deny, and the footer "Is allowed?" true/false; :80-82 a
 *    direction is allowed when a target allows it or no target selects the pod; :115-117 the
 *    traffic is allowed when both directions are; :141-151 an external target, or a pod no
 *    policy selects, is allowed in that direction.
 * The table is tablewriter v0.0.5's with merged cells (a Type or Action equal to the row
 * above is left blank), so each row takes the last Type and Action seen; the Ingress and
 * Egress rows are separated by an empty row, so an Action never carries across.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from '@db/core/testing';
import type { Obj } from './desired.ts';

export const CYCLONUS_VERSION = 'v0.5.6';

export interface Endpoint {
  /** A pod: its namespace, the namespace's labels and the pod's labels. */
  readonly pod?: { readonly namespace: string; readonly namespaceLabels: Readonly<Record<string, string>>; readonly labels: Readonly<Record<string, string>> };
  /** Outside the cluster (the API server runs on the host network). */
  readonly ip?: string;
}

export interface Flow {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

export interface Verdict {
  /** The source's egress allows it. */
  readonly egress: boolean;
  /** The destination's ingress allows it. */
  readonly ingress: boolean;
  /** cyclonus's own footer: both. */
  readonly allowed: boolean;
  /** The verdict table, for messages. */
  readonly table: string;
}

const peer = (e: Endpoint) => (e.pod ? { Internal: { PodLabels: { ...e.pod.labels }, NamespaceLabels: { ...e.pod.namespaceLabels }, Namespace: e.pod.namespace } } : { IP: e.ip ?? '' });

/** The NetworkPolicy as cyclonus's strict reader takes it. */
export const policyForCyclonus = (p: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
  spec: p.spec,
});

export const cyclonusPath = () => findProgram('cyclonus');

/** Asks cyclonus about every flow under `policies`; one verdict per flow, in order. */
export function queryTraffic(policies: readonly Obj[], flows: readonly Flow[]): Verdict[] {
  const bin = cyclonusPath();
  if (!bin) throw new Error('cyclonus not installed (scripts/install-go-tools.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'cyclonus-'));
  try {
    mkdirSync(join(dir, 'policies'));
    for (const [i, p] of policies.entries())
      writeFileSync(join(dir, 'policies', `${String(i).padStart(3, '0')}-${p.metadata.namespace}-${p.metadata.name}.json`), JSON.stringify(policyForCyclonus(p)));
    const traffic = flows.map((f) => ({ Source: peer(f.from), Destination: peer(f.to), ResolvedPort: f.port, ResolvedPortName: '', Protocol: f.protocol }));
    writeFileSync(join(dir, 'traffic.json'), JSON.stringify(traffic));
    const r = spawnSync(bin, ['analyze', '--mode', 'query-traffic', '--policy-path', join(dir, 'policies'), '--traffic-path', join(dir, 'traffic.json')], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`cyclonus analyze failed (${r.status}): ${r.stderr}`);
    const verdicts = parseQueryTraffic(r.stdout);
    if (verdicts.length !== flows.length) throw new Error(`cyclonus answered ${verdicts.length} of ${flows.length} flows:\n${r.stdout.slice(0, 4000)}`);
    return verdicts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The verdicts of `analyze --mode query-traffic` output, in order. */
export function parseQueryTraffic(stdout: string): Verdict[] {
  const blocks = stdout.split('\nIs traffic allowed?\n').slice(1);
  return blocks.map((block) => {
    const lines = block.split('\n');
    const footer = lines.findIndex((l) => /^\| IS ALLOWED\? \|/.test(l));
    if (footer < 0) throw new Error(`no "Is allowed?" footer in:\n${block}`);
    const allowed = /^\| IS ALLOWED\? \|\s*(TRUE|FALSE)\s*\|/.exec(lines[footer]!)![1] === 'TRUE';
    const rows = lines.slice(0, footer).filter((l) => l.startsWith('|'));
    const seen = { Ingress: new Set<string>(), Egress: new Set<string>() };
    let type = '';
    let action = '';
    // The first row is the header (TYPE | ACTION | TARGET); a blank Type or Action is the one above
    // (a merged cell, a wrapped Target line, or the empty row between Ingress and Egress, which adds nothing new).
    for (const row of rows.slice(1)) {
      const cells = row.split('|').map((c) => c.trim());
      if (cells[1]) type = cells[1];
      if (cells[2]) action = cells[2];
      if ((type === 'Ingress' || type === 'Egress') && action) seen[type].add(action);
    }
    const dir = (s: Set<string>) => s.has('Allow') || !s.has('Deny');
    const verdict = { ingress: dir(seen.Ingress), egress: dir(seen.Egress), allowed, table: lines.slice(0, footer + 2).join('\n') };
    if (verdict.allowed !== (verdict.ingress && verdict.egress))
      throw new Error(`cyclonus's footer says ${allowed}, its rows say ingress ${verdict.ingress}, egress ${verdict.egress}:\n${verdict.table}`);
    return verdict;
  });
}
