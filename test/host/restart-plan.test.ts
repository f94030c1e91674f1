// What a new hypergolix.yml restarts, decided without running anything: one row per situation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AppState } from '../../src/common/contract.js';
import { validateConfig, type HypergolixConfig } from '../../src/core/config/index.js';
import { Ghid } from '../../src/core/golix/index.js';
import { planRestart, type RestartPlan, type RunningNow } from '../../src/host/restart-plan.js';

const alice = Ghid.fromDigest(randomBytes(64));
const bob = Ghid.fromDigest(randomBytes(64));

interface FileSays {
  user?: Ghid;
  verbosity?: string;
  embedded?: boolean;
  serverPort?: number;
  startAtLogin?: boolean;
}

/** A config as the config module reads it from a file saying these things (defaults elsewhere). */
function file(o: FileSays = {}): HypergolixConfig {
  const text = [
    'instrumentation:',
    `  verbosity: ${o.verbosity ?? 'info'}`,
    'user:',
    `  user_id: ${o.user?.text ?? 'null'}`,
    'server:',
    `  port: ${o.serverPort ?? 7770}`,
    'desktop:',
    `  embedded_server: ${o.embedded ?? false}`,
    `  start_at_login: ${o.startAtLogin ?? false}`,
    '',
  ].join('\n');
  return validateConfig(text, { file: '/home/someone/.hypergolix/hypergolix.yml', homedir: '/home/someone' }).config;
}

type Account = Pick<RunningNow, 'state' | 'daemon' | 'secretKept' | 'secretFor'>;
const unlocked = (as: Ghid, started: FileSays = {}): Account => ({
  state: 'running',
  daemon: { userId: as, config: file({ user: as, ...started }) },
  secretKept: true,
  secretFor: as,
});
/** Nothing runs; `secretFor`: the account whose secret is kept (after a restart that failed). */
const nothingRuns = (state: AppState, secretFor: Ghid | null = null): Account => ({ state, daemon: null, secretKept: secretFor !== null, secretFor });
const noServer = { serverConfig: null, serverAvailable: true };
const serverFrom = (o: FileSays) => ({ serverConfig: file({ embedded: true, ...o }), serverAvailable: true });

const NOTHING: RestartPlan = { lockOtherAccount: false, showState: null, restartDaemon: false, server: 'none' };

const cases: [name: string, now: RunningNow, next: HypergolixConfig, want: Partial<RestartPlan>][] = [
  ['locked, the file unchanged: nothing', { ...nothingRuns('locked'), ...noServer }, file({ user: alice }), {}],
  ['running, only a setting the daemon does not read changed: nothing', { ...unlocked(alice), ...noServer }, file({ user: alice, startAtLogin: true }), {}],
  ['running, a section the daemon reads changed: the daemon restarts', { ...unlocked(alice), ...noServer }, file({ user: alice, verbosity: 'debug' }), { restartDaemon: true }],
  ['running, the file names another account: lock, and no restart', { ...unlocked(alice), ...noServer }, file({ user: bob, verbosity: 'debug' }), { lockOtherAccount: true }],
  ['running, the file names no account any more: the unlocked one stays', { ...unlocked(alice), ...noServer }, file(), {}],
  ['locked, the file loses its account: no-account', { ...nothingRuns('locked'), ...noServer }, file(), { showState: 'no-account' }],
  ['no account, the file gains one: locked', { ...nothingRuns('no-account'), ...noServer }, file({ user: alice }), { showState: 'locked' }],
  ['creating, the file gains an account: the state is the wizard\'s to change', { ...nothingRuns('creating'), ...noServer }, file({ user: alice }), {}],
  ['error after a failed restart, secret kept: the daemon is brought back', { ...nothingRuns('error', alice), ...noServer }, file({ user: alice }), { restartDaemon: true }],
  ['error after a failed restart, and the file now names another account: lock, no retry with the old secret', { ...nothingRuns('error', alice), ...noServer }, file({ user: bob }), { lockOtherAccount: true }],
  ['error with no secret kept: nothing to restart with', { ...nothingRuns('error'), ...noServer }, file({ user: alice }), {}],
  ['error, secret kept, but the file names no account: no restart', { ...nothingRuns('error', alice), ...noServer }, file(), {}],
  ['the embedded server turned on: it starts', { ...unlocked(alice), ...noServer }, file({ user: alice, embedded: true }), { server: 'start' }],
  ['turned on where no embedded server can run: nothing', { ...unlocked(alice), serverConfig: null, serverAvailable: false }, file({ user: alice, embedded: true }), {}],
  ['the embedded server turned off: it stops', { ...unlocked(alice), ...serverFrom({}) }, file({ user: alice }), { server: 'stop' }],
  ['its port changed: it restarts', { ...unlocked(alice), ...serverFrom({}) }, file({ user: alice, embedded: true, serverPort: 7790 }), { server: 'restart' }],
  ['a daemon change with the server as it was: only the daemon', { ...unlocked(alice), ...serverFrom({}) }, file({ user: alice, embedded: true, verbosity: 'warning' }), { restartDaemon: true }],
  ['both changed: both restart', { ...unlocked(alice), ...serverFrom({}) }, file({ user: alice, embedded: true, verbosity: 'warning', serverPort: 7790 }), { restartDaemon: true, server: 'restart' }],
  ['locked with a server: the server still follows the file', { ...nothingRuns('locked'), ...serverFrom({}) }, file({ user: alice, embedded: true, serverPort: 7790 }), { server: 'restart' }],
  ['another account and the server turned off: lock, and stop the server', { ...unlocked(alice), ...serverFrom({}) }, file({ user: bob }), { lockOtherAccount: true, server: 'stop' }],
];

for (const [name, now, next, want] of cases) {
  test(`planRestart: ${name}`, () => {
    assert.deepEqual(planRestart(now, next), { ...NOTHING, ...want });
  });
}
