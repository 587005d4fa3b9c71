import { defineConfig } from 'vitest/config';

// The real-program tests start servers and wait for failovers: bounded, but longer than
// vitest's 5 s default. Files run one at a time so port use and CPU stay predictable.
export default defineConfig({ test: { testTimeout: 120_000, hookTimeout: 60_000, fileParallelism: false } });
