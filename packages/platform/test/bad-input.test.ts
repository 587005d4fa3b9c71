/**
 * Bad input: every case must be refused with a message that names the field and its line,
 * never a crash. (The CLI test proves nothing is written on disk.)
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderText, type Refused } from '../src/render.ts';
import { synthToDisk } from '../src/synth.ts';

// Every case goes through the same path as `npm run synth`, against an output folder that
// already holds a previous render, which must be left byte for byte as it was.
const scratch = mkdtempSync(join(tmpdir(), 'bad-input-'));
const platformFile = join(scratch, 'platform.yaml');
const outputDir = join(scratch, 'clusters/test');
mkdirSync(join(outputDir, 'postgres'), { recursive: true });
writeFileSync(join(outputDir, 'kustomization.yaml'), 'resources: [postgres]\n');
writeFileSync(join(outputDir, 'postgres/cluster-pg-cluster.yaml'), '# previous render\n');
const outputSnapshot = () =>
  readdirSync(outputDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort()
    .map((f) => [f, readFileSync(f, 'utf8')]);
const untouched = JSON.stringify(outputSnapshot().map(([f]) => f));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const VALID = `cluster: test
storage:
  block: proxmox-lvm
  nfs: [nfs-client]
backups:
  nfs: { server: nfs.lan, path: /srv/nfs }
scheduling:
  avoidNodes: [k8s-node1]
monitoring:
  pushgateway: http://pushgateway.monitoring.svc:9091
  runbookBaseUrl: https://example.org/runbooks
postgres:
  instances: 2
tenants:
  - name: linkwarden
    postgres: { database: linkwarden }
  - name: affine
    postgres: { database: affine }
vault: {}
`;

function refused(text: string): Refused {
  const before = outputSnapshot();
  writeFileSync(platformFile, text);
  const r = synthToDisk(platformFile, outputDir);
  if (r.ok) throw new Error('expected the input to be refused');
  expect(outputSnapshot(), 'a refused render changed the output folder').toEqual(before);
  return r;
}

/** [case, mutated document, expected field, expected line, message fragment] */
const CASES: [string, string, string, number, string][] = [
  ['restore of an unknown tenant', `${VALID}restores:\n  - { engine: postgres, tenant: ghost }\n`, 'restores[0].tenant', 21, 'no tenant "ghost" in tenants'],
  [
    'restore of an engine the tenant does not use',
    `${VALID.replace('vault: {}', 'mysql: {}\nvault: {}').replace('  - name: affine\n', '  - name: speedtest\n    mysql: { database: speedtest }\n  - name: affine\n')}restores:\n  - { engine: mysql, tenant: linkwarden }\n`,
    'restores[0].engine',
    24,
    'tenant "linkwarden" does not use mysql',
  ],
  ['restore of an engine that takes no dumps here', `${VALID}restores:\n  - { engine: redis, tenant: linkwarden }\n`, 'restores[0].engine', 21, 'no engine "redis" restores dumps in this cluster'],
  [
    "restore of another tenant's dump",
    `${VALID}restores:\n  - { engine: postgres, tenant: linkwarden, dump: affine-20260101T020000Z.pgdump.gz }\n`,
    'restores[0].dump',
    21,
    'is not a dump of tenant "linkwarden"',
  ],
  ["restore into another tenant's database", `${VALID}restores:\n  - { engine: postgres, tenant: linkwarden, into: affine, replace: true }\n`, 'restores[0].into', 21, 'belongs to tenant "affine"'],
  ['listing that asks for a replace', `${VALID}restores:\n  - { engine: postgres, tenant: linkwarden, action: list, replace: true }\n`, 'restores[0].replace', 21, 'a listing restores nothing'],
  ['unknown top-level key (typo)', VALID.replace('tenants:', 'tenant:'), 'tenant', 14, 'unknown field'],
  ['unknown nested key', VALID.replace('  instances: 2', '  instancez: 2'), 'postgres.instancez', 13, 'did you mean "instances"'],
  ['missing required field', VALID.replace(/monitoring:\n {2}pushgateway: .*\n/, 'monitoring:\n'), 'monitoring.pushgateway', 9, 'missing required field'],
  ['wrong type', VALID.replace('  instances: 2', '  instances: two'), 'postgres.instances', 13, 'must be integer'],
  ['out of range', VALID.replace('  instances: 2', '  instances: 0'), 'postgres.instances', 13, 'must be >= 1'],
  ['invalid Kubernetes name', VALID.replace('name: affine', 'name: Affine_App'), 'tenants[1].name', 17, 'not valid'],
  ['invalid SQL identifier', VALID.replace('database: affine', 'database: "affine-db"'), 'tenants[1].postgres.database', 18, 'not valid'],
  ['SQL injection attempt', VALID.replace('database: affine', `database: "x; DROP DATABASE postgres; --"`), 'tenants[1].postgres.database', 18, 'not valid'],
  ['duplicate tenant', VALID.replace('name: affine', 'name: linkwarden'), 'tenants[1].name', 17, 'declared twice'],
  ['duplicate database', VALID.replace('database: affine', 'database: linkwarden'), 'tenants[1].postgres.database', 18, 'already used by tenant linkwarden'],
  ['reserved database name', VALID.replace('database: affine', 'database: postgres'), 'tenants[1].postgres.database', 18, 'reserved'],
  ['tenant uses an engine that is not configured', VALID.replace(/postgres:\n {2}instances: 2\n/, ''), 'tenants[0].postgres', 14, 'no postgres section'],
  [
    'rotated role that also takes its password from a Secret',
    VALID.replace('postgres: { database: affine }', 'postgres: { database: affine, passwordSecret: affine-db }'),
    'tenants[1].postgres.passwordSecret',
    18,
    'one owner per password',
  ],
  ['rotation exclusion without a reason', VALID.replace('postgres: { database: affine }', 'postgres: { database: affine, rotate: false }'), 'tenants[1].postgres.rotate', 18, 'needs a reason'],
  [
    'value not in the allowed set',
    VALID.replace('postgres: { database: affine }', 'postgres: { database: affine, connection: proxy }'),
    'tenants[1].postgres.connection',
    18,
    'must be one of "pooler", "direct"',
  ],
  ['database on an NFS storage class (guardrail)', VALID.replace('  instances: 2', '  instances: 2\n  storage: { storageClass: nfs-client }'), '', 1, '[nfs-database-volume] Cluster/dbaas/pg-cluster'],
  ['floating image tag (guardrail)', VALID.replace('  instances: 2', '  instances: 2\n  image: { repository: cloudnative-pg/postgis, tag: latest }'), '', 1, '[unpinned-image]'],
  ['waiver for an unknown rule', `${VALID}waivers:\n  - { rule: no-such-rule, object: Cluster/dbaas/pg-cluster, reason: "because we really want to" }\n`, 'waivers[0].rule', 21, 'unknown guardrail'],
  ['waiver that matches nothing', `${VALID}waivers:\n  - { rule: unpinned-image, object: Cluster/dbaas/pg-cluster, reason: "because we really want to" }\n`, 'waivers[0]', 21, 'matches no finding'],
  ['duplicate YAML key', VALID.replace('  instances: 2', '  instances: 2\n  instances: 3'), '', 14, 'duplicate key'],
  ['broken YAML', VALID.replace('  block: proxmox-lvm', '  block: [proxmox-lvm'), '', 4, 'YAML'],
  [
    'GitOps tool that does not exist',
    `${VALID}delivery:\n  tools: [argocd, spinnaker]\n  repository: { url: https://git.example.org/db.git }\n`,
    'delivery.tools[1]',
    21,
    'must be one of "argocd", "flux"',
  ],
  ['repository over plain http', `${VALID}delivery:\n  tools: [flux]\n  repository: { url: http://git.example.org/db.git }\n`, 'delivery.repository.url', 22, 'plain http is refused'],
  [
    'settings of a GitOps tool that is not chosen',
    `${VALID}delivery:\n  tools: [flux]\n  repository: { url: https://git.example.org/db.git }\n  argocd: { namespace: gitops }\n`,
    'delivery.argocd',
    23,
    'not in delivery.tools',
  ],
  [
    'chart mirror without an image registry',
    `${VALID}delivery:\n  tools: [argocd]\n  repository: { url: https://git.example.org/db.git }\n  operators: { chartMirror: oci://registry.lab:5000/charts }\n`,
    'delivery.operators.chartMirror',
    23,
    'set imageRegistry',
  ],
  ['NFS class also listed as block storage', VALID.replace('nfs: [nfs-client]', 'nfs: [proxmox-lvm]'), 'storage.nfs', 4, 'also as a block storage class'],
];

describe('bad input is refused with file, line and field', () => {
  it.each(CASES)('%s', (_name, text, field, line, fragment) => {
    const r = refused(text);
    const match = r.problems.find((p) => p.message.includes(fragment) || p.hint?.includes(fragment));
    expect(match, `no problem mentions "${fragment}" in:\n${JSON.stringify(r.problems, null, 2)}`).toBeDefined();
    expect(match!.file).toBe(platformFile);
    expect(match!.field).toBe(field);
    expect(match!.line).toBe(line);
  });

  it('the valid base document renders', () => {
    expect(renderText(VALID).ok).toBe(true);
    expect(JSON.stringify(outputSnapshot().map(([f]) => f))).toBe(untouched);
  });

  it('reports every problem at once', () => {
    const text = VALID.replace('  instances: 2', '  instances: 0').replace('name: affine', 'name: Affine').replace('tenants:', 'tenants:\n  - name: x\n    postgres: { database: "1x" }');
    const r = refused(text);
    expect(r.problems.map((p) => p.field).sort()).toEqual(['postgres.instances', 'tenants[0].postgres.database', 'tenants[2].name']);
  });

  it('refuses an alias bomb quickly with a position', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const r = refused(`${lines.join('\n')}\n${VALID}`);
    expect(r.problems[0]!.message).toMatch(/alias/i);
    expect(r.problems[0]!.line).toBeGreaterThan(0);
  });

  it('refuses an empty document', () => {
    expect(refused('# nothing here\n').problems[0]!.message).toContain('empty');
  });
});
