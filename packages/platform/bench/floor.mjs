// The floor of `npm run bench`: what rendering cannot go below. A plain Node script, none of
// the product's code: node start, then every object as YAML with the writer's options (see
// toYaml in packages/core/src/writer.ts), one writeFileSync per object.
//
//   node floor.mjs <objects.json> <out-dir>
//
// Prints one JSON line: { objects, bytes, parseMs }. Reading the objects (JSON.parse) is a cost
// of the benchmark, not of rendering: the bench subtracts parseMs from the wall time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';

const [objectsFile, outDir] = process.argv.slice(2);
const t0 = performance.now();
const objects = JSON.parse(readFileSync(objectsFile, 'utf8'));
const parseMs = performance.now() - t0;
const header = '# Rendered by db-platform from apps/bench/platform.yaml. Do not edit: change the desired state and run `npm run synth`.\n';
mkdirSync(outDir, { recursive: true });
let bytes = 0;
for (let i = 0; i < objects.length; i++) {
  const text = `${header}${stringify(objects[i], { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })}`;
  bytes += text.length;
  writeFileSync(join(outDir, `${i}.yaml`), text);
}
console.log(JSON.stringify({ objects: objects.length, bytes, parseMs }));
