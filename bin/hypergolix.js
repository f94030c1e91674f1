#!/usr/bin/env node
// The `hypergolix` command. The CLI lives in dist/ (built by `npm run build`).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

// RSA signing and verification, scrypt and file I/O all queue on libuv's thread pool, which has
// 4 threads unless told otherwise. It is created on first use, so this is early enough; detached
// daemons and servers inherit it.
process.env.UV_THREADPOOL_SIZE ??= String(availableParallelism() + 4);
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('hypergolix: the CLI is not built yet. Run `npm run build` in the project directory.');
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
