// Apps watching the daemon's status (`D+`): told each change once, the newest after a slow
// answer rather than a backlog, again after a push that was not taken, and nothing once they stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from '../../../src/core/ipc/session.js';
import { StatusWatch } from '../../../src/core/ipc/status-watch.js';
import { decodeJsonBody, StatusVerb, type DaemonStatusJson } from '../../../src/wire/index.js';
import { until } from '../../fixtures/wait.js';

function statusWith(objectsCached: number, connected = true): DaemonStatusJson {
  return {
    fingerprint: 'AQ' + 'A'.repeat(86),
    objectsCached,
    storage: { kind: 'ok', path: null, freeBytes: null, message: null },
    remotes: [{ remote: 'r.example:7770', connected, waiting: 0, storage: 'ok', registerHint: null, lastFailure: null, lastConnectedAt: 1 }],
    appsConnected: 0,
    sharesWaiting: 0,
  };
}

/** A session that records what it is sent; `hold` keeps its answers back until `answer()`. */
function fakeSession(o: { hold?: boolean; taken?: boolean } = {}) {
  const sent: DaemonStatusJson[] = [];
  const waiting: (() => void)[] = [];
  const session = {
    push(verb: string, body: Uint8Array): Promise<boolean> {
      assert.equal(verb, StatusVerb.changed);
      sent.push(decodeJsonBody(body) as DaemonStatusJson);
      if (!o.hold) return Promise.resolve(o.taken ?? true);
      return new Promise<boolean>((resolve) => waiting.push(() => resolve(o.taken ?? true)));
    },
  } as unknown as Session;
  return { session, sent, answer: () => waiting.shift()?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a watcher gets the status now, then each change once, and nothing when nothing changed', async (t) => {
  let now = statusWith(5);
  const watch = new StatusWatch({ statusFor: () => now, intervalMs: 60_000 });
  t.after(() => watch.close());
  const app = fakeSession();
  assert.deepEqual(watch.watch(app.session), now);
  watch.poke();
  await tick();
  assert.equal(app.sent.length, 0, 'what D+ answered is not sent again');

  now = statusWith(5, false);
  watch.poke();
  watch.poke(); // events of one moment make one check
  await tick();
  assert.deepEqual(app.sent, [now]);
  watch.poke();
  await tick();
  assert.equal(app.sent.length, 1);
});

test('what changes between events is told at the next interval', async (t) => {
  let now = statusWith(1);
  const watch = new StatusWatch({ statusFor: () => now, intervalMs: 20 });
  t.after(() => watch.close());
  const app = fakeSession();
  watch.watch(app.session);
  now = statusWith(2);
  await until(() => app.sent.length === 1, 'the interval told the change');
  assert.equal(app.sent[0]!.objectsCached, 2);
});

test('an app slow to answer is sent the newest status once it answers, not each one in between', async (t) => {
  let now = statusWith(1);
  const watch = new StatusWatch({ statusFor: () => now, intervalMs: 60_000 });
  t.after(() => watch.close());
  const app = fakeSession({ hold: true });
  watch.watch(app.session);
  now = statusWith(2);
  watch.poke();
  await tick();
  now = statusWith(3);
  watch.poke();
  await tick();
  now = statusWith(4);
  watch.poke();
  await tick();
  assert.deepEqual(app.sent.map((s) => s.objectsCached), [2], 'one push in flight');
  app.answer();
  await until(() => app.sent.length === 2, 'the newest sent after the answer');
  assert.equal(app.sent[1]!.objectsCached, 4);
  app.answer();
  await tick();
  assert.equal(app.sent.length, 2);
});

test('a push the app did not take is sent again at the next check, though nothing changed since', async (t) => {
  let now = statusWith(1);
  const watch = new StatusWatch({ statusFor: () => now, intervalMs: 60_000 });
  t.after(() => watch.close());
  const app = fakeSession({ taken: false });
  watch.watch(app.session);
  now = statusWith(1, false);
  watch.poke();
  await until(() => app.sent.length === 1, 'sent once');
  await tick();
  watch.poke();
  await until(() => app.sent.length === 2, 'sent again');
  assert.deepEqual(app.sent[1], now);
});

test('each watcher is told its own status; one that stopped watching, or after close, hears nothing', async (t) => {
  const apps = [fakeSession(), fakeSession()];
  let n = 1;
  const watch = new StatusWatch({ statusFor: (s) => ({ ...statusWith(n), appsConnected: s === apps[0]!.session ? 10 : 20 }), intervalMs: 60_000 });
  t.after(() => watch.close());
  for (const a of apps) watch.watch(a.session);
  n = 2;
  watch.poke();
  await tick();
  assert.deepEqual(apps.map((a) => a.sent.map((s) => s.appsConnected)), [[10], [20]]);

  watch.unwatch(apps[0]!.session);
  assert.equal(watch.watching, 1);
  n = 3;
  watch.poke();
  await tick();
  assert.equal(apps[0]!.sent.length, 1);
  assert.equal(apps[1]!.sent.length, 2);

  watch.close();
  assert.equal(watch.watching, 0);
  n = 4;
  watch.poke();
  await tick();
  assert.equal(apps[1]!.sent.length, 2);
});
