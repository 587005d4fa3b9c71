import { defineConfig } from 'vitest/config';

/**
 * Shared by every package. Generous timeouts: the first schema check compiles the CRD
 * validators (seconds on 2 cores while turbo runs packages in parallel), and real-server
 * tests start PostgreSQL, Redis or MariaDB. Speed is measured by `npm run bench`, never here.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
    // The render pipeline freezes what each stage hands on, so a stage that changes its input fails a test.
    env: { DB_PLATFORM_FREEZE: '1' },
  },
});
