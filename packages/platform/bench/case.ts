/**
 * One benchmark case, run in its own process so its peak memory is its own.
 * Prints one JSON line: { case, objects, bytes, ms, maxRssMiB }.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { renderTree, type RenderedObject } from '@db/core';
import { renderFile, renderText } from '../src/render.ts';
import { platformFileOf } from '../src/paths.ts';

/** A desired state with `n` PostgreSQL tenants, otherwise like prod. */
export function generatedPlatform(n: number): string {
  const prod = readFileSync(platformFileOf('prod'), 'utf8');
  const head = prod.slice(0, prod.indexOf('\ntenants:'));
  const tenants = Array.from({ length: n }, (_, i) => {
    const id = String(i).padStart(4, '0');
    return `  - name: app-${id}\n    postgres: { database: app_${id} }`;
  });
  return `${head}\ntenants:\n${tenants.join('\n')}\n`;
}

const [name, arg] = process.argv.slice(2);
const start = performance.now();
let objects = 0;
let bytes = 0;
if (name === 'prod') {
  const r = renderFile(platformFileOf('prod'), 'prod');
  if (!r.ok) throw new Error('prod refused');
  objects = r.objects.length;
  bytes = [...r.files.values()].reduce((s, c) => s + c.length, 0);
} else if (name === 'tenants-1000') {
  const r = renderText(generatedPlatform(1000), 'generated.yaml');
  if (!r.ok) throw new Error(`generated platform refused: ${JSON.stringify(r.problems.slice(0, 3))}`);
  objects = r.objects.length;
  bytes = [...r.files.values()].reduce((s, c) => s + c.length, 0);
  if (arg) writeFileSync(arg, JSON.stringify(r.objects));
} else if (name === 'floor') {
  // The same objects, already plain JSON: only serialisation and the file tree remain.
  const loaded = JSON.parse(readFileSync(arg!, 'utf8')) as RenderedObject[];
  const t0 = performance.now();
  const files = renderTree(loaded, '# header\n');
  objects = loaded.length;
  bytes = [...files.values()].reduce((s, c) => s + c.length, 0);
  console.log(JSON.stringify({ case: name, objects, bytes, ms: Math.round(performance.now() - t0), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  process.exit(0);
} else {
  throw new Error(`unknown case ${name}`);
}
console.log(JSON.stringify({ case: name, objects, bytes, ms: Math.round(performance.now() - start), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
