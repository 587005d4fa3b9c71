import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

/**
 * One worker: the fuzz and render-heavy suites of this package would otherwise take both
 * cores from the real-server tests (Redis eviction, PostgreSQL backups) that turbo runs in
 * the other packages at the same time, and push their timing-bound cases over the timeout.
 */
export default mergeConfig(shared, defineConfig({ test: { maxWorkers: 1 } }));
