/**
 * A real Prometheus for tests: Debian's `prometheus` on 127.0.0.1:<free port>, its config, rule
 * file and TSDB in a temp folder, scraping the given targets every second and evaluating rules
 * every second, so dashboard and alert queries run against what real exporters expose.
 * Also a generic starter for an exporter binary on a free port (`startExporterProcess`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findProgram } from './programs.ts';
import { freePort } from './servers.ts';

/** Polls `probe` (errors count as not yet) until it holds; fails at once when the process exits. */
async function whileRunning(proc: ChildProcess, what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited (${proc.exitCode ?? proc.signalCode}) before ${what} answered`);
    try {
      if (await probe()) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ScrapeTarget {
  readonly job: string;
  /** host:port */
  readonly url: string;
  /** Labels added to every series scraped from this target. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The metrics path, `/metrics` unless given; one path per job. */
  readonly path?: string;
  /**
   * Labels dropped from every scraped series (metric_relabel_configs labeldrop), to model what
   * another collector would expose; one list per job.
   */
  readonly dropLabels?: readonly string[];
}

export interface PrometheusOptions {
  readonly targets: readonly ScrapeTarget[];
  /** YAML text of a Prometheus rule file (`groups: [...]`), evaluated every second. */
  readonly rules?: string;
  readonly scrapeInterval?: '1s';
}

/** One element of an instant vector (a scalar result is returned as one element without labels). */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface Prometheus {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** An instant query (/api/v1/query) at now; throws with Prometheus's error text when refused. */
  query(expr: string): Promise<Sample[]>;
  /** Polls `expr` until `accept` holds for its result (default: non-empty); returns that result. */
  waitForQuery(expr: string, accept?: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  /** Waits until every target has been scraped successfully `n` times; names the failing targets otherwise. */
  waitForScrapes(n: number, timeoutMs?: number): Promise<void>;
  /** Prometheus's own log so far (stderr). */
  log(): string;
  stop(): Promise<void>;
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

interface ApiTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** prometheus.yml for the targets: one scrape config per job, one static config per target. */
export function prometheusConfig(options: PrometheusOptions, ruleFile?: string): string {
  const interval = options.scrapeInterval ?? '1s';
  const jobs = new Map<string, { path: string; drop: string; targets: ScrapeTarget[] }>();
  for (const t of options.targets) {
    const path = t.path ?? '/metrics';
    const drop = (t.dropLabels ?? []).join('|');
    const job = jobs.get(t.job) ?? { path, drop, targets: [] };
    if (job.path !== path) throw new Error(`job ${t.job}: one metrics path per job (${job.path} and ${path})`);
    if (job.drop !== drop) throw new Error(`job ${t.job}: one dropLabels list per job`);
    job.targets.push(t);
    jobs.set(t.job, job);
  }
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    ...(ruleFile ? { rule_files: [ruleFile] } : {}),
    scrape_configs: [...jobs].map(([job, { path, drop, targets }]) => ({
      job_name: job,
      metrics_path: path,
      static_configs: targets.map((t) => ({ targets: [t.url], ...(t.labels ? { labels: { ...t.labels } } : {}) })),
      ...(drop ? { metric_relabel_configs: [{ action: 'labeldrop', regex: drop }] } : {}),
    })),
  });
}

async function api<T>(url: string, what: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== 'success') throw new Error(`Prometheus refused ${what}: ${body.errorType ?? res.status}: ${body.error ?? res.statusText}`);
  return body.data as T;
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const program = findProgram('prometheus');
  if (!program) throw new Error('prometheus not installed (apt-get install prometheus)');
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  let ruleFile: string | undefined;
  if (options.rules !== undefined) {
    ruleFile = join(dir, 'rules.yml');
    writeFileSync(ruleFile, options.rules);
  }
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(options, ruleFile));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(
    program,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h', '--log.level=warn'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr?.on('data', (d) => (log = (log + d).slice(-20_000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await whileRunning(proc, `Prometheus on port ${port}`, async () => (await fetch(`${url}/-/ready`)).ok);
  } catch (err) {
    await stop();
    throw new Error(`Prometheus did not start: ${(err as Error).message}\n${log}`);
  }

  const query = async (expr: string): Promise<Sample[]> => {
    const data = await api<{ resultType: string; result: unknown }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, `query ${JSON.stringify(expr)}`);
    if (data.resultType === 'vector') return data.result as Sample[];
    if (data.resultType === 'scalar' || data.resultType === 'string') return [{ metric: {}, value: data.result as [number, string] }];
    throw new Error(`query ${JSON.stringify(expr)} returned a ${data.resultType}, not an instant vector`);
  };

  const expected = options.targets.length;
  const targets = async () => (await api<{ activeTargets: ApiTarget[] }>(`${url}/api/v1/targets?state=active`, 'the targets list')).activeTargets;

  return {
    url,
    query,
    async waitForQuery(expr, accept = (s) => s.length > 0, timeoutMs = 30_000) {
      let last: Sample[] = [];
      let lastError = '';
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          last = await query(expr);
          lastError = '';
          if (accept(last)) return last;
        } catch (err) {
          lastError = (err as Error).message;
          if (lastError.startsWith('Prometheus refused')) throw err;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expr}: last result ${JSON.stringify(last)} ${lastError}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async waitForScrapes(n, timeoutMs = 30_000 + n * 2_000) {
      // sum_over_time(up) counts the successful scrapes of each target (up is 1 for each).
      const counts = async () => new Map((await query('sum_over_time(up[1h])')).map((s) => [`${s.metric.job}/${s.metric.instance}`, Number(s.value[1])]));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const active = await targets();
        const done = await counts();
        if (active.length >= expected && active.every((t) => (done.get(`${t.labels.job}/${t.labels.instance}`) ?? 0) >= n)) return;
        if (Date.now() > deadline) {
          const lines = active.map((t) => {
            const c = done.get(`${t.labels.job}/${t.labels.instance}`) ?? 0;
            return `  ${t.labels.job} ${t.scrapeUrl}: ${t.health}, ${c} of ${n} successful scrapes${t.lastError ? `, last error: ${t.lastError}` : ''}`;
          });
          const down = active.filter((t) => (done.get(`${t.labels.job}/${t.labels.instance}`) ?? 0) < n).map((t) => `${t.labels.job}/${t.labels.instance}`);
          const known = new Set(active.map((t) => `${t.labels.job}/${t.labels.instance}`));
          const unknown = options.targets.filter((t) => !known.has(`${t.job}/${t.url}`)).map((t) => `${t.job}/${t.url} (not discovered yet: Prometheus hands new targets to its scrapers every 5 s)`);
          throw new Error(`Prometheus did not scrape every target ${n} times in ${timeoutMs} ms; short: ${[...down, ...unknown].join(', ')}\n${lines.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    log: () => log,
    stop,
  };
}

export interface Exporter {
  /** host:port, as a scrape target */
  readonly url: string;
  /** The text of its /metrics page. */
  metrics(): Promise<string>;
  /** Its output so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

export interface ExporterProcess {
  /** Program name (found on PATH or in Go's bin folder) or absolute path. */
  readonly program: string;
  /** Its arguments, given the address it must listen on (127.0.0.1:<free port>). */
  readonly args: (listen: string) => readonly string[];
  /** Environment added to PATH (nothing else of this process's environment is passed). */
  readonly env?: Readonly<Record<string, string>>;
  readonly path?: string;
  /** Ready when /metrics answers 200 and this holds for its text (default: always). */
  readonly ready?: (metrics: string) => boolean;
  readonly timeoutMs?: number;
}

/** Starts an exporter binary on a free loopback port and waits until its metrics page answers. */
export async function startExporterProcess(spec: ExporterProcess): Promise<Exporter> {
  const program = findProgram(spec.program);
  if (!program) throw new Error(`${spec.program} not installed`);
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const proc = spawn(program, [...spec.args(listen)], { env: { PATH: process.env.PATH ?? '', ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (d: Buffer) => (log = (log + d).slice(-20_000));
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const metricsUrl = `http://${listen}${spec.path ?? '/metrics'}`;
  const metrics = async () => {
    const res = await fetch(metricsUrl);
    if (!res.ok) throw new Error(`${metricsUrl}: HTTP ${res.status}`);
    return res.text();
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const ready = spec.ready ?? (() => true);
  try {
    await whileRunning(proc, `${spec.program} on ${listen}`, async () => ready(await metrics()), spec.timeoutMs);
  } catch (err) {
    await stop();
    throw new Error(`${spec.program} did not start: ${(err as Error).message}\n${log}`);
  }
  return { url: listen, metrics, log: () => log, stop };
}
