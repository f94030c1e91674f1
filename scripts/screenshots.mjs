#!/usr/bin/env node
// Remakes the UI screenshots in docs/screenshots/ (so they stay current): builds, then runs the
// UI tests in Chromium that take them — the scripted views (test/renderer/ui.test.ts, against
// a fake host) and the people journey against real daemons and a real server
// (test/renderer/people-real.test.ts, into docs/screenshots/real/) and the account journeys
// (test/renderer/account-real.test.ts, into docs/screenshots/account/). Needs Chromium
// (/usr/bin/chromium, or HGX_CHROMIUM).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs/screenshots');
mkdirSync(join(out, 'real'), { recursive: true });
mkdirSync(join(out, 'account'), { recursive: true });
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, HGX_SHOTS_DIR: out, TEST_CONCURRENCY: '1' } });
const build = run(['scripts/build.mjs']);
if (build.status !== 0) process.exit(build.status ?? 1);
const tests = run(['scripts/run-tests.mjs', 'test/renderer/ui.test.ts', 'test/renderer/people-real.test.ts', 'test/renderer/account-real.test.ts']);
process.exit(tests.status ?? 1);
