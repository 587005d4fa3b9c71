#!/usr/bin/env node
// Runs the TypeScript sources directly (internal packages are not built): tsx registers
// the loader, then the CLI takes over.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
