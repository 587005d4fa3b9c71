// `npm run build`: bundles the CLI into dist/cli.mjs (bin/bundle.mjs). bin/db-platform.mjs also
// builds it on its own when the sources changed, so this is for CI and the benchmarks.
import { buildBundle } from './bin/bundle.mjs';

await buildBundle();
