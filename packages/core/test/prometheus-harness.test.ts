/**
 * The Prometheus test harness itself, end to end: a real Prometheus scrapes a real exporter
 * (postgres_exporter v0.17.1 in front of a throwaway PostgreSQL), evaluates a recording rule,
 * refuses a bad expression with its own message and names a target it cannot scrape.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  freePort,
  postgresBinDir,
  prometheusConfig,
  requireExporter,
  requirePrograms,
  startExporter,
  startPostgres,
  startPrometheus,
  type Exporter,
  type PostgresServer,
  type Prometheus,
} from '../src/testing/index.ts';

describe('prometheusConfig', () => {
  it('has one scrape config per job, 1 s scrapes and rule evaluation, and the targets labels, path and dropped labels', () => {
    const config = parse(
      prometheusConfig(
        {
          targets: [
            { job: 'a', url: '127.0.0.1:1', labels: { tenant: 'x' } },
            { job: 'a', url: '127.0.0.1:2' },
            { job: 'b', url: '127.0.0.1:3', path: '/probe', dropLabels: ['server', 'x'] },
          ],
        },
        '/tmp/rules.yml',
      ),
    );
    expect(config.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(config.rule_files).toEqual(['/tmp/rules.yml']);
    expect(config.scrape_configs).toEqual([
      { job_name: 'a', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:1'], labels: { tenant: 'x' } }, { targets: ['127.0.0.1:2'] }] },
      { job_name: 'b', metrics_path: '/probe', static_configs: [{ targets: ['127.0.0.1:3'] }], metric_relabel_configs: [{ action: 'labeldrop', regex: 'server|x' }] },
    ]);
  });

  it('refuses two metrics paths in one job', () => {
    expect(() =>
      prometheusConfig({
        targets: [
          { job: 'a', url: 'h:1' },
          { job: 'a', url: 'h:2', path: '/x' },
        ],
      }),
    ).toThrow(/one metrics path per job/);
  });
});

const tools = requireExporter('postgres', 'the Prometheus harness against postgres_exporter');
const pg = requirePrograms('the Prometheus harness against postgres_exporter', ['psql', join(postgresBinDir() ?? '/usr/lib/postgresql/<version>/bin', 'postgres')], 'apt-get install postgresql');

describe.skipIf(!tools.available || !pg.available)('a real Prometheus scraping a real exporter', () => {
  let server: PostgresServer;
  let exporter: Exporter;
  let prometheus: Prometheus;
  let downPort: number;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    server = await startPostgres();
    const socketDir = server.superuserArgs[1]!;
    let t = Date.now();
    exporter = await startExporter('postgres', {
      dataSourceName: `postgresql://postgres@:${server.port}/postgres?host=${encodeURIComponent(socketDir)}&sslmode=disable`,
      onlyQueries: false,
    });
    timings.exporter = Date.now() - t;
    downPort = await freePort();
    t = Date.now();
    prometheus = await startPrometheus({
      targets: [{ job: 'postgres', url: exporter.url, labels: { cluster: 'test' } }],
      rules: `groups:
  - name: harness
    rules:
      - record: job:pg_up:sum
        expr: sum by (job, cluster) (pg_up)
`,
    });
    timings.prometheus = Date.now() - t;
  }, 120_000);

  afterAll(async () => {
    console.log(`start-up: postgres_exporter ${timings.exporter} ms, Prometheus ${timings.prometheus} ms`);
    await prometheus?.stop();
    await exporter?.stop();
    await server?.stop();
  });

  it('scrapes the exporter every second, with the target labels', async () => {
    const t = Date.now();
    await prometheus.waitForScrapes(3);
    console.log(`3 successful scrapes after ${Date.now() - t} ms`);
    const up = await prometheus.query('up');
    expect(up).toEqual([{ metric: { __name__: 'up', job: 'postgres', instance: exporter.url, cluster: 'test' }, value: [expect.any(Number), '1'] }]);
    const databases = await prometheus.query('pg_database_size_bytes');
    expect(databases.map((s) => s.metric.datname).sort()).toEqual(['postgres', 'template0', 'template1']);
    expect(await exporter.metrics()).toMatch(/^pg_up 1$/m);
  });

  it('evaluates a recording rule given in rules', async () => {
    const recorded = await prometheus.waitForQuery('job:pg_up:sum');
    expect(recorded).toEqual([{ metric: { __name__: 'job:pg_up:sum', job: 'postgres', cluster: 'test' }, value: [expect.any(Number), '1'] }]);
  });

  it('returns a scalar as one sample without labels', async () => {
    expect(await prometheus.query('1 + 1')).toEqual([{ metric: {}, value: [expect.any(Number), '2'] }]);
  });

  it('throws with Prometheus’s error text on a bad expression', async () => {
    await expect(prometheus.query('sum(')).rejects.toThrow(/Prometheus refused query "sum\(": bad_data: .*parse error/);
    await expect(prometheus.query('rate(up)')).rejects.toThrow(/expected type range vector/);
  });

  it('names a target it cannot scrape, with its last error', async () => {
    const down = await startPrometheus({ targets: [{ job: 'missing', url: `127.0.0.1:${downPort}` }] });
    try {
      const err = await down.waitForScrapes(1, 8_000).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(new RegExp(`short: missing/127.0.0.1:${downPort}`));
      expect((err as Error).message).toMatch(/down, 0 of 1 successful scrapes, last error: .*connection refused/);
    } finally {
      await down.stop();
    }
  });

  it('fails to start with Prometheus’s message on a bad rule file', async () => {
    await expect(startPrometheus({ targets: [], rules: 'groups:\n  - name: x\n    rules:\n      - record: r\n        expr: sum(\n' })).rejects.toThrow(
      /Prometheus did not start: exited [\s\S]*parse error/,
    );
  });
});
