// Loaded with `node --import` into every process the bench times: on exit, writes the
// process's peak resident set size (KiB) and CPU time (user + system, ms) as JSON to the file
// named by DB_PLATFORM_BENCH_RSS.
import { writeFileSync } from 'node:fs';

const target = process.env.DB_PLATFORM_BENCH_RSS;
if (target) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ maxRssKiB: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
