/**
 * Per-tenant connection limits: each tenant role's CONNECTION LIMIT, created the way CNPG
 * creates it from our Cluster, on a real PostgreSQL server; and the guardrail that the limits
 * fit in max_connections beside what the platform needs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceFactsOf } from '@db/core';
import { findObject, requirePrograms, startPostgres, synthEngine, type PostgresServer } from '@db/core/testing';
import { postgresEngine } from '../src/engine.ts';
import { resolvePostgres } from '../src/model.ts';
import { cnpgCreateRoleSql } from '../src/operator-contract.ts';
import { connectionLimitsFit, platformConnections } from '../src/rules.ts';
import { modelFromYaml, PROD_LIKE } from './helpers.ts';

const withTenants = (tenants: string, postgres = '{ instances: 2 }') => PROD_LIKE.replace(/postgres: \{ instances: 2 \}\ntenants:[\s\S]*$/, `postgres: ${postgres}\ntenants:\n${tenants}`);

describe('connection-limits-fit', () => {
  const findings = (yaml: string) => {
    const model = modelFromYaml(yaml);
    return connectionLimitsFit.check({ model, objects: [], facts: customResourceFactsOf([postgresEngine]) });
  };

  it('accepts limits that leave the platform its connections', () => {
    const model = modelFromYaml(withTenants('  - { name: shop, postgres: { database: shop, connectionLimit: 100 } }\n'));
    // 200 (max_connections) - 3 reserved - 3 instance manager - 1 backup - 3 PgBouncer auth
    expect(platformConnections(resolvePostgres(model)).total).toBe(10);
    expect(findings(withTenants('  - { name: shop, postgres: { database: shop, connectionLimit: 190 } }\n'))).toEqual([]);
  });

  it('refuses limits that add up to more than the server has, naming the field', () => {
    const found = findings(withTenants('  - { name: shop, postgres: { database: shop, connectionLimit: 150 } }\n  - { name: blog, postgres: { database: blog, connectionLimit: 41 } }\n'));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/add up to 191 and the platform needs 10 .*more than max_connections 200/);
    expect(found[0]!.path).toEqual(['tenants', 1, 'postgres', 'connectionLimit']);
    // Raising max_connections makes room.
    expect(
      findings(
        withTenants(
          '  - { name: shop, postgres: { database: shop, connectionLimit: 150 } }\n  - { name: blog, postgres: { database: blog, connectionLimit: 41 } }\n',
          '{ instances: 2, parameters: { max_connections: "300" } }',
        ),
      ),
    ).toEqual([]);
  });
});

const programs = requirePrograms('PostgreSQL connection limits against a real server', ['psql'], 'apt-get install postgresql');

describe.skipIf(!programs.available)('a tenant at its connection limit, on a real PostgreSQL', () => {
  let pg: PostgresServer;
  const model = modelFromYaml(withTenants('  - { name: shop, postgres: { database: shop, connectionLimit: 2 } }\n  - { name: blog, postgres: { database: blog } }\n'));
  const cluster = findObject(synthEngine(postgresEngine, model), 'Cluster', 'pg-cluster');
  const role = (name: string) => cluster.spec.managed.roles.find((r: { name: string }) => r.name === name);
  const PASSWORD = 'TenantPassw0rd.1';

  beforeAll(async () => {
    pg = await startPostgres();
    for (const name of ['shop', 'blog']) {
      pg.sql(cnpgCreateRoleSql(role(name), PASSWORD));
      pg.sql(`CREATE DATABASE ${name} OWNER ${name}`);
    }
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });

  /** psql as an app connects: over TCP, with the role's password. */
  const psqlArgs = (user: string, sql: string) => [join(pg.bin, 'psql'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', user, '-X', '-At', '-c', sql]] as const;
  const env = { ...process.env, PGPASSWORD: PASSWORD, PGCONNECT_TIMEOUT: '5' };

  it('renders the limit into the role CNPG creates', () => {
    expect(role('shop').connectionLimit).toBe(2);
    expect(role('blog').connectionLimit).toBe(-1);
    expect(pg.sql("SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname IN ('shop', 'blog') ORDER BY rolname")).toBe('blog|-1\nshop|2\n');
  });

  it('refuses a third session of the limited tenant while the other tenant still connects', async () => {
    const holders = [0, 1].map(() => spawn(...psqlArgs('shop', 'SELECT pg_sleep(30)'), { env, stdio: 'ignore' }));
    try {
      const sessions = () => Number(pg.sql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'shop'").trim());
      for (let i = 0; i < 100 && sessions() < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect(sessions()).toBe(2);
      const third = spawnSync(...psqlArgs('shop', 'SELECT 1'), { env, encoding: 'utf8' });
      expect(third.status).not.toBe(0);
      expect(third.stderr).toMatch(/too many connections for role "shop"/);
      const other = spawnSync(...psqlArgs('blog', 'SELECT current_user'), { env, encoding: 'utf8' });
      expect(other.stderr).toBe('');
      expect(other.stdout.trim()).toBe('blog');
    } finally {
      for (const h of holders) h.kill('SIGKILL');
    }
  }, 60_000);
});
