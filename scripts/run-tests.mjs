#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node:test (through tsx), independent files in parallel.
// Usage: node scripts/run-tests.mjs [path-substring ...]   (filters test files by substring)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.test\.tsx?$/.test(name)) out.push(relative(root, p));
  }
  return out;
}

const files = walk(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
// Most test files wait on I/O, child processes or the libuv pool, not the CPU, so run more
// files at once than there are cores.
const concurrency = process.env.TEST_CONCURRENCY ?? '4';
// A backstop, far above any file's time (the slowest take ~3 minutes on one CPU): a file whose
// process never exits (a handle left open after a failure) is killed and reported as failed,
// instead of holding the whole run until CI gives up on it.
const fileTimeoutMs = process.env.TEST_FILE_TIMEOUT_MS ?? String(15 * 60_000);
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${fileTimeoutMs}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '8' } },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
