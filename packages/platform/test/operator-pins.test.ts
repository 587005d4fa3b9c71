/**
 * Each engine pins the operator it needs (its `operator.ts`); the pin must install the operator
 * version whose CRDs the platform validates against (schemas/crds/SOURCES.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HelmOperator } from '@db/core';
import { cloudnativePgOperator } from '@db/postgres';
import { mysqlOperator } from '@db/mysql';
import { externalSecretsOperator, vaultConfigOperator } from '@db/vault';
import { SCHEMA_ROOT } from '../src/paths.ts';

describe('operator pins', () => {
  it('install the operator versions whose CRDs the platform validates against (schemas/crds/SOURCES.md)', () => {
    const sources = readFileSync(join(SCHEMA_ROOT, 'crds/SOURCES.md'), 'utf8');
    const tagOf = (folder: string) => {
      const row = sources.split('\n').find((l) => l.startsWith(`| ${folder}/`));
      if (!row) throw new Error(`no CRD of ${folder} in SOURCES.md`);
      return row.split('|')[3]!.trim().replace(/^v/, '');
    };
    const pins: [HelmOperator, string][] = [
      [cloudnativePgOperator('cnpg-system'), 'cnpg'],
      [mysqlOperator('mysql-operator'), 'mysql-operator'],
      [externalSecretsOperator(), 'external-secrets'],
      [vaultConfigOperator('http://vault:8200'), 'vault-config-operator'],
    ];
    for (const [operator, folder] of pins) expect(operator.appVersion, operator.id).toBe(tagOf(folder));
    expect(sources).toContain('CloudNativePG 1.30.0 (chart cloudnative-pg 0.29.0)');
    expect(cloudnativePgOperator('x').chart.version).toBe('0.29.0');
  });
});
