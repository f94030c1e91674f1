// The daemon's events as notices for the desktop (issue #14 item 1, issue #16): people by their
// contact names, and a remote's free-tier refusal told once while unlocked, not at every retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Ghid } from '../../src/core/golix/index.js';
import type { StartedApp } from '../../src/host/daemon-runner.js';
import { wireDaemonNotices, type Notice } from '../../src/host/notices.js';
import { notificationFor } from '../../src/host/notice-words.js';
import { defaultSettings } from '../fixtures/ui/fake-host.js';
import { v16Identity } from '../fixtures/vectors.js';
import { Contacts } from '../../src/core/sharing/contacts.js';
import { memoryState } from '../fixtures/account/memory-state.js';

function fakeApp(names: Map<string, string>) {
  const daemon = new EventEmitter();
  const contacts = new Contacts(memoryState().state('contact:'), v16Identity(2).ghid);
  for (const [fp, name] of names) contacts.set(Ghid.fromText(fp), { name });
  const sharing = Object.assign(new EventEmitter(), { contacts });
  return { app: { daemon, sharing } as unknown as StartedApp, daemon, sharing };
}

test('a remote that wants registration is told once while unlocked, in words with its usage', () => {
  const { app, daemon } = fakeApp(new Map());
  const notices: Notice[] = [];
  let changed = 0;
  const unwire = wireDaemonNotices(app, (n) => notices.push(n), () => changed++);
  const usage = { used: 10 * 1024 * 1024, limit: 10 * 1024 * 1024, message: 'register on hgx.example.org:7770 to upload more (10 MiB of 10 MiB used)' };
  daemon.emit('free-tier', 'hgx.example.org:7770', usage);
  daemon.emit('free-tier', 'hgx.example.org:7770', usage);
  assert.deepEqual(notices, [{ kind: 'free-tier', remote: 'hgx.example.org:7770', message: usage.message }]);
  assert.equal(changed, 2, 'the status follows every time');
  const words = notificationFor(notices[0]!, defaultSettings())!;
  assert.equal(words.title, 'Register on hgx.example.org:7770 to upload more');
  assert.match(words.body, /^Register on hgx\.example\.org:7770 to upload more \(10 MiB of 10 MiB used\)\. Your changes wait/);
  const off = defaultSettings();
  off.desktop.notifications.remote_unreachable = false;
  assert.equal(notificationFor(notices[0]!, off), null, 'behind the remotes switch');
  unwire();
  daemon.emit('free-tier', 'other:7770', usage);
  assert.equal(notices.length, 1, 'unwired: nothing more');
});

test('a registration the operator revoked is its own notice: no "Register", which the server would refuse', () => {
  const { app, daemon } = fakeApp(new Map());
  const notices: Notice[] = [];
  wireDaemonNotices(app, (n) => notices.push(n), () => {});
  const usage = { used: 1024, limit: 1024, revoked: true, message: 'your registration on hgx.example.org:7770 was revoked by its operator, so uploads stop at its free tier (1 KiB of 1 KiB used): ask the operator to approve it again' };
  daemon.emit('free-tier', 'hgx.example.org:7770', usage);
  assert.deepEqual(notices, [{ kind: 'free-tier', remote: 'hgx.example.org:7770', message: usage.message, revoked: true }]);
  const words = notificationFor(notices[0]!, defaultSettings())!;
  assert.equal(words.title, 'Registration on hgx.example.org:7770 revoked');
  assert.equal(words.body, 'Your registration on hgx.example.org:7770 was revoked by its operator, so uploads stop at its free tier (1 KiB of 1 KiB used): ask the operator to approve it again. Your changes wait on this computer until then.');
});

test('a failed try of a remote away changes the status (when it is tried next) without a notice', () => {
  const { app, daemon } = fakeApp(new Map());
  const notices: Notice[] = [];
  let changed = 0;
  const unwire = wireDaemonNotices(app, (n) => notices.push(n), () => changed++);
  daemon.emit('remote-retry', 'hgx.example.org:7770');
  daemon.emit('remote-retry', 'hgx.example.org:7770');
  assert.equal(changed, 2);
  assert.deepEqual(notices, []);
  unwire();
  daemon.emit('remote-retry', 'hgx.example.org:7770');
  assert.equal(changed, 2, 'unwired');
});

test('share notices carry the contact name, or null for someone not in the contacts', () => {
  const alice = v16Identity(0).ghid;
  const stranger = v16Identity(1).ghid;
  const { app, sharing } = fakeApp(new Map([[alice.text, 'Alice']]));
  const notices: Notice[] = [];
  wireDaemonNotices(app, (n) => notices.push(n), () => {});
  sharing.emit('pending', { from: alice });
  sharing.emit('incoming', { from: stranger });
  sharing.emit('result', { recipient: alice, ok: true });
  assert.deepEqual(notices, [
    { kind: 'incoming-share', from: alice.text, name: 'Alice', contact: true, waiting: true },
    { kind: 'incoming-share', from: stranger.text, name: null, waiting: false },
    { kind: 'share-result', recipient: alice.text, name: 'Alice', ok: true },
  ]);
});

test('a burst of shares (a stranger sending many) is three notices and then one that counts the rest, in words', () => {
  const stranger = v16Identity(1).ghid;
  const { app, sharing } = fakeApp(new Map());
  const notices: Notice[] = [];
  let endWindow: (() => void) | null = null;
  let changed = 0;
  const unwire = wireDaemonNotices(app, (n) => notices.push(n), () => changed++, { setTimer: (fn) => ((endWindow = fn), {}), clearTimer: () => (endWindow = null) });
  for (let i = 0; i < 20; i++) sharing.emit('pending', { from: stranger });
  assert.equal(changed, 20, 'the status follows each');
  assert.equal(notices.length, 3);
  assert.ok(notices.every((n) => n.kind === 'incoming-share'));
  endWindow!();
  assert.deepEqual(notices.at(-1), { kind: 'incoming-shares', waiting: 17, taken: 0 });
  const words = notificationFor(notices.at(-1)!, defaultSettings())!;
  assert.deepEqual(words, { kind: 'incoming-share', title: '17 more shares arrived', body: 'They wait for your answer. Open Hypergolix to see them in Shares.' });
  assert.equal(notificationFor({ kind: 'incoming-shares', waiting: 1, taken: 2 }, defaultSettings())!.body, '1 wait for your answer. Open Hypergolix to see them in Shares.');
  assert.deepEqual(notificationFor({ kind: 'incoming-shares', waiting: 0, taken: 1 }, defaultSettings()), { kind: 'incoming-share', title: '1 more share arrived', body: 'Open Hypergolix to see it in Shares.' });
  const off = defaultSettings();
  off.desktop.notifications.incoming_share = false;
  assert.equal(notificationFor(notices.at(-1)!, off), null, 'behind the incoming-share switch');
  endWindow = null;
  sharing.emit('pending', { from: stranger });
  assert.equal(notices.length, 5, 'after the window, the next is told at once');
  assert.notEqual(endWindow, null, 'and starts a window');
  unwire();
  assert.equal(endWindow, null, 'a lock ends the window');
});

test('a share again (asked for by a recipient who could no longer read the object) is told as such, on both sides', () => {
  const alice = v16Identity(0).ghid;
  const { app, sharing } = fakeApp(new Map([[alice.text, 'Alice']]));
  const notices: Notice[] = [];
  wireDaemonNotices(app, (n) => notices.push(n), () => {});
  sharing.emit('incoming', { from: alice, again: true });
  sharing.emit('result', { recipient: alice, ok: true, again: true });
  assert.deepEqual(notices, [
    { kind: 'incoming-share', from: alice.text, name: 'Alice', contact: true, waiting: false, again: true },
    { kind: 'share-result', recipient: alice.text, name: 'Alice', ok: true, again: true },
  ]);
  const [received, sent] = notices.map((n) => notificationFor(n, defaultSettings())!);
  assert.equal(received!.title, 'Shared object readable again');
  assert.match(received!.body, /^Alice \(.*\) shared again an object this computer could no longer read\.$/);
  assert.equal(sent!.title, 'Shared again');
  assert.match(sent!.body, /^Alice could no longer read an object you shared with them, and asked for it: it was shared again\.$/);
});

test('a share the recipient could not open (shared from a version the server had not taken yet) is not told as refused', () => {
  const alice = v16Identity(0).ghid;
  const { app, sharing } = fakeApp(new Map([[alice.text, 'Alice']]));
  const notices: Notice[] = [];
  wireDaemonNotices(app, (n) => notices.push(n), () => {});
  sharing.emit('result', { recipient: alice, ok: false, unopened: true });
  assert.deepEqual(notices, [{ kind: 'share-result', recipient: alice.text, name: 'Alice', ok: false, unopened: true }]);
  const words = notificationFor(notices[0]!, defaultSettings())!;
  assert.equal(words.title, 'Share not opened');
  assert.match(words.body, /^Alice could not open what you shared: your last change to it was still on its way to the server\. Share it again in a moment\.$/);
});

test('objects left damaged by the check of the local files are told when more are found, not at each retry, behind the daemon-error switch', () => {
  const { app, daemon } = fakeApp(new Map());
  let damagedCount = 0;
  Object.defineProperty(daemon, 'cacheCheck', { get: () => ({ damagedCount }) });
  const notices: Notice[] = [];
  let changed = 0;
  const unwire = wireDaemonNotices(app, (n) => notices.push(n), () => changed++);
  daemon.emit('cache-check');
  damagedCount = 3;
  daemon.emit('cache-check');
  daemon.emit('cache-check');
  damagedCount = 1;
  daemon.emit('cache-check');
  damagedCount = 2;
  daemon.emit('cache-check');
  assert.deepEqual(notices, [{ kind: 'damaged-files', count: 3 }, { kind: 'damaged-files', count: 2 }]);
  assert.equal(changed, 5, 'the status follows every time');
  assert.deepEqual(notificationFor(notices[0]!, defaultSettings()), {
    kind: 'damaged-files',
    title: 'Damaged files on this computer',
    body: '3 objects of Hypergolix are damaged on this computer, and no remote has a good copy yet. Open Hypergolix to see which.',
  });
  const off = defaultSettings();
  off.desktop.notifications.daemon_error = false;
  assert.equal(notificationFor(notices[0]!, off), null);
  unwire();
  damagedCount = 9;
  daemon.emit('cache-check');
  assert.equal(notices.length, 2, 'unwired: nothing more');
});

test("the account's password changed on another computer is told, behind its own switch", () => {
  const { app, daemon } = fakeApp(new Map());
  const notices: Notice[] = [];
  let changed = 0;
  const unwire = wireDaemonNotices(app, (n) => notices.push(n), () => changed++);
  daemon.emit('password-changed-elsewhere', 1_700_000_000_000);
  assert.deepEqual(notices, [{ kind: 'password-changed-elsewhere', at: 1_700_000_000_000 }]);
  assert.equal(changed, 1, 'the status says it too');
  const words = notificationFor(notices[0]!, defaultSettings())!;
  assert.equal(words.title, 'Password changed on another computer');
  assert.match(words.body, /the next time you unlock it, use the new password\. If it was not you, .*recovery kit/);
  const off = defaultSettings();
  off.desktop.notifications.account_change = false;
  assert.equal(notificationFor(notices[0]!, off), null);
  unwire();
  daemon.emit('password-changed-elsewhere', 1);
  assert.equal(notices.length, 1, 'unwired: nothing more');
});
