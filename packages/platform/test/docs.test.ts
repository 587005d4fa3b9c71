/**
 * Generated docs (clusters/<cluster>/README.md): golden-tested with the manifests by
 * golden.test.ts; here, that they hold the seeds' facts, cover every engine, alert,
 * guardrail and waiver by construction, draw a diagram whose edges all name declared
 * nodes, and that free text from platform.yaml cannot break a table or inject HTML.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_RULES, runbookFile, type Engine } from '@db/core';
import { ENGINES } from '../src/engines.ts';
import { DOCS_FILE, renderFile, renderText } from '../src/render.ts';
import { REPO_ROOT, platformFileOf } from '../src/paths.ts';
import { renderDocs } from '../src/docs.ts';
import { appClusters } from './helpers.ts';
import { readFileSync } from 'node:fs';

const clusters = appClusters();

function docsOf(cluster: string) {
  const r = renderFile(platformFileOf(cluster), cluster);
  if (!r.ok) throw new Error(`${cluster} refused`);
  return { r, md: r.files.get(DOCS_FILE)! };
}

/** Node ids declared in the Mermaid block, and the ids its edges use. */
function mermaid(md: string): { declared: Set<string>; used: string[]; block: string } {
  const block = /```mermaid\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
  const declared = new Set<string>();
  const used: string[] = [];
  for (const line of block.split('\n').map((l) => l.trim())) {
    const decl = /^(?:subgraph\s+)?([A-Za-z0-9_]+)(?:\[|\(\[|\[\()/.exec(line);
    if (decl && !line.includes('-->') && !line.includes('-.->')) declared.add(decl[1]!);
    const edge = /^([A-Za-z0-9_]+)\s+(?:-->|-\.->)(?:\|"[^"]*"\|)?\s+([A-Za-z0-9_]+)$/.exec(line);
    if (edge) used.push(edge[1]!, edge[2]!);
    else if (/-->|-\.->/.test(line)) throw new Error(`unparsed edge: ${line}`);
  }
  return { declared, used, block };
}

describe('clusters/prod/README.md holds the facts of the seed documents', () => {
  const { md } = docsOf('prod');
  it.each([
    ['PgBouncer, 3 replicas, the endpoint apps use', /`pgbouncer\.dbaas\.svc\.cluster\.local` \| 5432 \| Apps \(default\): PgBouncer, transaction pooling, 3 replicas/],
    ['the CNPG primary', /`pg-cluster-rw\.dbaas\.svc\.cluster\.local` \| 5432/],
    ['the compatibility service selecting the primary', /`postgresql\.dbaas\.svc\.cluster\.local` \| 5432 \| .*primary only/],
    ['MySQL on its stable service', /`mysql\.dbaas\.svc\.cluster\.local` \| 3306/],
    ['Redis on redis-master, never renamed', /`redis-master\.redis\.svc\.cluster\.local` \| 6379/],
    ['MySQL standalone since the 2026-04-16 revert', /reverted to standalone on 2026-04-16/],
    ['rotation every 604800 s (7 days)', /every 604800 s \(7 days\)/],
    ['External Secrets every 15 minutes', /External Secrets Operator syncs each one into a Secret in the app's namespace every 15m/],
    ['Technitium pushed every 6 hours', /\| technitium \| MySQL \| MySQL user `technitium` \| 604800 s \| every 15m \| pushed into the app's own config every 6h by a CronJob \|/],
    ['authentik excluded (PgBouncer)', /\| authentik \| PostgreSQL \| PostgreSQL role `authentik` \| .*PgBouncer/],
    ['crowdsec excluded (Helm-baked credentials)', /\| crowdsec \| PostgreSQL \| PostgreSQL role `crowdsec` \| .*Helm chart bakes/],
    ['tripit rotated', /\| tripit \| PostgreSQL \| PostgreSQL role `tripit` \| 604800 s/],
    [
      'each tenant with its dump folder, its last drill and its restore entry',
      /\| linkwarden \| `\/srv\/nfs\/postgres-backup\/linkwarden\/` \| 7 \| `PostgresRestoreDrillFailed` \/ `db_restore_drill_last_status\{tenant="linkwarden"\}` .* \| `\{ engine: postgres, tenant: linkwarden, dump: latest \}` \|/,
    ],
    ['PostgreSQL dump at 02:00 UTC, 7 kept, on NFS', /`pg_dump -Fc` per tenant database.*\| `0 2 \* \* \*` \| `nfs\.home\.lan:\/srv\/nfs\/postgres-backup` \| newest 7 dumps per tenant/],
    ['Redis RDB on Sunday 03:00, 28 days', /RDB snapshot.*\| `0 3 \* \* 0` \| `nfs\.home\.lan:\/srv\/nfs\/redis-backup` \| 28 days/],
    ['maxmemory 640mb of 768Mi, volatile-lru', /`maxmemory 640mb` of 768Mi, `maxmemory-policy volatile-lru`/],
    ['SQLite never on NFS', /\| vaultwarden \| vaultwarden \| SQLite \| claim `vaultwarden-sqlite`, 1Gi on `proxmox-lvm` \|/],
    ['the Celery prefix waiver with its reason', /\| `redis-shared-key-prefix` \| `Tenant\/paperless` \| paperless and realestate-crawler/],
    ['Vault rotating into PgBouncer and MySQL in the diagram', /vault -\.->\|"rotation every 7 days"\| postgres_pooler/],
  ])('%s', (_, fact) => {
    expect(md).toMatch(fact);
  });
  it("lists the seeds' users of each engine", () => {
    const section = md.slice(md.indexOf('## Who uses what'), md.indexOf('## Credential rotation'));
    for (const app of [
      'trading-bot',
      'apple-health-data',
      'linkwarden',
      'affine',
      'woodpecker',
      'claude-memory-mcp',
      'tripit',
      'wrongmove',
      'speedtest',
      'codimd',
      'nextcloud',
      'shlink',
      'grafana',
      'technitium',
      'immich',
      'paperless',
      'dawarich',
      'headscale',
      'vaultwarden',
      'plotting-book',
      'holiday-planner',
      'priority-pass',
    ]) {
      expect(section).toContain(`| ${app}`);
    }
  });
});

describe.each(clusters)('clusters/%s/README.md covers the cluster by construction', (cluster) => {
  const { r, md } = docsOf(cluster);
  const engines = ENGINES.filter((e) => e.enabled(r.model));

  it('is written with the manifests and is byte-stable', () => {
    expect(readFileSync(join(REPO_ROOT, 'clusters', cluster, DOCS_FILE), 'utf8')).toBe(md);
    expect(docsOf(cluster).md).toBe(md);
  });
  it('documents every enabled engine: its section, endpoints, users and backups', () => {
    for (const e of engines) {
      const d = e.docs?.(r.model);
      expect(d, `engine ${e.id} has no docs hook`).toBeDefined();
      expect(md).toContain(`### ${d!.title}`);
      for (const ep of d!.endpoints) expect(md).toContain(`\`${ep.host}\` | ${ep.port} |`);
      for (const u of d!.users) expect(md).toContain(u.what.replace(/\|/g, '\\|'));
      for (const b of d!.backups) expect(md).toContain(`| \`${b.schedule}\` | \`${b.target}\` | ${b.retention} | ${b.job} |`);
    }
  });
  it('lists every alert with its runbook, and every runbook exists', () => {
    for (const a of engines.flatMap((e) => e.alerts(r.model))) {
      expect(md).toContain(`| \`${a.alert}\` |`);
      expect(md).toContain(`(${r.model.monitoring.runbookBaseUrl}/${runbookFile(a.alert)})`);
      expect(existsSync(join(REPO_ROOT, 'docs', 'runbooks', runbookFile(a.alert))), runbookFile(a.alert)).toBe(true);
    }
  });
  it('lists every guardrail that applies and every waiver', () => {
    for (const rule of [...CORE_RULES, ...engines.flatMap((e) => e.rules)]) expect(md).toContain(`| \`${rule.id}\` | ${rule.severity} |`);
    for (const w of r.model.input.waivers ?? []) expect(md).toContain(`| \`${w.rule}\` | \`${w.object}\` |`);
  });
  it('draws a diagram whose every edge joins declared nodes, with every tenant in it', () => {
    const { declared, used, block } = mermaid(md);
    expect(block.startsWith('graph TB')).toBe(true);
    for (const id of used) expect(declared, `edge to undeclared node ${id}`).toContain(id);
    for (const t of r.model.tenants) expect(declared).toContain(`app_${t.name.replace(/-/g, '_')}`);
  });
});

describe('docs of an engine added later, and hostile free text', () => {
  it('documents a new engine through its docs hook, with nothing else changed', () => {
    const r = renderFile(platformFileOf('prod'), 'prod');
    if (!r.ok) throw new Error('refused');
    const future: Engine = {
      id: 'future',
      enabled: () => true,
      check: () => [],
      namespaces: () => [],
      build: () => {},
      rules: [],
      alerts: () => [{ alert: 'FutureDown', expr: 'up == 0', severity: 'critical', summary: 'Future is down', description: 'x' }],
      docs: () => ({
        title: 'Future',
        summary: 'A future engine.',
        endpoints: [{ host: 'future.dbaas.svc.cluster.local', port: 1234, purpose: 'Apps' }],
        users: [{ tenant: 'linkwarden', namespace: 'linkwarden', what: 'a future thing', connectsTo: 'future.dbaas.svc.cluster.local:1234', node: 'future_server' }],
        credentials: [{ tenant: 'linkwarden', principal: 'future user `lw`', rotated: false, reason: 'the future engine cannot rotate yet' }],
        backups: [{ what: 'Future dump', schedule: '0 4 * * *', target: 'nfs:/x', retention: '3 days', job: 'dbaas/future-backup' }],
        graph: {
          nodes: [
            { id: 'future_server', label: 'Future' },
            { id: 'future_backup', label: 'dump' },
          ],
          edges: [{ from: 'future_backup', to: 'future_server', dotted: true }],
        },
      }),
    };
    const md = renderDocs({ model: r.model, engines: [...ENGINES.filter((e) => e.enabled(r.model)), future], guardrails: r.guardrails });
    for (const s of [
      '### Future',
      '`future.dbaas.svc.cluster.local` | 1234 |',
      '| `FutureDown` | future |',
      'the future engine cannot rotate yet',
      '| `0 4 * * *` | `nfs:/x` | 3 days |',
      'app_linkwarden --> future_server',
      'future_backup --> nfs',
    ])
      expect(md).toContain(s);
    const { declared, used } = mermaid(md);
    for (const id of used) expect(declared).toContain(id);
  });

  it('says that nothing rotates when no engine rotates credentials, and draws no rotation', () => {
    const r = renderFile(platformFileOf('prod'), 'prod');
    if (!r.ok) throw new Error('refused');
    const engines = ENGINES.filter((e) => e.enabled(r.model) && !e.docs?.(r.model).rotationPolicy);
    expect(engines.length).toBe(ENGINES.filter((e) => e.enabled(r.model)).length - 1);
    const md = renderDocs({ model: r.model, engines, guardrails: r.guardrails });
    expect(md).toContain('No credential rotation is configured in this cluster');
    expect(md).not.toContain('### Rotated');
    expect(md).toMatch(/\| linkwarden \| PostgreSQL \| [^|]+ \| no rotator is configured \|/);
    expect(mermaid(md).block).not.toMatch(/rotation every/);
    const { declared, used } = mermaid(md);
    for (const id of used) expect(declared).toContain(id);
  });

  it('escapes pipes, HTML and line breaks from platform.yaml free text', () => {
    const text = readFileSync(platformFileOf('prod'), 'utf8').replace('description: Apple Health export ingestion', 'description: "a | b <script>alert(1)</script>"');
    const r = renderText(text, 'apps/prod/platform.yaml', 'prod');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const md = r.files.get(DOCS_FILE)!;
    expect(md).toContain('apple-health-data (a \\| b &lt;script&gt;alert(1)&lt;/script&gt;)');
    expect(md).not.toContain('<script>');
    const row = md.split('\n').find((l) => l.startsWith('| apple-health-data'))!;
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(5);
  });
});
