#!/usr/bin/env node
// Runs test files again and again beside a busy CPU, to bring out races that a quiet machine
// hides (the thirty-first session found two of the daemon's this way: seed 21 of the random
// schedule failed about one run in twenty-five under load, never alone).
// Usage: node scripts/under-load.mjs [--runs N] [--lanes L] [--hogs H] [--keep DIR] [--name RE] FILE...
//   N runs of FILE... in each of L lanes at once (defaults 10 and 2), beside H processes that
//   spin at the lowest priority (default 1). The environment passes through (HGX_CHAOS_SEEDS,
//   HGX_TEST_LOG=debug for the daemons' lines). The output of each failing run is kept in DIR
//   (default .tmp/under-load/); --name runs only the tests whose names match RE (node's
//   --test-name-pattern), so one slow file's one racy test runs many times; exit 1 if any run
//   failed, 2 for a bad command line.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const USAGE = 'Usage: node scripts/under-load.mjs [--runs N] [--lanes L] [--hogs H] [--keep DIR] [--name RE] FILE...';
/** The value after `name` (taken out of the arguments), or `fallback`. */
const take = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  if (value === undefined) {
    console.error(`${name} needs a value\n${USAGE}`);
    process.exit(2);
  }
  return value;
};
const option = (name, fallback) => {
  const given = take(name, null);
  if (given === null) return fallback;
  const value = Number(given);
  if (!Number.isInteger(value) || value < (name === '--hogs' ? 0 : 1)) {
    console.error(`${name} takes a whole number (${name === '--hogs' ? 0 : 1} or more), not ${JSON.stringify(given)}`);
    process.exit(2);
  }
  return value;
};
const runs = option('--runs', 10);
const lanes = option('--lanes', 2);
const hogs = option('--hogs', 1);
const kept = resolve(root, take('--keep', '.tmp/under-load'));
const name = take('--name', null);
if (args.length === 0 || args.some((a) => a.startsWith('--'))) {
  console.error(USAGE);
  process.exit(2);
}
mkdirSync(kept, { recursive: true });

const spinning = Array.from({ length: hogs }, () => {
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  // Busy, but never ahead of the tests: the load takes what they leave.
  hog.on('spawn', () => setPriority(hog.pid, 19));
  return hog;
});
const stopHogs = () => spinning.forEach((h) => h.kill());
process.on('SIGINT', () => {
  stopHogs();
  process.exit(130);
});

// Run from inside a test (its own), node:test's mark would make each run report to that test's
// runner rather than exit with its own status.
const { NODE_TEST_CONTEXT: _inside, ...testEnv } = process.env;

/** One run of the files; resolves with whether it passed (its output kept when it did not). */
function once(lane, run) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...(name === null ? [] : ['--test-name-pattern', name]), ...args], { cwd: root, env: testEnv });
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    child.on('close', (code) => {
      const passed = code === 0;
      const log = join(kept, `lane${lane}-run${run}.log`);
      if (!passed) writeFileSync(log, Buffer.concat(out));
      console.log(`lane ${lane}, run ${run}: ${passed ? 'pass' : `FAIL (${log})`}`);
      resolve(passed);
    });
  });
}

const results = await Promise.all(
  Array.from({ length: lanes }, async (_, lane) => {
    const passed = [];
    for (let run = 1; run <= runs; run++) passed.push(await once(lane + 1, run));
    return passed;
  }),
);
stopHogs();
const all = results.flat();
const failed = all.filter((p) => !p).length;
console.log(`${all.length - failed} of ${all.length} runs passed beside ${hogs} busy process(es)`);
process.exit(failed > 0 ? 1 : 0);
