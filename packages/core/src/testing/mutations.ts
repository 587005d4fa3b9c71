/** Broken copies of a JSON value, deterministic by seed: for differential tests of validators. */
/** A small deterministic generator, so a failure names a mutation that can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Json = Record<string, unknown>;
type Path = (string | number)[];

/** Every path below `value` whose value is an object, an array or a scalar. */
function paths(value: unknown, at: Path = [], out: { objects: Path[]; arrays: Path[]; scalars: Path[] } = { objects: [], arrays: [], scalars: [] }) {
  if (Array.isArray(value)) {
    out.arrays.push(at);
    value.forEach((v, i) => {
      paths(v, [...at, i], out);
    });
  } else if (value && typeof value === 'object') {
    out.objects.push(at);
    for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  } else out.scalars.push(at);
  return out;
}

function set(root: unknown, path: Path, f: (parent: Json | unknown[], key: string | number) => void): void {
  let cur = root as Json;
  for (const p of path.slice(0, -1)) cur = cur[p as string] as Json;
  f(cur, path[path.length - 1]!);
}

/** Broken copies of `value`: unknown fields, wrong types, missing fields, at random depths. */
export function mutations(value: unknown, seed: number, count: number): { name: string; value: unknown }[] {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(next() * xs.length)];
  const out: { name: string; value: unknown }[] = [];
  for (let i = 0; i < count; i++) {
    const copy = structuredClone(value);
    const { objects, arrays, scalars } = paths(copy);
    const kind = i % 5;
    let name = '';
    if (kind === 0) {
      const at = pick(objects)!;
      let cur = copy as Json;
      for (const p of at) cur = cur[p as string] as Json;
      cur.unknownFeld = true;
      name = `unknown field at /${at.join('/')}`;
    } else if (kind === 1) {
      const at = pick(scalars.filter((p) => p.length > 0));
      if (!at) continue;
      set(copy, at, (p, k) => {
        const old = (p as Json)[k as string];
        (p as Json)[k as string] = typeof old === 'string' ? 42 : typeof old === 'number' ? 'forty-two' : typeof old === 'boolean' ? 'yes' : [];
      });
      name = `wrong type at /${at.join('/')}`;
    } else if (kind === 2) {
      const at = pick(objects.filter((p) => p.length > 0));
      if (!at) continue;
      set(copy, at, (p, k) => {
        (p as Json)[k as string] = 'not an object';
      });
      name = `string for the object at /${at.join('/')}`;
    } else if (kind === 3) {
      const at = pick([...objects, ...arrays].filter((p) => p.length > 0));
      if (!at) continue;
      set(copy, at, (p, k) => {
        if (Array.isArray(p)) p.splice(k as number, 1);
        else delete (p as Json)[k as string];
      });
      name = `removed /${at.join('/')}`;
    } else {
      const at = pick(scalars.filter((p) => p.length > 0 && typeof p[p.length - 1] === 'string'));
      if (!at) continue;
      set(copy, at, (p, k) => {
        (p as Json)[k as string] = -1;
      });
      name = `-1 at /${at.join('/')}`;
    }
    out.push({ name, value: copy });
  }
  return out;
}
