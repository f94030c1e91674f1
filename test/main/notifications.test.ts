// Desktop notifications: which notices become notifications under the settings switches, the
// debounced "remote stays unreachable", and one "stopped" per error. Fake host, fake timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppState, HostEvent, Settings, Status } from '../../src/common/contract.js';
import type { Notice } from '../../src/host/notices.js';
import {
  HeldNotifications,
  UNREACHABLE_AFTER_MS,
  UnreachableWatch,
  notificationFor,
  remoteLabel,
  setupNotifications,
  unreachableNotification,
  type NotificationHandle,
  type NotificationText,
  type Timers,
} from '../../src/main/notifications.js';
import { defaultSettings, FAKE_IDENTITY } from '../fixtures/ui/fake-host.js';

/** A clock moved by hand. */
class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number) {
    const id = this.next++;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clear(h: unknown) {
    this.due.delete(h as number);
  }
  advance(ms: number) {
    const end = this.now + ms;
    for (;;) {
      const first = [...this.due.entries()].filter(([, d]) => d.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!first) break;
      this.due.delete(first[0]);
      this.now = first[1].at;
      first[1].fn();
    }
    this.now = end;
  }
  get pending() {
    return this.due.size;
  }
}

const r = (connected: boolean, port = 7770, host = 'hgx.example.org') => ({ host, port, tls: true, connected });
function status(state: AppState, remotes: ReturnType<typeof r>[] = [], message: string | null = null): Status {
  return { state, message, remotes, objectsCached: 0, connectedApps: 0, incomingShares: [], warnings: [] };
}

function harness(settings: Settings = defaultSettings(), initial: Status = status('locked')) {
  const timers = new FakeTimers();
  const shown: NotificationText[] = [];
  const notices = new Set<(n: Notice) => void>();
  const events = new Set<(ev: HostEvent) => void>();
  let current = initial;
  let s = settings;
  const stop = setupNotifications(
    {
      onNotice: (l) => (notices.add(l), () => void notices.delete(l)),
      subscribe: (l) => (events.add(l), () => void events.delete(l)),
      settings: () => s,
      status: () => current,
    },
    { show: (n) => shown.push(n) },
    { timers },
  );
  return {
    timers,
    shown,
    stop,
    notices,
    events,
    setSettings: (next: Settings) => void (s = next),
    notice: (n: Notice) => notices.forEach((l) => l(n)),
    status: (st: Status) => {
      current = st;
      events.forEach((l) => l({ kind: 'status', status: st }));
    },
  };
}

test('shares: incoming (waiting or taken) and results, each behind its switch', () => {
  const s = defaultSettings();
  const waiting = notificationFor({ kind: 'incoming-share', from: FAKE_IDENTITY.fingerprint, name: null, waiting: true }, s)!;
  assert.equal(waiting.kind, 'incoming-share');
  assert.match(waiting.body, /accept or decline/);
  assert.ok(waiting.body.includes('…'), 'a long fingerprint is shortened');
  assert.match(notificationFor({ kind: 'incoming-share', from: 'short', name: null, waiting: false }, s)!.title, /New shared object/);
  assert.equal(notificationFor({ kind: 'share-result', recipient: 'bob', name: null, ok: true }, s)!.title, 'Share accepted');
  assert.equal(notificationFor({ kind: 'share-result', recipient: 'bob', name: null, ok: false }, s)!.title, 'Share refused');
  assert.equal(notificationFor({ kind: 'remote', remote: 'x:1', connected: false }, s), null, 'a single drop is not news');
  // People by their contact names; someone not in the contacts is said to be so.
  const named = notificationFor({ kind: 'incoming-share', from: FAKE_IDENTITY.fingerprint, name: 'Alice', waiting: true }, s)!;
  assert.equal(named.title, 'Alice shared something with you');
  assert.ok(named.body.startsWith('Alice ('), named.body);
  assert.equal(waiting.title, 'Someone not in your contacts shared something with you');
  const unnamed = notificationFor({ kind: 'incoming-share', from: FAKE_IDENTITY.fingerprint, name: null, contact: true, waiting: true }, s)!;
  assert.equal(unnamed.title, 'An unnamed contact shared something with you', 'a contact without a name is no stranger');
  assert.equal(notificationFor({ kind: 'share-result', recipient: FAKE_IDENTITY.fingerprint, name: 'Bob', ok: true }, s)!.body, 'Bob accepted your share.');
  s.desktop.notifications.incoming_share = false;
  s.desktop.notifications.share_result = false;
  assert.equal(notificationFor({ kind: 'incoming-share', from: 'a', name: null, waiting: true }, s), null);
  assert.equal(notificationFor({ kind: 'share-result', recipient: 'bob', name: null, ok: true }, s), null);
  assert.equal(notificationFor({ kind: 'daemon-error', message: 'x' }, null), null, 'no settings, no notifications');
});

test('remote labels and the unreachable text', () => {
  assert.equal(remoteLabel({ host: 'hgx.example.org', port: 7770 }), 'hgx.example.org:7770');
  assert.equal(remoteLabel({ host: '::1', port: 7770 }), '[::1]:7770');
  const n = unreachableNotification('hgx.example.org:7770', UNREACHABLE_AFTER_MS, defaultSettings())!;
  assert.equal(n.kind, 'remote-unreachable');
  assert.match(n.body, /has not reached hgx\.example\.org:7770 for a minute/);
  assert.match(unreachableNotification('h:1', 90_000, defaultSettings())!.body, /for 2 minutes/);
  assert.match(unreachableNotification('h:1', 5_000, defaultSettings())!.body, /for 5 seconds/);
  const off = defaultSettings();
  off.desktop.notifications.remote_unreachable = false;
  assert.equal(unreachableNotification('h:1', 1, off), null);
});

test('a remote that comes back within the minute is not news; one that stays away is, once', () => {
  const h = harness();
  h.status(status('running', [r(false)]));
  h.timers.advance(30_000);
  h.status(status('running', [r(true)]));
  h.timers.advance(60_000);
  assert.equal(h.shown.length, 0, 'a blip');

  h.status(status('running', [r(false)]));
  h.timers.advance(59_999);
  assert.equal(h.shown.length, 0);
  h.timers.advance(1);
  assert.equal(h.shown.length, 1);
  assert.match(h.shown[0]!.body, /hgx\.example\.org:7770/);
  // Status keeps coming while it is down (polling, other changes): no repeat.
  for (let i = 0; i < 5; i++) {
    h.status(status('running', [r(false)]));
    h.timers.advance(60_000);
  }
  assert.equal(h.shown.length, 1, 'one notification per outage');

  h.status(status('running', [r(true)]));
  h.status(status('running', [r(false)]));
  h.timers.advance(60_000);
  assert.equal(h.shown.length, 2, 'a new outage after it was back');
  h.stop();
  assert.equal(h.timers.pending, 0, 'no timer outlives the app');
});

test('never reachable since start counts too; a restart or lock pauses the clock without repeating', () => {
  const h = harness(defaultSettings(), status('running', [r(false), r(true, 7771)]));
  h.timers.advance(60_000);
  assert.equal(h.shown.length, 1, 'down from the first snapshot');
  assert.match(h.shown[0]!.body, /:7770 /);

  h.status(status('restarting', [r(false), r(false, 7771)]));
  h.timers.advance(120_000);
  assert.equal(h.shown.length, 1, 'remotes drop while restarting: not counted');
  h.status(status('running', [r(false), r(false, 7771)]));
  h.timers.advance(60_000);
  assert.equal(h.shown.length, 2, 'only the newly unreachable one');
  assert.match(h.shown[1]!.body, /:7771 /);

  h.status(status('locked', [r(false), r(false, 7771)]));
  h.timers.advance(600_000);
  assert.equal(h.shown.length, 2);
});

test('removing a remote from the settings forgets it; the switch is read when the minute is up', () => {
  const settings = defaultSettings();
  const h = harness(settings, status('running', [r(false)]));
  h.timers.advance(30_000);
  h.status(status('running', []));
  h.timers.advance(60_000);
  assert.equal(h.shown.length, 0);

  h.status(status('running', [r(false, 7772)]));
  const off = defaultSettings();
  off.desktop.notifications.remote_unreachable = false;
  h.setSettings(off);
  h.timers.advance(60_000);
  assert.equal(h.shown.length, 0, 'switched off meanwhile');
});

test('UnreachableWatch alone: pending timers follow what is down', () => {
  const timers = new FakeTimers();
  const reported: string[] = [];
  const w = new UnreachableWatch({ afterMs: 1000, timers, report: (x) => reported.push(x) });
  w.observe('running', [r(false, 1), r(false, 2), r(true, 3)]);
  assert.deepEqual(w.pending().sort(), ['hgx.example.org:1', 'hgx.example.org:2']);
  w.observe('running', [r(true, 1), r(false, 2), r(true, 3)]);
  assert.deepEqual(w.pending(), ['hgx.example.org:2']);
  timers.advance(1000);
  assert.deepEqual(reported, ['hgx.example.org:2']);
  w.dispose();
  w.observe('running', [r(false, 9)]);
  assert.deepEqual(w.pending(), []);
});

test('the daemon stopping with an error: one notification per error, from the state or the notice', () => {
  const h = harness(defaultSettings(), status('running'));
  h.status(status('error', [], 'Hypergolix did not restart: the IPC port 7772 is in use'));
  h.notice({ kind: 'daemon-error', message: 'Hypergolix did not restart: the IPC port 7772 is in use' });
  h.status(status('error', [], 'Hypergolix did not restart: the IPC port 7772 is in use'));
  assert.equal(h.shown.length, 1);
  assert.deepEqual(h.shown[0], { kind: 'daemon-error', title: 'Hypergolix stopped', body: 'Hypergolix did not restart: the IPC port 7772 is in use' });

  h.status(status('restarting'));
  h.notice({ kind: 'daemon-error', message: 'again' });
  assert.equal(h.shown.length, 2, 'a notice alone (before the state) shows too');
  h.status(status('error', [], 'again'));
  assert.equal(h.shown.length, 2, '…and the state that follows it does not repeat it');

  const off = defaultSettings();
  off.desktop.notifications.daemon_error = false;
  h.setSettings(off);
  h.status(status('running'));
  h.status(status('error', [], 'third'));
  assert.equal(h.shown.length, 2, 'switched off');
});

test('an app that starts in the error state says so (started at login, no window)', () => {
  const h = harness(defaultSettings(), status('error', [], 'hypergolix.yml cannot be used: line 3'));
  assert.equal(h.shown.length, 1);
  assert.match(h.shown[0]!.body, /line 3/);
});

test('shares reach the notifier; a failing notifier is a warning; stop unsubscribes', () => {
  const h = harness(defaultSettings(), status('running'));
  h.notice({ kind: 'incoming-share', from: FAKE_IDENTITY.fingerprint, name: null, waiting: true });
  h.notice({ kind: 'share-result', recipient: FAKE_IDENTITY.fingerprint, name: null, ok: false });
  h.notice({ kind: 'remote', remote: 'x:1', connected: false });
  assert.deepEqual(h.shown.map((n) => n.kind), ['incoming-share', 'share-result']);
  h.stop();
  assert.equal(h.notices.size + h.events.size, 0);

  const warnings: string[] = [];
  const stop = setupNotifications(
    { onNotice: (l) => (l({ kind: 'share-result', recipient: 'b', name: null, ok: true }), () => {}), subscribe: () => () => {}, settings: () => defaultSettings(), status: () => status('running') },
    {
      show: () => {
        throw new Error('no notification daemon');
      },
    },
    { warn: (m) => warnings.push(m), timers: new FakeTimers() },
  );
  stop();
  assert.match(warnings.join(), /no notification daemon/);
});

// ───────────────────────────── held until clicked, closed or failed ─────────────────────────────

class FakeNotification implements NotificationHandle {
  listeners = new Map<string, ((...args: never[]) => void)[]>();
  shown = 0;
  on(event: string, listener: (...args: never[]) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  show() {
    this.shown++;
  }
  emit(event: 'click' | 'close' | 'failed', ...args: unknown[]): boolean {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
    return true;
  }
}

test('notifications are held until clicked, closed or failed; a click opens the window; a failure is logged', () => {
  const made: FakeNotification[] = [];
  const clicks: string[] = [];
  const warnings: string[] = [];
  const held = new HeldNotifications({
    create: () => {
      const n = new FakeNotification();
      made.push(n);
      return n;
    },
    onClick: (kind) => clicks.push(kind),
    warn: (m) => warnings.push(m),
  });
  const text = (kind: NotificationText['kind']): NotificationText => ({ kind, title: `t ${kind}`, body: 'b' });
  held.show(text('incoming-share'));
  held.show(text('share-result'));
  held.show(text('daemon-error'));
  assert.deepEqual(made.map((n) => n.shown), [1, 1, 1]);
  assert.equal(held.count(), 3, 'each kept referenced while it is on screen');
  made[0]!.emit('click');
  assert.deepEqual(clicks, ['incoming-share']);
  made[1]!.emit('close');
  made[2]!.emit('failed', {}, 'Notifications are not allowed for this application');
  assert.equal(held.count(), 0);
  assert.deepEqual(warnings, ['The "t daemon-error" notification could not be shown: Notifications are not allowed for this application']);
});

test('notifications: at most `max` are held (the oldest let go), and none where they are unsupported', () => {
  const held = new HeldNotifications({ create: () => new FakeNotification(), onClick: () => {}, warn: () => {}, max: 3 });
  for (let i = 0; i < 10; i++) held.show({ kind: 'share-result', title: 't', body: 'b' });
  assert.equal(held.count(), 3);
  let clicks = 0;
  const clicked = new HeldNotifications({ create: () => new FakeNotification(), onClick: () => void clicks++, warn: () => {} });
  clicked.show({ kind: 'share-result', title: 't', body: 'b' });
  clicked.clickAll();
  assert.equal(clicks, 1);
  assert.equal(clicked.count(), 0);
  const none = new HeldNotifications({ create: () => null, onClick: () => {}, warn: () => {} });
  none.show({ kind: 'share-result', title: 't', body: 'b' });
  assert.equal(none.count(), 0);
});
