#!/usr/bin/env node
// Runs benchmarks: bench/<name>.ts through tsx, one process each, one after another.
// Usage: node scripts/run-bench.mjs [name ...] [-- bench options]   (npm run bench -- golix)
// With no name, every bench/*.ts runs. Options after `--` (or any argument starting with `-`)
// are passed to each benchmark, e.g. `npm run bench -- golix --quick`.
// The child gets UV_THREADPOOL_SIZE = logical cores + 4 unless the environment already sets it:
// RSA signing and verification run on the libuv pool, which would otherwise cap them at 4 threads.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const benchDir = join(root, 'bench');
const args = process.argv.slice(2);
const dash = args.indexOf('--');
const names = (dash < 0 ? args : args.slice(0, dash)).filter((a) => !a.startsWith('-'));
const passThrough = [...(dash < 0 ? args : args.slice(0, dash)).filter((a) => a.startsWith('-')), ...(dash < 0 ? [] : args.slice(dash + 1))];

const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const unknown = names.filter((n) => !available.includes(n));
if (unknown.length > 0) {
  console.error(`run-bench: no bench/${unknown[0]}.ts. Available: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
const selected = names.length > 0 ? names : available;
if (selected.length === 0) {
  console.error('run-bench: no benchmarks in bench/.');
  process.exit(2);
}

const pool = process.env.UV_THREADPOOL_SIZE ?? String(availableParallelism() + 4);
let failed = 0;
for (const name of selected) {
  const file = join(benchDir, `${name}.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n=== bench/${name} (UV_THREADPOOL_SIZE=${pool}) ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...passThrough], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: pool },
  });
  if (result.status !== 0) {
    failed++;
    console.error(`run-bench: bench/${name} exited with ${result.signal ?? result.status}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
