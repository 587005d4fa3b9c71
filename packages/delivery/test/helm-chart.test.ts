import { describe, expect, it } from 'vitest';
import { templateOf } from '../src/helm-chart.ts';

/** The keys a template passes as the object's own labels (or annotations), which values may not replace. */
const ownKeys = (template: string, section: 'labels' | 'annotations') =>
  new RegExp(`\\.Values\\.global\\.common${section === 'labels' ? 'Labels' : 'Annotations'} \\(list([^)]*)\\) 4\\)`).exec(template)?.[1]?.trim();

describe('templateOf: the keys an object already has', () => {
  it('reads plain keys', () => {
    const t = templateOf('kind: A\nmetadata:\n  labels:\n    app.kubernetes.io/name: x\n    db-platform.io/tenant: y\n  name: n\n');
    expect(ownKeys(t, 'labels')).toBe('"app.kubernetes.io/name" "db-platform.io/tenant"');
  });
  it('reads quoted keys and keys YAML would read as other types as the parser does', () => {
    const t = templateOf('kind: A\nmetadata:\n  labels:\n    "quoted key": a\n    true: b\n    "123": d\n    plain: e\n  name: n\n');
    // As the parser gives them: integer-like keys first, as in any JavaScript object.
    expect(ownKeys(t, 'labels')).toBe('"123" "quoted key" "true" "plain"');
  });
  it('sees every key of annotations whose block scalars hold blank lines', () => {
    const t = templateOf('kind: A\nmetadata:\n  annotations:\n    a: |-\n      one\n\n      three\n    b: c\n  name: n\n');
    expect(t).toContain('"a"');
    expect(t).toContain('"b"');
  });
});
