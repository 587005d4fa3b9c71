/**
 * The real redis_exporter v1.62.0 in front of a real redis-server started from our rendered
 * config and ACL file, scraped by a real Prometheus: per-tenant key groups and clients, and the
 * least ACL the exporter user needs for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perTenantPanelSeries, requireExporter, requirePrograms, startExporter, startPrometheus, tenantRecordsRuleFile, unexposedMetrics, type Exporter, type Prometheus } from '@db/core/testing';
import { CHECK_KEYS_BATCH_SIZE, redisDashboard, tenantKeyGroups } from '../src/dashboard.ts';
import { redisAlerts } from '../src/monitoring.ts';
import { cli, DEFAULT_TENANTS, freePort, HOST, Processes, removeDir, tempDir, testRedis, waitFor } from './helpers.ts';
import { passwordsFor, renderNode, startStandalone } from './servers.ts';

const programs = requirePrograms('redis_exporter against Redis', ['redis-server', 'redis-cli'], 'apt-get install redis-server');
const tools = requireExporter('redis', 'redis_exporter against Redis');

const { redis } = testRedis('{ topology: standalone }', `${DEFAULT_TENANTS}\n  - { name: paperless-ngx, redis: { use: cache } }`);
const passwords = passwordsFor(redis);
const admin = { user: 'admin', password: passwords.admin! };
const renderedRules = redis.users.find((u) => u.name === 'exporter')!.rules;
/** Lua patterns (string.find), one capture each: the group's name. `-` is a quantifier in Lua, so a literal dash is `%-`. */
const KEY_GROUPS = ['^(bull):', '^(immich):', '^(nextcloud):', '^(paperless%-ngx):'];
/** What the exporter user needs for --check-key-groups, found below: the rendered user has exactly these beside its other rules. */
const KEY_GROUP_RULES = ['+scan', '+eval', '+evalsha', '+memory|usage', '%R~*'];
/** The rendered exporter rules without the key-group ones, to find which are needed. */
const exporterRules = renderedRules
  .split(' ')
  .filter((r) => !KEY_GROUP_RULES.includes(r))
  .join(' ');
const DASHBOARD = redisDashboard(redis);

describe.skipIf(!programs.available || !tools.available)('redis_exporter v1.62.0 on a rendered redis-server, scraped by Prometheus', () => {
  const procs = new Processes();
  const dirs: string[] = [];
  const exporters: Exporter[] = [];
  const clients: ChildProcess[] = [];
  let port = 0;
  let exporter: Exporter;
  let prometheus: Prometheus;
  const timings: Record<string, number> = {};
  const setRules = (...rules: string[]) => expect(cli(port, ['ACL', 'SETUSER', 'exporter', ...exporterRules.split(' '), ...rules], admin)).toBe('OK');
  const groups = async (e = exporter) =>
    Object.fromEntries([...(await e.metrics()).matchAll(/^redis_key_group_(count|memory_usage_bytes)\{db="db0",key_group="([^"]+)"\} (\S+)$/gm)].map((m) => [`${m[2]} ${m[1]}`, Number(m[3])]));

  beforeAll(async () => {
    const dir = tempDir('exporter');
    dirs.push(dir);
    port = await freePort();
    const node = renderNode(redis, dir, port, passwords);
    await startStandalone(procs, node);
    // Each tenant's keys, as its app writes them (a bull queue, caches), and one key of no tenant.
    const writes: [string, string][] = [
      ['bull:emails:1', 'x'.repeat(1000)],
      ['bull:emails:2', 'x'.repeat(1000)],
      ['bull:emails:3', 'x'.repeat(1000)],
      ['immich:session', 'y'.repeat(200)],
      ['nextcloud:cache:a', 'z'.repeat(5000)],
      ['nextcloud:cache:b', 'z'.repeat(5000)],
      ['paperless-ngx:cache:a', 'p'.repeat(300)],
      ['stray', 's'],
    ];
    for (const [k, v] of writes) expect(cli(port, ['SET', k, v], admin)).toBe('OK');
    // One idle connection of each tenant user, as its app holds one.
    for (const [user, key] of [
      ['immich', 'bull:wait'],
      ['nextcloud', 'nextcloud:wait'],
    ] as const) {
      clients.push(spawn('redis-cli', ['-h', HOST, '-p', String(port), '--no-auth-warning', '--user', user, '--pass', passwords[user]!, 'BLPOP', key, '600'], { stdio: 'ignore' }));
    }
    await waitFor('tenant connections', 10_000, () => {
      const list = cli(port, ['CLIENT', 'LIST'], admin);
      return /\buser=immich\b/.test(list) && /\buser=nextcloud\b/.test(list);
    });
    setRules();
    let t = Date.now();
    exporter = await startExporter('redis', {
      address: `${HOST}:${port}`,
      user: 'exporter',
      password: passwords.exporter!,
      args: [`--check-key-groups=${KEY_GROUPS.join(',')}`, '--export-client-list'],
    });
    exporters.push(exporter);
    timings.exporter = Date.now() - t;
    t = Date.now();
    prometheus = await startPrometheus({ targets: [{ job: 'redis', url: exporter.url }] });
    timings.prometheus = Date.now() - t;
  }, 120_000);

  afterAll(async () => {
    console.log(`start-up: redis_exporter ${timings.exporter} ms, Prometheus ${timings.prometheus} ms`);
    for (const c of clients) c.kill('SIGKILL');
    await prometheus?.stop();
    for (const e of exporters) await e.stop();
    await procs.stopAll();
    dirs.forEach(removeDir);
  });

  it('finds the least ACL for --check-key-groups: +scan +eval +evalsha for counts, +memory|usage %R~* for memory (what the rendered exporter user has)', async () => {
    for (const r of KEY_GROUP_RULES) expect(renderedRules.split(' ')).toContain(r);
    // Without them: the Lua script's EVALSHA is refused, no key group series.
    expect(await groups()).toEqual({});
    expect(exporter.log()).toMatch(/NOPERM[^\n]*evalsha/i);
    // redigo's Script.Do sends EVALSHA and falls back to EVAL only on NOSCRIPT, so both are needed.
    setRules('+scan', '+eval');
    expect(await groups()).toEqual({});
    // The script's own SCAN is checked against the user's ACL too.
    setRules('+eval', '+evalsha');
    expect(await groups()).toEqual({});
    expect(exporter.log()).toMatch(/The user executing the script can't run this command or subcommand script: \w+, on @user_script:3\./); // line 3: redis.call("SCAN", ...)
    setRules('+scan', '+eval', '+evalsha');
    const counts = await groups();
    expect(counts).toEqual({
      'bull count': 3,
      'bull memory_usage_bytes': 0,
      'immich count': 1,
      'immich memory_usage_bytes': 0,
      'nextcloud count': 2,
      'nextcloud memory_usage_bytes': 0,
      'paperless-ngx count': 1,
      'paperless-ngx memory_usage_bytes': 0,
      'unclassified count': 1,
      'unclassified memory_usage_bytes': 0,
    });
    // MEMORY USAGE is called with pcall, so a refusal is silent: 0 bytes. The command alone is not enough (it reads a key) ...
    setRules('+scan', '+eval', '+evalsha', '+memory|usage');
    expect((await groups())['nextcloud memory_usage_bytes']).toBe(0);
    // ... read access to the key names is: %R~* lets MEMORY USAGE read any key, and nothing else does.
    setRules(...KEY_GROUP_RULES);
    const full = await groups();
    expect(full['nextcloud count']).toBe(2);
    expect(full['nextcloud memory_usage_bytes']).toBeGreaterThan(10_000);
    expect(full['bull memory_usage_bytes']).toBeGreaterThan(3_000);
    expect(full['paperless-ngx memory_usage_bytes']).toBeGreaterThan(300);
    expect(cli(port, ['GET', 'nextcloud:cache:a'], { user: 'exporter', password: passwords.exporter! })).toMatch(/NOPERM/);
    expect(cli(port, ['KEYS', '*'], { user: 'exporter', password: passwords.exporter! })).toMatch(/NOPERM/);
  });

  it('a literal dash in a key group is %- (Lua pattern): ^(paperless-ngx): leaves its keys unclassified', async () => {
    const plain = await startExporter('redis', { address: `${HOST}:${port}`, user: 'exporter', password: passwords.exporter!, args: ['--check-key-groups=^(paperless-ngx):'] });
    exporters.push(plain);
    const g = await groups(plain);
    expect(g['paperless-ngx count']).toBeUndefined();
    expect(g['unclassified count']).toBe(8);
  });

  it('Prometheus gets redis_key_group_count and _memory_usage_bytes{db,key_group} for every tenant, and clients per user', async () => {
    await prometheus.waitForScrapes(2);
    const count = await prometheus.waitForQuery('redis_key_group_count', (s) => s.length === 5);
    expect(Object.fromEntries(count.map((s) => [s.metric.key_group, s.value[1]]))).toEqual({ bull: '3', immich: '1', nextcloud: '2', 'paperless-ngx': '1', unclassified: '1' });
    expect(count.every((s) => s.metric.db === 'db0')).toBe(true);
    const memory = await prometheus.query('sum by (key_group) (redis_key_group_memory_usage_bytes{key_group!="unclassified"})');
    expect(memory.map((s) => s.metric.key_group).sort()).toEqual(['bull', 'immich', 'nextcloud', 'paperless-ngx']);
    for (const s of memory) expect(Number(s.value[1]), s.metric.key_group).toBeGreaterThan(0);
    // --export-client-list: one series per connection, labelled with its user (and its age, so count them).
    const perUser = await prometheus.query('count by (user) (redis_connected_clients_details{user=~"immich|nextcloud"})');
    expect(Object.fromEntries(perUser.map((s) => [s.metric.user, s.value[1]]))).toEqual({ immich: '1', nextcloud: '1' });
  });

  describe('the dashboard, against the exporter as rendered (its key groups and batch size, the exporter user as rendered)', () => {
    let rendered: Exporter;
    let scraper: Prometheus;
    beforeAll(async () => {
      setRules(...KEY_GROUP_RULES);
      expect(cli(port, ['SET', 'paperless-ngx:cache:b', 'q'], admin)).toBe('OK');
      rendered = await startExporter('redis', {
        address: `${HOST}:${port}`,
        user: 'exporter',
        password: passwords.exporter!,
        args: [`--check-key-groups=${tenantKeyGroups(redis)}`, `--check-keys-batch-size=${CHECK_KEYS_BATCH_SIZE}`],
      });
      exporters.push(rendered);
      // The labels the PodMonitor's scrape gives the instance's series: the dashboard selects on them.
      scraper = await startPrometheus({
        targets: [{ job: 'redis', url: rendered.url, labels: { namespace: redis.namespace, pod: `${redis.name}-0` } }],
        rules: tenantRecordsRuleFile('redis', DASHBOARD),
      });
      await scraper.waitForScrapes(2);
    }, 60_000);
    afterAll(async () => {
      await scraper?.stop();
    });

    it('uses only metrics the exporter exposes, or that the platform makes', async () => {
      expect(unexposedMetrics(await rendered.metrics(), DASHBOARD, redisAlerts(redis))).toEqual({ missing: [], stale: [] });
    });

    it("each per-tenant panel returns a series for every tenant, under the tenant's name; an extra prefix's keys are unclassified", async () => {
      const seen = await perTenantPanelSeries(scraper, DASHBOARD);
      const want = redis.tenants.map((t) => t.tenant.name).sort();
      expect(Object.keys(seen)).toEqual(['Memory used by keys', 'Keys']);
      for (const [panel, tenants] of Object.entries(seen)) expect(tenants, panel).toEqual(want);
      const keys = await scraper.query('redis_key_group_count');
      // bull:* (immich's extra prefix) and the stray key: 4.
      expect(Object.fromEntries(keys.map((k) => [k.metric.key_group, k.value[1]]))).toEqual({ immich: '1', nextcloud: '2', 'paperless-ngx': '2', unclassified: '4' });
    });
  });
});
