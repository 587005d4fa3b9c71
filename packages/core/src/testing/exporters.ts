/**
 * The Prometheus exporters of the images we render, run for real in tests: postgres_exporter
 * v0.17.1, mysqld_exporter v0.17.2 and redis_exporter v1.62.0, built by
 * scripts/install-go-tools.sh into Go's bin folder. Each listens on 127.0.0.1:<free port>.
 */
import { requirePrograms, type ProgramCheck } from './programs.ts';
import { startExporterProcess, type Exporter } from './prometheus.ts';

export type ExporterKind = 'postgres' | 'mysqld' | 'redis';

export const EXPORTER_PROGRAMS: Readonly<Record<ExporterKind, string>> = {
  postgres: 'postgres_exporter',
  mysqld: 'mysqld_exporter',
  redis: 'redis_exporter',
};

/** Whether the exporter is built (skips with why locally, fails with CI=true), and Prometheus beside it. */
export function requireExporter(kind: ExporterKind, purpose = `${kind} exporter tests`): ProgramCheck {
  return requirePrograms(purpose, [EXPORTER_PROGRAMS[kind], 'prometheus'], 'bash scripts/install-go-tools.sh builds the exporters; apt-get install prometheus');
}

/**
 * The collectors postgres_exporter v0.17.1 enables by default (collector/*.go, registerCollector
 * with defaultEnabled), all turned off so only the query file's metrics are exposed.
 */
export const POSTGRES_EXPORTER_DEFAULT_COLLECTORS = [
  'database',
  'locks',
  'replication',
  'replication_slot',
  'roles',
  'stat_bgwriter',
  'stat_database',
  'stat_user_tables',
  'statio_user_tables',
  'wal',
] as const;

export interface PostgresExporterOptions {
  /** DATA_SOURCE_NAME, e.g. postgresql://user:pw@127.0.0.1:5432/postgres?sslmode=disable */
  readonly dataSourceName: string;
  /** A file in postgres_exporter's query format (--extend.query-path); its metrics are `<key>_<column>`. */
  readonly queryPath?: string;
  /** Only the query file's metrics (and pg_up, the exporter's own): default true. */
  readonly onlyQueries?: boolean;
  readonly args?: readonly string[];
}

export interface MysqldExporterOptions {
  /** host:port */
  readonly address: string;
  readonly username: string;
  readonly password: string;
  /** Extra flags, e.g. --collect.info_schema.processlist. */
  readonly args?: readonly string[];
}

export interface RedisExporterOptions {
  /** host:port */
  readonly address: string;
  readonly user?: string;
  readonly password?: string;
  /** Extra flags, e.g. --check-key-groups=^(tenant-a):, --export-client-list. */
  readonly args?: readonly string[];
}

export interface ExporterOptions {
  postgres: PostgresExporterOptions;
  mysqld: MysqldExporterOptions;
  redis: RedisExporterOptions;
}

/** Starts the real exporter binary and waits until its /metrics answers with a successful scrape of the server. */
export function startExporter<K extends ExporterKind>(kind: K, options: ExporterOptions[K]): Promise<Exporter> {
  switch (kind) {
    case 'postgres': {
      const o = options as PostgresExporterOptions;
      const only = o.onlyQueries ?? true;
      return startExporterProcess({
        program: EXPORTER_PROGRAMS.postgres,
        args: (listen) => [
          `--web.listen-address=${listen}`,
          ...(o.queryPath ? [`--extend.query-path=${o.queryPath}`] : []),
          ...(only ? ['--disable-default-metrics', '--disable-settings-metrics', ...POSTGRES_EXPORTER_DEFAULT_COLLECTORS.map((c) => `--no-collector.${c}`)] : []),
          ...(o.args ?? []),
        ],
        env: { DATA_SOURCE_NAME: o.dataSourceName },
        ready: (m) => /^pg_up 1$/m.test(m),
      });
    }
    case 'mysqld': {
      const o = options as MysqldExporterOptions;
      return startExporterProcess({
        program: EXPORTER_PROGRAMS.mysqld,
        args: (listen) => [`--web.listen-address=${listen}`, `--mysqld.address=${o.address}`, `--mysqld.username=${o.username}`, ...(o.args ?? [])],
        env: { MYSQLD_EXPORTER_PASSWORD: o.password },
        ready: (m) => /^mysql_up 1$/m.test(m),
      });
    }
    case 'redis': {
      const o = options as RedisExporterOptions;
      return startExporterProcess({
        program: EXPORTER_PROGRAMS.redis,
        args: (listen) => [
          `--web.listen-address=${listen}`,
          `--redis.addr=redis://${o.address}`,
          ...(o.user ? [`--redis.user=${o.user}`] : []),
          ...(o.password ? [`--redis.password=${o.password}`] : []),
          ...(o.args ?? []),
        ],
        ready: (m) => /^redis_up 1$/m.test(m),
      });
    }
    default:
      throw new Error(`unknown exporter ${kind satisfies never}`);
  }
}
