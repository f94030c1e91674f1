// ConfigFollower (src/host/config-follower.ts) as a desktop user meets it: hypergolix.yml edited
// outside the app — written in place, saved by rename, in a burst, truncated then written,
// removed then recreated, made invalid then fixed — and what each edit restarts through the real
// Controller; then the password change (src/host/password-change.ts) around restarts and the
// vault, and RemoteAccounts (src/host/remote-accounts.ts).
//
// Real files in temp homes (removed by helpers.ts), the real config module and watcher, a real
// daemon on a cheap account made once from a reference identity (test/fixtures/account/home.ts)
// and copied per test. Where a restart must be held or counted, the Controller's runner is a
// DaemonRunner subclass with a gate in its beforeStart hook. No fixed sleeps: "nothing more
// happened" is proven with a sentinel edit (a comment line) that the follower must adopt after
// everything written before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { ERROR_CODES, HostFailure, type HostEvent, type RemoteAccountStatus } from '../../src/common/contract.js';
import { deriveRootSecret } from '../../src/core/account/kdf.js';
import { watchConfig, type ConfigChange, type LoadedConfig } from '../../src/core/config/index.js';
import { Ghid } from '../../src/core/golix/index.js';
import { createMemoryLogger, type Logger } from '../../src/core/log/index.js';
import { nodeFs } from '../../src/core/util/fs-ops.js';
import { ConfigFollower } from '../../src/host/config-follower.js';
import type { Controller } from '../../src/host/controller.js';
import { DaemonRunner, type DaemonStart, type StartedApp } from '../../src/host/daemon-runner.js';
import type { Notice } from '../../src/host/notices.js';
import { RemoteAccounts } from '../../src/host/remote-accounts.js';
import { settingsFromConfig } from '../../src/host/settings.js';
import { StatusFeed } from '../../src/host/status.js';
import { accountHome, TEST_KDF } from '../fixtures/account/home.js';
import { until } from '../fixtures/wait.js';
import { KDF, MemoryVault, PASSWORD, copyHome, harness, tempHome, type Harness } from './helpers.js';

const NEW_PASSWORD = 'saffron-kettle-harbor-31';
/** Short, so a burst is one read; waits are on conditions, never on this. */
const DEBOUNCE = 30;
/** For conditions the current code is expected never to reach (the failing tests): fail sooner than the default 10 s. */
const NEVER_MS = 5000;

// ───────────────────────────── files ─────────────────────────────

const read = (path: string) => readFileSync(path, 'utf8');

/** An editor's atomic save: the whole text to a temp file beside it, then renamed over it. */
function saveByRename(path: string, text: string): void {
  const tmp = join(path, '..', `.hypergolix.yml.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Replaces `from` (which must be there) in the file's text, written in place. */
function editInPlace(path: string, from: RegExp, to: string): string {
  const before = read(path);
  assert.match(before, from, `the file has ${from}`);
  const after = before.replace(from, to);
  writeFileSync(path, after);
  return after;
}

/** Appends `text` to the file, written in place (a new section at its end). */
function append(path: string, text: string): void {
  writeFileSync(path, `${read(path)}${text}`);
}

let sentinels = 0;
/**
 * Appends a comment line and waits until the follower has adopted it: everything written before
 * it has been read by then (the watcher reads in order), so whatever was not reported never will be.
 */
async function sentinel(path: string, follower: { current: LoadedConfig | null }): Promise<void> {
  const mark = `# sentinel ${++sentinels}`;
  writeFileSync(path, `${read(path)}${mark}\n`);
  await until(() => follower.current?.text.includes(mark), `the follower to adopt "${mark}"`);
}

// ───────────────────────────── a follower on its own ─────────────────────────────

interface Followed {
  home: string;
  yml: string;
  follower: ConfigFollower;
  feed: StatusFeed;
  events: HostEvent[];
  /** `first` of each onEdited, and the config current when it was called. */
  edits: { first: boolean; config: LoadedConfig['config'] }[];
  log: Logger;
  warning(code: string): string | undefined;
  close(): void;
}

/** A ConfigFollower on `home` (hypergolix.yml created there when missing), with the status feed it reports to. */
async function follow(home: string, t: { after(fn: () => unknown): void }): Promise<Followed & { opened: Awaited<ReturnType<ConfigFollower['open']>> }> {
  const log = createMemoryLogger({ name: 'host', verbosity: 'debug' });
  let follower: ConfigFollower | null = null;
  const feed = new StatusFeed(log, () => ({ app: null, config: follower?.current?.config ?? null, configWarnings: follower?.current?.warnings ?? [], serverProblem: null }));
  const events: HostEvent[] = [];
  feed.subscribe((e) => events.push(e));
  const edits: Followed['edits'] = [];
  const f = new ConfigFollower({
    location: { env: { HYPERGOLIX_HOME: home }, cwd: home, homedir: home },
    log,
    status: feed,
    debounceMs: DEBOUNCE,
    onEdited: (first) => edits.push({ first, config: f.current!.config }),
  });
  follower = f;
  const close = () => {
    f.close();
    feed.close();
  };
  t.after(close);
  const opened = await f.open();
  return {
    home,
    yml: join(home, 'hypergolix.yml'),
    follower: f,
    feed,
    events,
    edits,
    log,
    opened,
    warning: (code) => feed.status().warnings.find((w) => w.code === code)?.message,
    close,
  };
}

const configChanges = (events: HostEvent[]) => events.flatMap((e) => (e.kind === 'configChanged' ? [e.settings] : []));

test('an edit written in place, one saved by rename, and a burst of writes: each save is adopted once, with its final content, and nothing in between is applied', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  assert.ok('loaded' in w.opened);

  editInPlace(w.yml, /verbosity: info/, 'verbosity: warning');
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'warning', 'the in-place edit');
  assert.deepEqual(w.edits.map((e) => e.first), [false]);
  assert.equal(configChanges(w.events).at(-1)?.instrumentation.verbosity, 'warning', 'the window hears the new settings');

  saveByRename(w.yml, read(w.yml).replace('verbosity: warning', 'verbosity: debug'));
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'debug', 'the save by rename');
  assert.equal(w.edits.length, 2);
  assert.equal(w.follower.current!.path, w.yml, 'still following the same path after its inode was replaced');

  // A burst (an editor's truncate + write + write…), all before the watcher can read: one change, the last.
  const base = read(w.yml);
  for (const port of [7781, 7782, 7783, 7784, 7785]) writeFileSync(w.yml, base.replace(/ipc_port: \d+/, `ipc_port: ${port}`));
  await until(() => w.follower.current?.config.process.ipc_port === 7785, 'the burst');
  await sentinel(w.yml, w.follower);
  const ports = w.edits.slice(2).map((e) => e.config.process.ipc_port);
  assert.deepEqual(ports, [7785, 7785], 'the burst once (its last write), then the sentinel; no intermediate port was ever applied');
  assert.equal(w.follower.config('test').process.ipc_port, 7785);
  assert.equal(w.warning('config-invalid'), undefined);
});

test("the app's own saves are not hand edits (a settings save, a save that changes nothing, the unlock-automatically switch), and the next hand edit is still seen", async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  const settings = structuredClone(settingsFromConfig(w.follower.current!.config));
  settings.desktop.start_at_login = true;
  settings.instrumentation.verbosity = 'debug';
  const saved = await w.follower.save(settings);
  assert.match(read(w.yml), /verbosity: debug/);
  assert.equal(w.follower.current, saved, 'the saved config is the one in use');
  // (One save at a time: two own saves in a row are a test of their own, below.)
  await sentinel(w.yml, w.follower);

  const bytes = read(w.yml);
  await w.follower.save(settingsFromConfig(w.follower.current!.config));
  assert.equal(read(w.yml), bytes, 'a save that changes nothing writes nothing');

  await w.follower.setUnlockAutomatically(true);
  assert.match(read(w.yml), /unlock_automatically: true/);

  await sentinel(w.yml, w.follower);
  assert.equal(w.edits.length, 2, 'only the two sentinels were hand edits');
  assert.equal(configChanges(w.events).length, 2);
  assert.equal(w.follower.current!.config.instrumentation.verbosity, 'debug');
  assert.equal(w.follower.current!.config.desktop.unlock_automatically, true);

  editInPlace(w.yml, /verbosity: debug/, 'verbosity: error');
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'error', 'the hand edit after our saves');
});

// BUG (watch.ts:77 with file.ts:161): the watcher knows only the *last* text this process wrote,
// and saveDocument records it before the write. Two saves of the app in a row (a settings save,
// then the tray switch or "unlock automatically"): if the watcher reads the first one while the
// second is being written, the first no longer matches "our last write" and is reported as a hand
// edit: configChanged with the first save's settings (without the second's), onEdited, a restart
// queued, the log line "changed outside Hypergolix". It happens by timing (this test forces the
// interleaving: the watcher's read of the first save is let through once the second save is at
// its rename).
test("two saves of the app in a row: the first is not taken for a hand edit while the second is being written", async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  const target = realpathSync(w.yml);
  let reachedRename!: () => void;
  const atRename = new Promise<void>((r) => (reachedRename = r));
  let letRename!: () => void;
  const renameGate = new Promise<void>((r) => (letRename = r));
  let holdNext = false;
  let delayWatcher = false;
  let watcherReadWhileHeld = false;
  let held = false;

  const rename = nodeFs.rename;
  t.mock.method(nodeFs, 'rename', async (from: string, to: string) => {
    if (holdNext && to === target) {
      holdNext = false;
      held = true;
      reachedRename();
      await renameGate;
      held = false;
    }
    return rename(from, to);
  });
  // The watcher reads through an open handle (config/paths.ts readText): its open is where it is held.
  const open = fsp.open;
  t.mock.method(fsp, 'open', async (...args: Parameters<typeof fsp.open>) => {
    const fromWatcher = args[0] === w.yml && /config[\\/]watch\.[tj]s/.test(new Error().stack ?? '');
    // The watcher's read of the first save waits until the second save is about to land.
    if (fromWatcher && delayWatcher) {
      delayWatcher = false;
      await atRename;
    }
    const handle = await open(...args);
    if (fromWatcher && held) watcherReadWhileHeld = true;
    return handle;
  });
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });

  const first = structuredClone(settingsFromConfig(w.follower.current!.config));
  first.instrumentation.verbosity = 'debug';
  delayWatcher = true; // the watcher's next read waits until…
  await w.follower.save(first);
  holdNext = true; // …the next write of hypergolix.yml is held at its rename
  const second = w.follower.setUnlockAutomatically(true);
  await until(() => watcherReadWhileHeld, "the watcher's read of the first save, while the second is held");
  letRename();
  await second;
  await sentinel(w.yml, w.follower);
  assert.deepEqual(
    w.edits.map((e) => e.config.desktop.unlock_automatically),
    [true],
    `only the sentinel is a hand edit (configChanged sent: ${configChanges(w.events).length})`,
  );
  assert.equal(w.follower.current!.config.instrumentation.verbosity, 'debug');
  assert.equal(w.follower.current!.config.desktop.unlock_automatically, true);
});

test('invalid YAML, then fixed: the old settings stay in use and a warning names the problem; the fix is adopted once and clears it', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  // A first hand edit, so that what is on disk is not the text this process last wrote.
  editInPlace(w.yml, /verbosity: info/, 'verbosity: warning');
  await until(() => w.edits.length === 1, 'the first hand edit');
  const good = read(w.yml);

  writeFileSync(w.yml, good.replace(/ipc_port: (\d+)/, 'ipc_port: [$1'));
  await until(() => w.warning('config-invalid'), 'the invalid-file warning');
  assert.match(w.warning('config-invalid')!, /keeps its previous settings/);
  assert.match(w.warning('config-invalid')!, /line \d+/, 'the warning says where');
  assert.equal(w.follower.config('test').instrumentation.verbosity, 'warning', 'the previous settings are still in use');
  assert.equal(w.edits.length, 1, 'an invalid file is not an edit to apply');
  await assert.rejects(w.follower.fresh(), (e: unknown) => e instanceof HostFailure && e.code === ERROR_CODES.invalidSettings);
  // A save is refused while the file is broken, and leaves it as the user has it.
  const broken = read(w.yml);
  await assert.rejects(w.follower.save(settingsFromConfig(w.follower.current!.config)), (e: unknown) => e instanceof HostFailure);
  assert.equal(read(w.yml), broken);

  writeFileSync(w.yml, good.replace('verbosity: warning', 'verbosity: debug'));
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'debug', 'the fixed file');
  assert.equal(w.warning('config-invalid'), undefined, 'the warning is gone');
  await sentinel(w.yml, w.follower);
  assert.deepEqual(w.edits.map((e) => e.config.instrumentation.verbosity), ['warning', 'debug', 'debug'], 'the fix once, then the sentinel');
});

// BUG (watch.ts:77 via config-follower.ts): the watcher drops any text whose hash equals the last
// text *this process* wrote, even when a hand edit came in between. Undoing a hand edit (back to
// what the app saved) is therefore never seen: the app keeps running with the undone edit.
test('a hand edit undone (back to exactly what Hypergolix last saved) is followed like any other edit', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  const ours = read(w.yml); // written by this process when open() created it
  editInPlace(w.yml, /verbosity: info/, 'verbosity: debug');
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'debug', 'the hand edit');

  writeFileSync(w.yml, ours); // the editor's undo, saved
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'info', 'the undo to be adopted', NEVER_MS).catch(() => undefined);
  assert.equal(w.follower.current!.config.instrumentation.verbosity, 'info', 'the file says info again, so must the settings in use');
  assert.equal(configChanges(w.events).at(-1)?.instrumentation.verbosity, 'info', 'the settings window is told');
});

// BUG: same cause. A first-run file (written by the app) that the user breaks and then restores
// leaves the "hypergolix.yml has a problem" warning up for good, though the file is fine again.
test('made invalid, then put back to exactly the text Hypergolix wrote: the warning goes away', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  const ours = read(w.yml);
  writeFileSync(w.yml, ours.replace(/verbosity: info/, 'verbosity: [info'));
  await until(() => w.warning('config-invalid'), 'the invalid-file warning');
  writeFileSync(w.yml, ours);
  await until(() => w.warning('config-invalid') === undefined, 'the warning to clear', NEVER_MS).catch(() => undefined);
  assert.equal(w.warning('config-invalid'), undefined, 'the file is valid again; no warning may say otherwise');
});

test('removed, then recreated (with other content, then with the same content again): the settings are kept meanwhile, and the recreated file is adopted', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  editInPlace(w.yml, /verbosity: info/, 'verbosity: warning');
  await until(() => w.edits.length === 1, 'a first hand edit');
  const text = read(w.yml);

  rmSync(w.yml);
  await until(() => w.warning('config-removed'), 'the removal warning');
  assert.equal(w.follower.config('test').instrumentation.verbosity, 'warning', 'the settings in use are kept');
  writeFileSync(w.yml, text.replace('verbosity: warning', 'verbosity: debug'));
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'debug', 'the recreated file');
  assert.equal(w.warning('config-removed'), undefined);

  // Moved to the trash and restored (same bytes as before the removal).
  const restored = read(w.yml);
  rmSync(w.yml);
  await until(() => w.warning('config-removed'), 'the second removal warning');
  writeFileSync(w.yml, restored);
  await until(() => w.warning('config-removed') === undefined, 'the restored file to clear the warning');
  await sentinel(w.yml, w.follower);
  // The restore brings back what is in use: nothing to apply (no edit, no restart), only the warning cleared.
  assert.deepEqual(w.edits.map((e) => e.config.instrumentation.verbosity), ['warning', 'debug', 'debug']);
});

// BUG: same cause. The file Hypergolix wrote, removed and restored unchanged (from the trash, a
// backup, `git checkout`): the "was removed" warning never goes away.
test('removed, then restored unchanged when it was last written by Hypergolix: the "removed" warning goes away', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  const ours = read(w.yml);
  rmSync(w.yml);
  await until(() => w.warning('config-removed'), 'the removal warning');
  writeFileSync(w.yml, ours);
  await until(() => w.warning('config-removed') === undefined, 'the warning to clear', NEVER_MS).catch(() => undefined);
  assert.equal(w.warning('config-removed'), undefined, 'the file is back; the warning must not say it was removed');
});

// BUG (config-follower.ts:81-97, 109): the "removed" warning promises that Hypergolix "writes
// the file again at the next save", but save() starts with fresh(), which throws ConfigNotFound for
// the missing file, so every save fails (as an internal error) until the user recreates it by hand.
test('removed: the next save writes the file again, as the warning promises', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  rmSync(w.yml);
  await until(() => w.warning('config-removed'), 'the removal warning');
  assert.match(w.warning('config-removed')!, /writes the file again at the next save/);
  const settings = structuredClone(settingsFromConfig(w.follower.config('test')));
  settings.instrumentation.verbosity = 'debug';
  const saved = await w.follower.save(settings).catch((e: unknown) => e);
  assert.ok(!(saved instanceof Error), `the save works: ${String(saved)}`);
  assert.ok(existsSync(w.yml), 'hypergolix.yml is there again');
  assert.match(read(w.yml), /verbosity: debug/);
  await until(() => w.warning('config-removed') === undefined, 'the warning to clear once the file is written', NEVER_MS).catch(() => undefined);
  assert.equal(w.warning('config-removed'), undefined);
});

test("a save with the form's base writes only what the form changed, over a hand edit made since; a field both changed is refused with settings-changed, and nothing is written", async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  const base = structuredClone(settingsFromConfig(w.follower.config('test')));
  // Edited by hand (or by another window) after the form opened.
  editInPlace(w.yml, /verbosity: \w+/, 'verbosity: warning');
  await until(() => w.edits.length === 1 || null, 'the hand edit to be adopted');
  const mine = structuredClone(base);
  mine.instrumentation.debug = !base.instrumentation.debug;
  await w.follower.save(mine, base);
  assert.match(read(w.yml), /verbosity: warning/, 'the hand edit is kept');
  assert.equal(settingsFromConfig(w.follower.config('test')).instrumentation.debug, mine.instrumentation.debug, "and the form's change written");

  const before = read(w.yml);
  const both = structuredClone(base);
  both.instrumentation.verbosity = 'error';
  const refused = await w.follower.save(both, base).catch((e: unknown) => e);
  assert.ok(refused instanceof HostFailure && refused.code === ERROR_CODES.settingsChanged, String(refused));
  assert.deepEqual(Object.keys((refused as HostFailure).fields ?? {}), ['instrumentation.verbosity']);
  assert.match((refused as HostFailure).fields!['instrumentation.verbosity']!, /it is now "warning"/);
  assert.equal(read(w.yml), before, 'nothing was written');
  // Without a base (the CLI, an older UI), the form is written whole, as before.
  await w.follower.save(both);
  assert.match(read(w.yml), /verbosity: error/);
});

// BUG (watch.ts:46-49, 98-101): the watcher watches the directory of the path it was given and
// only events named like it. A hypergolix.yml that is a symlink (a dotfile manager's, which
// writeFileAtomic takes care to keep) is edited in its target's directory, so no edit made to it,
// through the link or to the target, is ever noticed.
test('hypergolix.yml is a symlink (a dotfile manager): an edit written through it is followed', async (t) => {
  const base = tempHome('hgx-follow-link-');
  const home = join(base, 'home');
  const dots = join(base, 'dotfiles');
  mkdirSync(home);
  mkdirSync(dots);
  writeFileSync(join(dots, 'hypergolix.yml'), 'instrumentation:\n  verbosity: info\n');
  symlinkSync(join(dots, 'hypergolix.yml'), join(home, 'hypergolix.yml'));
  const w = await follow(home, t);
  assert.ok('loaded' in w.opened);
  assert.equal(w.follower.current!.path, join(home, 'hypergolix.yml'));

  editInPlace(w.yml, /verbosity: info/, 'verbosity: debug'); // written through the link, in place
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'debug', 'the edit to be adopted', NEVER_MS).catch(() => undefined);
  assert.equal(w.follower.current!.config.instrumentation.verbosity, 'debug', 'the edit made through the link is followed');
});

// BUG (watch.ts:96-108): the directory watch dies with the directory. Its removal is reported
// ("removed"), but once it is back (restored from a backup, or re-created by a sync tool) the file
// is never read again: the "removed" warning stays and no edit is ever followed.
test('the whole config directory removed, then restored: the restored file is followed again', async (t) => {
  const home = tempHome('hgx-follow-');
  const w = await follow(home, t);
  const text = read(w.yml);
  rmSync(home, { recursive: true });
  await until(() => w.warning('config-removed'), 'the removal warning');
  mkdirSync(home);
  writeFileSync(w.yml, text.replace('verbosity: info', 'verbosity: debug'));
  // The folder is polled (once a second) while it is gone: a loaded machine may take several polls.
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'debug', 'the restored file', 20_000).catch(() => undefined);
  assert.equal(w.follower.current!.config.instrumentation.verbosity, 'debug', 'the restored file is adopted');
  assert.equal(w.warning('config-removed'), undefined);
});

test('broken at start: open reports it, nothing is usable, the broken file is followed, and the fix is adopted once as the first config', async (t) => {
  const home = tempHome('hgx-follow-');
  const yml = join(home, 'hypergolix.yml');
  writeFileSync(yml, 'process:\n  ipc_port: [7772\n');
  const w = await follow(home, t);
  assert.ok('error' in w.opened, 'open says why instead of throwing');
  assert.equal(w.follower.current, null);
  assert.throws(() => w.follower.config('start'), (e: unknown) => e instanceof HostFailure && e.code === ERROR_CODES.unavailable);
  await assert.rejects(w.follower.fresh(), (e: unknown) => e instanceof HostFailure && e.code === ERROR_CODES.unavailable);

  // Still broken (another way): not adopted.
  writeFileSync(yml, 'process:\n  ipc_port: seventy\n');
  await until(() => w.warning('config-invalid'), 'the second problem to be reported');
  assert.equal(w.edits.length, 0);

  writeFileSync(yml, 'process:\n  ipc_port: 7790\n');
  await until(() => w.edits.length > 0, 'the fixed file');
  assert.deepEqual(w.edits.map((e) => e.first), [true]);
  assert.equal(w.follower.config('start').process.ipc_port, 7790);
  assert.equal(w.warning('config-invalid'), undefined);
  await sentinel(yml, w.follower);
  assert.deepEqual(w.edits.map((e) => e.first), [true, false], 'first only once');
});

test('close(): an edit still inside the debounce, and edits after close, are never applied', async (t) => {
  const w = await follow(tempHome('hgx-follow-'), t);
  // A second watcher on the same file says when each write has been read.
  const seen: ConfigChange[] = [];
  const probe = watchConfig(w.yml, (c) => seen.push(c), { debounceMs: DEBOUNCE, homedir: w.home });
  t.after(() => probe.close());
  editInPlace(w.yml, /verbosity: info/, 'verbosity: debug');
  w.follower.close();
  await until(() => seen.length === 1, 'the probe to read the edit');
  editInPlace(w.yml, /verbosity: debug/, 'verbosity: error');
  await until(() => seen.length === 2, 'the probe to read the second edit');
  assert.deepEqual(w.edits, []);
  assert.deepEqual(configChanges(w.events), []);
  assert.equal(w.follower.current!.config.instrumentation.verbosity, 'info');
});

// BUG (config-follower.ts:169 with watch.ts:80): loadConfig adds the "config-permissions" warning
// (user.root_secret in a file others can read), but a hand edit is adopted from the watcher's
// configFromText, which never checks permissions, so the warning vanishes after any hand edit
// although the secret is still world-readable.
test('user.root_secret in a file others can read: the permissions warning survives a hand edit of another key', async (t) => {
  const acct = await template();
  const home = copyHome(acct.home);
  const yml = join(home, 'hypergolix.yml');
  const secret = await rootSecretOf(acct);
  writeFileSync(yml, read(yml).replace(/root_secret: null/, `root_secret: ${secret}`));
  chmodSync(yml, 0o644);
  const w = await follow(home, t);
  assert.ok('loaded' in w.opened);
  assert.ok(w.warning('config-permissions'), 'warned at start');
  editInPlace(yml, /verbosity: info/, 'verbosity: warning');
  await until(() => w.follower.current?.config.instrumentation.verbosity === 'warning', 'the hand edit');
  assert.ok(w.warning('config-permissions'), 'the file is still mode 644 with the secret in it: still warned');
});

// ───────────────────────────── through the Controller, with a real daemon ─────────────────────────────

/** One account (reference identity 2, cheap KDF), made once; tests work on copies of its home. */
let made: ReturnType<typeof accountHome> | null = null;
function template() {
  made ??= accountHome(tempHome('hgx-follow-acct-'), PASSWORD, { index: 2 });
  return made;
}

async function rootSecretOf(acct: { fingerprint: string }): Promise<string> {
  return (await deriveRootSecret(PASSWORD, Ghid.fromText(acct.fingerprint), TEST_KDF)).text;
}

/**
 * The Controller's runner with a gate each start waits at (pid file taken, daemon not started),
 * recording every start and stop, and how many were under way at once.
 */
class GatedRunner extends DaemonRunner {
  gate: Promise<void> | null = null;
  atGate = 0;
  readonly ops: string[] = [];
  readonly startedWith: LoadedConfig['config'][] = [];
  private busy = 0;
  maxBusy = 0;

  constructor(log: Logger) {
    super({ pidFile: true, lockInfo: { host: 'desktop' }, logger: log, kdf: KDF, ipc: false });
  }

  private enter(op: string): void {
    this.ops.push(op);
    this.maxBusy = Math.max(this.maxBusy, ++this.busy);
  }

  override async start(loaded: LoadedConfig, how: DaemonStart) {
    this.enter(`start (${loaded.config.instrumentation.verbosity})`);
    const gate = this.gate;
    try {
      const r = await super.start(loaded, {
        ...how,
        beforeStart: async (log) => {
          await how.beforeStart?.(log);
          this.atGate++;
          if (gate) await gate;
        },
      });
      this.startedWith.push(loaded.config);
      return r;
    } finally {
      this.busy--;
    }
  }

  override async stop() {
    this.enter('stop');
    try {
      await super.stop();
    } finally {
      this.busy--;
    }
  }
}

interface Running extends Harness {
  runner: GatedRunner;
  notices: Notice[];
  pidFile: string;
  follower: ConfigFollower;
}

/** A copy of the account home, its Controller unlocked with the password, through a GatedRunner. */
async function running(opts: { vault?: MemoryVault; remember?: boolean; home?: string } = {}): Promise<Running> {
  const home = opts.home ?? copyHome((await template()).home);
  const h = await harness(home, { pidFile: true, ...(opts.vault ? { vault: opts.vault } : {}) });
  await h.controller.settled();
  const inner = h.controller as unknown as { session: { o: { runner: DaemonRunner } }; file: ConfigFollower };
  const runner = new GatedRunner(h.logger.child('daemon'));
  if (h.controller.status().state === 'locked') {
    inner.session.o.runner = runner;
    await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: opts.remember ?? false });
  }
  assert.equal(h.controller.status().state, 'running');
  const notices: Notice[] = [];
  h.controller.onNotice((n) => notices.push(n));
  runner.ops.length = 0;
  runner.atGate = 0;
  runner.startedWith.length = 0;
  h.events.length = 0;
  return { ...h, runner, notices, pidFile: inner.file.current!.config.process.pid_file, follower: inner.file };
}

const daemonConfig = (c: Controller) => (c as unknown as { session: { app: StartedApp | null } }).session.app?.loaded.config ?? null;

test('through the Controller: a hand edit of a daemon section restarts the daemon once, with it; a comment, a touch or an edit nothing running reads restarts nothing', async () => {
  const h = await running();
  editInPlace(h.yml, /verbosity: info/, 'verbosity: debug');
  await until(() => h.follower.current?.config.instrumentation.verbosity === 'debug', 'the hand edit');
  await h.controller.settled();
  assert.deepEqual(h.runner.ops, ['stop', 'start (debug)']);
  assert.equal(h.controller.status().state, 'running');
  assert.equal(daemonConfig(h.controller)?.instrumentation.verbosity, 'debug', 'the daemon runs with the file');
  assert.deepEqual(h.states(), ['running', 'restarting', 'running'], 'the edit is announced, then the restart');

  // Nothing the daemon reads: a comment, a touch, start at login.
  writeFileSync(h.yml, read(h.yml)); // touch
  editInPlace(h.yml, /^process:/m, '# the daemon section\nprocess:');
  await until(() => h.follower.current?.text.includes('# the daemon section'), 'the comment');
  append(h.yml, 'desktop:\n  start_at_login: true\n');
  await until(() => h.follower.current?.config.desktop.start_at_login === true, 'the desktop edit');
  await sentinel(h.yml, h.follower);
  await h.controller.settled();
  assert.deepEqual(h.runner.ops, ['stop', 'start (debug)'], 'no further restart');
  assert.equal(h.controller.settings()?.desktop.start_at_login, true);

  // An invalid edit restarts nothing and keeps the daemon up; fixing it back (plus a comment) restarts nothing either.
  const good = read(h.yml);
  writeFileSync(h.yml, good.replace(/verbosity: debug/, 'verbosity: [debug'));
  await until(() => h.controller.status().warnings.some((w) => w.code === 'config-invalid'), 'the warning');
  writeFileSync(h.yml, `${good}# fixed\n`);
  await until(() => h.follower.current?.text.includes('# fixed'), 'the fix');
  await h.controller.settled();
  assert.deepEqual(h.runner.ops, ['stop', 'start (debug)']);
  assert.equal(h.controller.status().state, 'running');
  assert.equal(h.controller.status().warnings.some((w) => w.code === 'config-invalid'), false);

  // A save from the settings window restarts once; the watcher does not take our own save for a hand edit.
  const s = structuredClone(h.controller.settings()!);
  s.instrumentation.verbosity = 'warning';
  assert.deepEqual(await h.ask({ kind: 'saveSettings', settings: s }), { restarted: true });
  await sentinel(h.yml, h.follower);
  await h.controller.settled();
  assert.deepEqual(h.runner.ops, ['stop', 'start (debug)', 'stop', 'start (warning)']);
  assert.equal(h.runner.maxBusy, 1, 'never two starts or stops at once');
  assert.deepEqual(h.notices.filter((n) => n.kind === 'daemon-error'), []);
  await h.controller.stop();
});

// BUG (account-session.ts:387 `this.o.config.adopt(app.loaded)`): when a start finishes, the
// session makes the follower adopt the config that start was begun with. Hand edits the follower
// adopted while the daemon was starting (a slow unlock, a restart) are thereby replaced by the
// older config; the restart queued for them then sees "no change", and the watcher, which has
// already reported them, never reports them again. The file says one thing, the settings window
// was told it, and Hypergolix runs (and shows, from then on) the older settings.
test('through the Controller: hand edits saved while a restart is under way wait for it; restarts never overlap and the last edit is what runs', async (t) => {
  const h = await running();
  let open!: () => void;
  h.runner.gate = new Promise<void>((r) => (open = r));
  t.after(() => open()); // a failed assertion must not leave the start held (stop would wait on it)
  editInPlace(h.yml, /verbosity: info/, 'verbosity: debug');
  await until(() => h.runner.atGate === 1, 'the restart held at its start');
  assert.equal(h.controller.status().state, 'restarting');

  h.runner.gate = null;
  append(h.yml, 'sharing:\n  accept: all\n');
  await until(() => h.follower.current?.config.sharing.accept === 'all', 'the second edit');
  saveByRename(h.yml, read(h.yml).replace('verbosity: debug', 'verbosity: warning'));
  await until(() => h.follower.current?.config.instrumentation.verbosity === 'warning', 'the third edit');
  open();
  await h.controller.settled();

  assert.equal(h.runner.maxBusy, 1, `restarts overlapped: ${h.runner.ops.join(', ')}`);
  // What the app says the settings are must still be what the file says (it was told so by configChanged).
  assert.equal(configChanges(h.events).at(-1)?.instrumentation.verbosity, 'warning', 'the window was told the last edit');
  assert.deepEqual(
    { verbosity: h.controller.settings()?.instrumentation.verbosity, accept: h.follower.current?.config.sharing.accept },
    { verbosity: 'warning', accept: 'all' },
    'the follower still holds the edits made during the restart',
  );
  const last = daemonConfig(h.controller)!;
  assert.equal(last.instrumentation.verbosity, 'warning');
  assert.equal(last.sharing.accept, 'all');
  assert.deepEqual(h.runner.ops, ['stop', 'start (debug)', 'stop', 'start (warning)'], 'the held restart, then one for both later edits');
  assert.equal(h.controller.status().state, 'running');
  await h.controller.stop();
});

// BUG: same cause as the restart test above (account-session.ts:387), met while unlocking.
test('through the Controller: a hand edit saved while the account is unlocking is applied once it is open, not lost', async (t) => {
  const home = copyHome((await template()).home);
  const h = await harness(home, { pidFile: true });
  await h.controller.settled();
  const inner = h.controller as unknown as { session: { o: { runner: DaemonRunner } }; file: ConfigFollower };
  const runner = new GatedRunner(h.logger.child('daemon'));
  inner.session.o.runner = runner;
  let open!: () => void;
  runner.gate = new Promise<void>((r) => (open = r));
  t.after(() => open());
  const unlocking = h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  await until(() => runner.atGate === 1, 'the unlock held at its start');
  runner.gate = null;
  editInPlace(h.yml, /verbosity: info/, 'verbosity: debug');
  await until(() => inner.file.current?.config.instrumentation.verbosity === 'debug', 'the edit to be adopted');
  open();
  await unlocking;
  await h.controller.settled();
  assert.equal(h.controller.status().state, 'running');
  assert.equal(h.controller.settings()?.instrumentation.verbosity, 'debug', 'the settings in use are what the file says');
  assert.equal(daemonConfig(h.controller)?.instrumentation.verbosity, 'debug', 'the daemon was restarted for the edit');
  await h.controller.stop();
});

test('through the Controller: Quit during a restart caused by a hand edit leaves nothing running and the pid file free', async (t) => {
  const h = await running();
  let open!: () => void;
  h.runner.gate = new Promise<void>((r) => (open = r));
  t.after(() => open()); // a failed assertion must not leave the start held (stop would wait on it)
  editInPlace(h.yml, /verbosity: info/, 'verbosity: debug');
  await until(() => h.runner.atGate === 1, 'the restart held at its start');
  const stopping = h.controller.stop();
  // An edit that arrives while quitting restarts nothing.
  editInPlace(h.yml, /verbosity: debug/, 'verbosity: error');
  open();
  await stopping;
  assert.equal(h.runner.app, null, 'no daemon left running');
  assert.equal(existsSync(h.pidFile), false, 'the pid file is released');
  assert.equal(h.controller.status().state, 'locked');
  assert.equal(h.runner.ops.filter((o) => o.startsWith('start')).length, 1, `no start after Quit: ${h.runner.ops.join(', ')}`);
  assert.equal(h.runner.maxBusy, 1);
});

// BUG (config-follower.ts:151-173, watch.ts:67-80): an empty hypergolix.yml is a valid config of
// defaults (no account, no remotes, default ports). An editor or tool that truncates the file and
// writes it a moment later (past the debounce) gets that empty file adopted: the follower forgets
// the account, the window is sent default settings, and the Controller restarts the daemon on a
// config naming no account, which fails ("A password is needed to create an account"): the user
// sees "Hypergolix did not restart", a daemon-error notification and state error, until the
// content lands and a second restart brings it back.
test('truncated, then written: the empty file in between is not applied (the account and the running daemon are kept)', async () => {
  const h = await running();
  const userId = h.follower.current!.config.user.user_id!.text;
  const text = read(h.yml);
  const startsBefore = h.runner.ops.length;
  writeFileSync(h.yml, ''); // the truncation…
  await until(
    () => h.events.some((e) => e.kind === 'configChanged') || h.controller.status().warnings.some((w) => w.code.startsWith('config-')),
    'the follower to react to the empty file',
  );
  await h.controller.settled();
  const seenMeanwhile = {
    account: h.follower.current!.config.user.user_id?.text ?? null,
    state: h.controller.status().state,
    restarts: h.runner.ops.slice(startsBefore),
    notices: h.notices.map((n) => n.kind),
    windowToldDefaults: configChanges(h.events).some((s) => s.process.ipc_port === 7772),
  };
  writeFileSync(h.yml, text); // …and the write
  await sentinel(h.yml, h.follower);
  await h.controller.settled();
  assert.deepEqual(
    seenMeanwhile,
    { account: userId, state: 'running', restarts: [], notices: [], windowToldDefaults: false },
    'while the file was empty, nothing of it was applied',
  );
  assert.equal(h.controller.status().state, 'running');
  await h.controller.stop();
});

// ───────────────────────────── the password change ─────────────────────────────

test('password change, then a hand edit restarts the daemon: it comes back with the new secret; the vault follows; the old password opens nothing', async () => {
  const vault = new MemoryVault();
  const h = await running({ vault, remember: true });
  const oldVault = vault.secret!.toString();
  assert.deepEqual(await h.ask({ kind: 'changePassword', current: PASSWORD, next: NEW_PASSWORD }), {});
  assert.notEqual(vault.secret!.toString(), oldVault, 'the vault holds the new secret');

  editInPlace(h.yml, /verbosity: info/, 'verbosity: debug');
  await until(() => h.follower.current?.config.instrumentation.verbosity === 'debug', 'the hand edit');
  await h.controller.settled();
  assert.deepEqual(h.runner.ops, ['stop', 'start (debug)']);
  assert.equal(h.controller.status().state, 'running', 'the kept (new) secret opened it again');

  await h.ask({ kind: 'lock' });
  const old = await h.askRaw({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  assert.equal(!old.ok && old.error.code, ERROR_CODES.wrongPassword, 'the old password opens nothing');
  await h.ask({ kind: 'unlock', password: NEW_PASSWORD, rememberOnThisComputer: true });
  await h.controller.stop();

  // The next start unlocks by itself with what the vault holds.
  const again = await harness(h.home, { vault, pidFile: true });
  await again.controller.settled();
  assert.equal(again.controller.status().state, 'running');
  await again.controller.stop();
});

// BUG (password-change.ts:19-31, account-session.ts:251-262, and core/assembly/app.ts:105):
// an account unlocked from a legacy user.root_secret in hypergolix.yml keeps that secret in the
// file after a password change. The root node is re-encrypted under the new password, so the
// secret in the file opens nothing; and because a kept root_secret takes precedence over a typed
// password at login, the new password cannot open the account either: after the next start the
// account is unusable until the user deletes user.root_secret by hand.
test('an account opened from a legacy user.root_secret: after a password change, the new password still opens it at the next start', async () => {
  const acct = await template();
  const home = copyHome(acct.home);
  const yml = join(home, 'hypergolix.yml');
  writeFileSync(yml, read(yml).replace(/root_secret: null/, `root_secret: ${await rootSecretOf(acct)}`), { mode: 0o600 });
  const h = await running({ home });
  assert.deepEqual(await h.ask({ kind: 'changePassword', current: PASSWORD, next: NEW_PASSWORD }), {});
  await h.controller.stop();

  const again = await harness(home, { pidFile: true });
  await again.controller.settled();
  if (again.controller.status().state !== 'running') {
    const res = await again.askRaw({ kind: 'unlock', password: NEW_PASSWORD, rememberOnThisComputer: false });
    assert.ok(res.ok, `the new password opens the account: ${res.ok ? '' : `${res.error.code}: ${res.error.message}`}`);
  }
  assert.equal(again.controller.status().state, 'running');
  await again.controller.stop();
});

// BUG (account-session.ts:259-260): with "unlock automatically" on, changePassword writes the new
// root frame first and only then stores the new secret in the vault. If that store fails (a
// locked keyring), the request fails, so the user believes the password is unchanged; but the
// old password no longer opens the account, and the vault still holds the old secret.
test('the vault cannot store the new secret: a change reported as failed has not taken the old password away', async () => {
  class FlakyVault extends MemoryVault {
    failSaves = false;
    override async save(secret: Buffer): Promise<void> {
      if (this.failSaves) throw new Error('the keyring is locked');
      return super.save(secret);
    }
  }
  const vault = new FlakyVault();
  const h = await running({ vault, remember: true });
  vault.failSaves = true;
  const res = await h.askRaw({ kind: 'changePassword', current: PASSWORD, next: NEW_PASSWORD });
  await h.ask({ kind: 'lock' });
  if (res.ok) {
    // Reported done: the new password is the one.
    await h.ask({ kind: 'unlock', password: NEW_PASSWORD, rememberOnThisComputer: false });
  } else {
    const old = await h.askRaw({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
    assert.ok(old.ok, `the change was reported as failed (${res.error.code}: ${res.error.message}), yet the old password no longer opens the account`);
  }
  assert.equal(h.controller.status().state, 'running');
  await h.controller.stop();
});

// ───────────────────────────── RemoteAccounts ─────────────────────────────

function fakeApp(answer: () => Promise<{ remote: string; account: RemoteAccountStatus | null }[]>): StartedApp {
  return { daemon: { remoteAccounts: async () => (await answer()).map((a) => ({ ...a, error: null })) } } as unknown as StartedApp;
}

test('RemoteAccounts: asked at most every everyMs unless forced, told only when something changed, a standing that went away is dropped', async () => {
  let now = 1_000;
  let asked = 0;
  let answer: { remote: string; account: RemoteAccountStatus | null }[] = [{ remote: 'a.example:7770', account: { status: 'pending', usedBytes: 1, freeBytes: 10 } }];
  let changes = 0;
  const accounts = new RemoteAccounts(() => changes++, () => now, 30_000);
  const app = fakeApp(async () => (asked++, answer));

  await accounts.refresh(null);
  assert.equal(asked, 0, 'nothing to ask while locked');
  await accounts.refresh(app);
  assert.deepEqual(accounts.of('a.example:7770'), { status: 'pending', usedBytes: 1, freeBytes: 10 });
  assert.equal(changes, 1);
  now += 29_999;
  await accounts.refresh(app);
  assert.equal(asked, 1, 'not again within everyMs');
  await accounts.refresh(app, true);
  assert.equal(asked, 2, 'forced');
  assert.equal(changes, 1, 'the same answer is no change');

  answer = [{ remote: 'a.example:7770', account: null }];
  now += 30_000;
  await accounts.refresh(app);
  assert.equal(accounts.of('a.example:7770'), undefined);
  assert.equal(changes, 2);

  // Two refreshes at once share one request.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const slow = fakeApp(async () => (asked++, await held, answer));
  const one = accounts.refresh(slow, true);
  const two = accounts.refresh(slow, true);
  release();
  await Promise.all([one, two]);
  assert.equal(asked, 4);

  accounts.clear();
  await accounts.refresh(app);
  assert.equal(asked, 5, 'clear() forgets when it last asked');
});

test('RemoteAccounts: a refresh that fails is reported to its caller, keeps what was known, and does not block the next one', async () => {
  let now = 0;
  let fail = false;
  const accounts = new RemoteAccounts(() => {}, () => now, 1000);
  const app = fakeApp(async () => {
    if (fail) throw new Error('the remote did not answer');
    return [{ remote: 'a.example:7770', account: { status: 'registered', usedBytes: 5, freeBytes: 0 } }];
  });
  await accounts.refresh(app);
  fail = true;
  await assert.rejects(accounts.refresh(app, true), /did not answer/);
  assert.equal(accounts.of('a.example:7770')?.status, 'registered', 'the last answer is kept');
  fail = false;
  now += 1000;
  await accounts.refresh(app);
  assert.equal(accounts.of('a.example:7770')?.status, 'registered');
});
