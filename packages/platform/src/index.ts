/**
 * @db/platform is used through its CLI (bin/db-platform.mjs runs src/cli.ts or its bundle);
 * no other package imports it, so it exports nothing. Its own tests, benchmarks and CLI import
 * the module files.
 */
export {};
