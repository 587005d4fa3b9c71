// Loaded with `node --import` into every process the bench times: on exit, writes the
// process's peak resident set size (KiB) to the file named by DB_PLATFORM_BENCH_RSS.
import { writeFileSync } from 'node:fs';

const target = process.env.DB_PLATFORM_BENCH_RSS;
if (target) process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS)));
