import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SchemaValidator, closeCrdSchema } from '../src/validate.ts';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../../schemas');
const v = new SchemaValidator('v1.32', root);

const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { selector: { a: 'b' }, ports: [{ port: 5432 }] } };
const database = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', metadata: { name: 'd', namespace: 'n' }, spec: { name: 'd', owner: 'd', cluster: { name: 'c' } } };

describe('schema validation of rendered objects', () => {
  it('accepts valid core and custom objects', () => {
    expect(v.validate(service)).toEqual([]);
    expect(v.validate(database)).toEqual([]);
  });
  it('refuses unknown fields in core kinds', () => {
    expect(v.validate({ ...service, spec: { ...service.spec, tipe: 'ClusterIP' } })[0]!.message).toContain('unknown field "tipe"');
  });
  it('refuses unknown fields in custom kinds, which the API server would silently prune', () => {
    expect(v.validate({ ...database, spec: { ...database.spec, ownr: 'x' } })[0]!.message).toContain('unknown field "ownr"');
    expect(v.validate({ ...database, metadata: { ...database.metadata, lables: {} } as typeof database.metadata })[0]!.message).toContain('unknown field "lables"');
  });
  it('refuses wrong types and values', () => {
    expect(v.validate({ ...database, spec: { ...database.spec, ensure: 'maybe' } })).not.toEqual([]);
  });
  it('refuses unknown kinds and versions', () => {
    expect(v.validate({ ...database, kind: 'Databse' })[0]!.message).toContain('unknown kind');
    expect(v.validate({ ...service, apiVersion: 'v2' })[0]!.message).toContain('unknown kind');
  });
  it('keeps fields open where the CRD preserves unknown fields', () => {
    const closed = closeCrdSchema({
      type: 'object',
      properties: { a: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, b: { type: 'object', properties: { c: { type: 'string' } } }, d: { 'x-kubernetes-int-or-string': true } },
    });
    expect(closed.additionalProperties).toBe(false);
    expect(closed.properties.a.additionalProperties).toBeUndefined();
    expect(closed.properties.b.additionalProperties).toBe(false);
    expect(closed.properties.d.anyOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
  });
});
