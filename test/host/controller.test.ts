// The desktop controller in plain Node, with the real config module and a real daemon: the
// state machine, wrong passwords, restart-on-save, bad settings, hand edits, "unlock
// automatically", the legacy root_secret and the embedded server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { ACCOUNT_STAGES, ERROR_CODES, type HostEvent, type Settings } from '../../src/common/contract.js';
import { Secret } from '../../src/core/golix/index.js';
import { loadConfig } from '../../src/core/config/index.js';
import { startServer } from '../../src/core/assembly/server.js';
import { PASSWORD, MemoryVault, copyHome, harness, tempHome, until } from './helpers.js';
import { freePort } from '../fixtures/free-port.js';
import { lockHolder } from '../fixtures/store/lock-holder.js';
import { PreparedIdentity } from '../../src/core/account/prepared-identity.js';
import { v16Identity } from '../fixtures/vectors.js';

let made: Promise<{ home: string; fingerprint: string; userId: string; rootSecret: string }> | null = null;

/** One real account (real keygen, cheap KDF), made once; tests work on copies of its home. */
function accountHome() {
  made ??= (async () => {
    const home = tempHome();
    const h = await harness(home);
    const id = await h.ask({ kind: 'createAccount', password: PASSWORD });
    const rootSecret = (h.controller as unknown as { session: { rootSecret: Secret } }).session.rootSecret.text;
    await h.controller.stop();
    return { home, ...id, rootSecret };
  })();
  return made;
}

async function unlocked(opts: Parameters<typeof harness>[1] = {}) {
  const acct = await accountHome();
  const h = await harness(copyHome(acct.home), opts);
  await h.controller.settled();
  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  return { ...h, acct };
}


function portOpen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      ok(true);
    });
    req.on('error', () => ok(false));
    req.end();
  });
}

const restartPhases = (events: HostEvent[]) => events.flatMap((e) => (e.kind === 'restartProgress' ? [e.phase] : []));

test('first run: no account → creating → running; progress in order; the IDs are written to hypergolix.yml', async () => {
  const home = tempHome();
  const h = await harness(home);
  const snap = await h.ask({ kind: 'getState' });
  assert.equal(snap.status.state, 'no-account');
  assert.equal(snap.identity, null);
  assert.equal(snap.canRememberPassword, false, 'no vault: "unlock automatically" is unavailable');
  assert.match(readFileSync(h.yml, 'utf8'), /process:/, 'the config was created');

  const short = await h.askRaw({ kind: 'createAccount', password: 'short' });
  assert.equal(short.ok, false);
  assert.equal(!short.ok && short.error.code, ERROR_CODES.badRequest);
  const locked = await h.askRaw({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  assert.equal(!locked.ok && locked.error.code, ERROR_CODES.invalidState);

  const id = await h.ask({ kind: 'createAccount', password: PASSWORD });
  const stages = h.events.flatMap((e) => (e.kind === 'accountProgress' ? [e.stage] : []));
  assert.deepEqual([...new Set(stages)], [...ACCOUNT_STAGES], 'every stage, in order');
  assert.deepEqual(h.states(), ['no-account', 'creating', 'running']);
  assert.deepEqual(await h.ask({ kind: 'whoami' }), id);

  const onDisk = await loadConfig({ root: h.yml });
  assert.equal(onDisk.config.user.fingerprint?.text, id.fingerprint);
  assert.equal(onDisk.config.user.user_id?.text, id.userId);
  const status = await h.ask({ kind: 'status' });
  assert.equal(status.state, 'running');
  assert.ok(status.objectsCached > 0, 'the account objects are in the cache');
  assert.deepEqual(status.remotes, []);
  assert.deepEqual(status.incomingShares, []);
  const again = await h.askRaw({ kind: 'createAccount', password: PASSWORD });
  assert.equal(!again.ok && again.error.code, ERROR_CODES.invalidState);
  await h.controller.stop();
});

test("the wizard's keys are made while it shows: Create uses them, and a failed creation prepares new ones", async (t) => {
  const made: string[] = [];
  const keys = new PreparedIdentity({
    generate: async () => {
      const id = v16Identity(made.length === 0 ? 2 : 1);
      made.push(id.ghid.text);
      return id;
    },
  });
  const home = tempHome();
  const h = await harness(home, { keys });
  assert.deepEqual(made, [v16Identity(2).ghid.text], 'keys started with the wizard, before any request');
  const id = await h.ask({ kind: 'createAccount', password: PASSWORD });
  assert.equal(id.fingerprint, v16Identity(2).ghid.text, 'the account has the prepared keys');
  assert.equal(made.length, 1, 'no second generation');
  await h.controller.stop();

  // A creation that fails (the ghidcache is held by another process) shows the wizard again, with new keys.
  const other = tempHome();
  const keys2 = new PreparedIdentity({ generate: async () => (made.push('x'), v16Identity(0)) });
  const h2 = await harness(other, { keys: keys2 });
  const before = made.length;
  const ghidcache = (await loadConfig({ root: h2.yml })).config.process.ghidcache;
  const holder = await lockHolder(ghidcache, { role: 'server', configKey: 'server.ghidcache' });
  t.after(() => holder.child.kill('SIGKILL'));
  const refused = await h2.askRaw({ kind: 'createAccount', password: PASSWORD });
  assert.equal(refused.ok, false);
  assert.equal(h2.controller.status().state, 'no-account');
  assert.equal(made.length, before + 1, 'the taken keys are not reused: a new set is being made');
  await h2.controller.stop();
});

test('later runs: locked → wrong password (its own code, nothing changes) → right password → running → lock', async () => {
  const acct = await accountHome();
  const h = await harness(copyHome(acct.home));
  const before = readFileSync(h.yml, 'utf8');
  const snap = await h.ask({ kind: 'getState' });
  assert.equal(snap.status.state, 'locked');
  assert.deepEqual(snap.identity, { fingerprint: acct.fingerprint, userId: acct.userId }, 'known from the config while locked');

  const wrong = await h.askRaw({ kind: 'unlock', password: 'not-the-password', rememberOnThisComputer: false });
  assert.equal(wrong.ok, false);
  assert.equal(!wrong.ok && wrong.error.code, ERROR_CODES.wrongPassword);
  assert.equal(h.controller.status().state, 'locked');
  assert.equal(readFileSync(h.yml, 'utf8'), before, 'a wrong password touches nothing');

  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  assert.deepEqual(h.states(), ['locked', 'unlocking', 'locked', 'unlocking', 'running']);
  assert.deepEqual(await h.ask({ kind: 'whoami' }), { fingerprint: acct.fingerprint, userId: acct.userId });

  await h.ask({ kind: 'lock' });
  assert.equal(h.controller.status().state, 'locked');
  assert.equal(h.controller.status().objectsCached, 0);
  const twice = await h.askRaw({ kind: 'lock' });
  assert.equal(!twice.ok && twice.error.code, ERROR_CODES.invalidState);
});

test('a second daemon on the same config is refused with a clear message (defect 32)', async () => {
  const h = await unlocked();
  const other = await harness(h.home);
  const res = await other.askRaw({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  assert.equal(res.ok, false);
  assert.equal(!res.ok && res.error.code, ERROR_CODES.unavailable);
  assert.match(!res.ok ? res.error.message : '', /Another Hypergolix app daemon is running/);
  assert.equal(other.controller.status().state, 'locked');
});

test('save: the file changes (comments kept), the daemon restarts with the new remotes and verbosity', async () => {
  const h = await unlocked();
  writeFileSync(h.yml, `# my own note, keep me\n${readFileSync(h.yml, 'utf8')}`);
  await until(() => h.events.some((e) => e.kind === 'configChanged'), 'the hand edit to be seen');
  await h.controller.settled();
  h.events.length = 0;

  const settings = await h.ask({ kind: 'getSettings' });
  assert.equal(settings.instrumentation.verbosity, 'info');
  const deadPort = await freePort();
  const next: Settings = structuredClone(settings);
  next.remotes.push({ host: '127.0.0.1', port: deadPort, tls: false });
  next.instrumentation.verbosity = 'debug';
  const res = await h.ask({ kind: 'saveSettings', settings: next });
  assert.deepEqual(res, { restarted: true });
  assert.deepEqual(restartPhases(h.events), ['saving', 'stopping', 'starting', 'done']);
  assert.deepEqual(h.states(), ['restarting', 'running']);

  const text = readFileSync(h.yml, 'utf8');
  assert.match(text, /^# my own note, keep me$/m);
  assert.match(text, /verbosity: debug/);
  assert.match(text, new RegExp(`port: ${deadPort}`));
  assert.deepEqual(await h.ask({ kind: 'getSettings' }), next);
  const status = await h.ask({ kind: 'status' });
  const [dead] = status.remotes;
  assert.deepEqual({ ...dead, backlog: undefined, problem: undefined, nextAttemptAt: undefined }, { host: '127.0.0.1', port: deadPort, tls: false, connected: false, lastConnectedAt: null, backlog: undefined, problem: undefined, nextAttemptAt: undefined });
  // Tried again within the first waits of the back-off (or being tried right now: null).
  assert.ok(dead!.nextAttemptAt === null || (Number.isInteger(dead!.nextAttemptAt) && dead!.nextAttemptAt! <= Date.now() + 30_000), `next try: ${dead!.nextAttemptAt}`);
  // The status says why, in words a user can act on (the reason may still be "Connecting…" right after the restart).
  assert.match(dead!.problem ?? '', /Connection refused|Connecting/);
  assert.equal(h.events.filter((e) => e.kind === 'configChanged').length, 0, 'our own save is not a hand edit');

  // Saving the same values again writes nothing and restarts nothing.
  h.events.length = 0;
  const mtime = readFileSync(h.yml, 'utf8');
  assert.deepEqual(await h.ask({ kind: 'saveSettings', settings: next }), { restarted: false });
  assert.equal(readFileSync(h.yml, 'utf8'), mtime);

  // A setting the daemon does not read is saved without a restart.
  const quiet = structuredClone(next);
  quiet.desktop.notifications.remote_unreachable = false;
  assert.deepEqual(await h.ask({ kind: 'saveSettings', settings: quiet }), { restarted: false });
  assert.match(readFileSync(h.yml, 'utf8'), /remote_unreachable: false/);
  assert.equal(h.controller.status().state, 'running');

  // Removing the remote again keeps the rest of the file as it was.
  const removed = structuredClone(quiet);
  removed.remotes = [];
  assert.deepEqual(await h.ask({ kind: 'saveSettings', settings: removed }), { restarted: true });
  assert.deepEqual((await h.ask({ kind: 'status' })).remotes, []);
  assert.match(readFileSync(h.yml, 'utf8'), /^# my own note, keep me$/m);
});

test('checkCache: refused in words while locked; unlocked, the daemon checks its files and the status tells it', async () => {
  const acct = await accountHome();
  const h = await harness(copyHome(acct.home));
  await h.controller.settled();
  const locked = await h.askRaw({ kind: 'checkCache' });
  assert.equal(locked.ok, false);
  if (!locked.ok) assert.deepEqual([locked.error.code, locked.error.message], [ERROR_CODES.invalidState, 'Unlock Hypergolix to check its files']);
  assert.equal(h.controller.status().cacheCheck, undefined, 'no daemon, nothing to tell');

  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  assert.equal(h.controller.status().cacheCheck?.lastCheckedAt, null, 'not checked yet');
  h.events.length = 0;
  const report = await h.ask({ kind: 'checkCache' });
  assert.equal(report.checked, h.controller.status().objectsCached);
  assert.deepEqual([report.running, report.damagedCount, report.putRight], [false, 0, 0]);
  assert.deepEqual(h.controller.status().cacheCheck, report);
  assert.ok(h.events.some((e) => e.kind === 'status' && e.status.cacheCheck?.lastCheckedAt === report.lastCheckedAt), 'the new status is sent');
});

test('tryRemotes: refused in words while locked; unlocked, the remotes away are tried and the status after is answered and sent', async () => {
  const acct = await accountHome();
  const h = await harness(copyHome(acct.home));
  await h.controller.settled();
  const locked = await h.askRaw({ kind: 'tryRemotes' });
  assert.equal(locked.ok, false);
  if (!locked.ok) assert.deepEqual([locked.error.code, locked.error.message], [ERROR_CODES.invalidState, 'Unlock Hypergolix to connect to its remotes']);

  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  h.events.length = 0;
  const status = await h.ask({ kind: 'tryRemotes' });
  assert.equal(status.state, 'running');
  assert.deepEqual(status.remotes.map((r) => `${r.host}:${r.port}`), h.controller.status().remotes.map((r) => `${r.host}:${r.port}`));
  assert.ok(h.events.some((e) => e.kind === 'status'), 'the status after the tries is sent');
});

test('bad settings: refused with the field, hypergolix.yml byte-identical, nothing restarted', async () => {
  const h = await unlocked();
  const before = readFileSync(h.yml);
  const good = await h.ask({ kind: 'getSettings' });
  h.events.length = 0;

  const cases: [string, (s: Settings) => void][] = [
    ['process.ipc_port', (s) => void (s.process.ipc_port = 70000)],
    ['server.port', (s) => void (s.server.port = 0)],
    ['remotes.0.port', (s) => void s.remotes.push({ host: 'example.org', port: 1.5, tls: false })],
    ['remotes.0.host', (s) => void s.remotes.push({ host: 'not a host!', port: 7770, tls: false })],
    ['remotes.1', (s) => void s.remotes.push({ host: 'a.example', port: 7770, tls: false }, { host: 'A.example', port: 7770, tls: true })],
    ['server.port', (s) => Object.assign(s.server, { enabled: true, port: s.process.ipc_port })],
  ];
  for (const [field, change] of cases) {
    const bad = structuredClone(good);
    change(bad);
    const res = await h.askRaw({ kind: 'saveSettings', settings: bad });
    assert.equal(res.ok, false, field);
    if (res.ok) continue;
    assert.equal(res.error.code, ERROR_CODES.invalidSettings, field);
    assert.ok(res.error.fields?.[field], `${field} is named: ${JSON.stringify(res.error.fields)}`);
    assert.doesNotMatch(res.error.fields[field]!, /, not /, 'the message reads as a sentence about the field');
    assert.deepEqual(readFileSync(h.yml), before, `${field}: the file is byte-identical`);
  }
  assert.equal(h.events.filter((e) => e.kind === 'status' && e.status.state === 'restarting').length, 0);
  assert.equal(h.controller.status().state, 'running');
  assert.equal(restartPhases(h.events).includes('done'), false);
});

test('a hand edit while running: configChanged with the new settings, and the daemon picks it up', async () => {
  const h = await unlocked();
  h.events.length = 0;
  const text = readFileSync(h.yml, 'utf8');
  writeFileSync(h.yml, text.replace(/verbosity: info/, 'verbosity: warning').replace(/remotes: \[\]/, 'remotes:\n  - host: 127.0.0.1\n    port: 9\n    tls: false'));
  await until(() => h.events.some((e) => e.kind === 'configChanged'), 'configChanged');
  const ev = h.events.find((e): e is Extract<HostEvent, { kind: 'configChanged' }> => e.kind === 'configChanged')!;
  assert.equal(ev.settings.instrumentation.verbosity, 'warning');
  assert.deepEqual(ev.settings.remotes, [{ host: '127.0.0.1', port: 9, tls: false }]);
  await h.controller.settled();
  assert.equal(h.controller.status().state, 'running');
  const [r] = h.controller.status().remotes;
  assert.deepEqual([r!.host, r!.port, r!.tls, r!.connected], ['127.0.0.1', 9, false, false]);
  assert.equal(restartPhases(h.events).length, 0, 'no save progress for a change that was not a save');

  // A broken edit keeps the running settings and says so.
  writeFileSync(h.yml, readFileSync(h.yml, 'utf8').replace(/ipc_port: 7772/, 'ipc_port: seventy'));
  await until(() => h.controller.status().warnings.some((w) => w.code === 'config-invalid'), 'the invalid-file warning');
  assert.equal(h.controller.status().state, 'running');
  const res = await h.askRaw({ kind: 'saveSettings', settings: ev.settings });
  assert.equal(!res.ok && res.error.code, ERROR_CODES.invalidSettings);
  assert.ok(!res.ok && res.error.fields?.['process.ipc_port']);
});

test('unlock automatically: kept in the vault (not the YAML), used at the next start, dropped when it stops working', async () => {
  const vault = new MemoryVault();
  const h = await unlocked({ vault });
  assert.equal((await h.ask({ kind: 'getState' })).canRememberPassword, true);
  await h.ask({ kind: 'lock' });
  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: true });
  assert.ok(vault.secret, 'the secret went to the vault');
  const yml = readFileSync(h.yml, 'utf8');
  assert.match(yml, /unlock_automatically: true/);
  assert.doesNotMatch(yml, new RegExp(h.acct.rootSecret.slice(0, 20)), 'never in the YAML');
  await h.controller.stop();

  const again = await harness(h.home, { vault });
  await again.controller.settled();
  assert.equal(again.controller.status().state, 'running', 'unlocked by itself');
  assert.deepEqual(again.states().slice(-2), ['unlocking', 'running']);
  await again.controller.stop();

  // A secret that no longer opens the account is forgotten, and the user is asked.
  const rec = JSON.parse(vault.secret!.toString()) as { secret: string };
  rec.secret = Secret.random().text;
  vault.secret = Buffer.from(JSON.stringify(rec));
  // This computer had learned that the password was changed on another one (core/daemon/root-watch.ts).
  const accountDir = join(h.home, 'ghidcache.account');
  assert.ok(existsSync(accountDir), accountDir);
  writeFileSync(join(accountDir, 'password-changed-elsewhere.json'), JSON.stringify({ frame: 'A', noticedAt: Date.now() - 60_000 }));
  const third = await harness(h.home, { vault });
  await third.controller.settled();
  assert.equal(third.controller.status().state, 'locked');
  assert.equal(third.controller.status().message, 'The saved password no longer opens this account: it was changed on another computer. Enter the new password.');
  assert.equal(vault.secret, null);
  assert.match(readFileSync(h.yml, 'utf8'), /unlock_automatically: false/);

  // Unlocking without the tick turns it off; with no secure storage it cannot be asked for.
  const none = await harness(copyHome(h.acct.home));
  const refused = await none.askRaw({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: true });
  assert.equal(!refused.ok && refused.error.code, ERROR_CODES.unavailable);
  assert.equal(none.controller.status().state, 'locked');
  await none.controller.stop();
});

test('browser mode (no secure storage) unlocking the desktop app\'s account leaves its "unlock automatically" on', async () => {
  const vault = new MemoryVault();
  const h = await unlocked({ vault });
  await h.ask({ kind: 'lock' });
  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: true });
  await h.controller.stop();

  // The same home, as `hypergolix start app --ui` opens it: no vault, so no choice was offered.
  const browser = await harness(h.home);
  await browser.controller.settled();
  assert.equal((await browser.ask({ kind: 'getState' })).canRememberPassword, false);
  await browser.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  assert.equal(browser.controller.status().state, 'running');
  assert.match(readFileSync(h.yml, 'utf8'), /unlock_automatically: true/, 'not turned off by a host that could not keep it');
  await browser.controller.stop();

  const desktop = await harness(h.home, { vault });
  await desktop.controller.settled();
  assert.equal(desktop.controller.status().state, 'running', 'the desktop app still unlocks by itself');
  await desktop.controller.stop();
});

test('a legacy user.root_secret is honoured, with a warning (defect 5)', async () => {
  const acct = await accountHome();
  const home = copyHome(acct.home);
  const yml = `${home}/hypergolix.yml`;
  writeFileSync(yml, readFileSync(yml, 'utf8').replace(/root_secret: null/, `root_secret: ${acct.rootSecret}`), { mode: 0o600 });
  const h = await harness(home);
  await h.controller.settled();
  const status = h.controller.status();
  assert.equal(status.state, 'running');
  assert.ok(status.warnings.some((w) => w.code === 'root-secret'), JSON.stringify(status.warnings));
});

test('the embedded server starts and stops with the setting, and comes back after a port change', async () => {
  const h = await unlocked({ startServer: undefined });
  const settings = await h.ask({ kind: 'getSettings' });
  assert.equal(settings.server.enabled, false);
  const port = await freePort();
  const on = structuredClone(settings);
  on.server = { enabled: true, host: 'localhost', port };
  assert.deepEqual(await h.ask({ kind: 'saveSettings', settings: on }), { restarted: true });
  assert.equal(await portOpen(port), true, 'the server answers /healthz');
  assert.match(readFileSync(h.yml, 'utf8'), /embedded_server: true/);

  const port2 = await freePort();
  const moved = structuredClone(on);
  moved.server.port = port2;
  await h.ask({ kind: 'saveSettings', settings: moved });
  assert.equal(await portOpen(port2), true);
  assert.equal(await portOpen(port), false, 'the old port is released');

  const res = await h.controller.setEmbeddedServer(false);
  assert.equal(res.ok, true);
  assert.equal(await portOpen(port2), false);
  assert.ok(h.events.some((e) => e.kind === 'configChanged' && !e.settings.server.enabled), 'the window hears of the tray switch');

  // A port that is taken: saved, reported as a failed restart and a status warning; the daemon stays up.
  const squatter = await startServer((await loadConfig({ root: h.yml })).config, {});
  const busy = structuredClone(moved);
  busy.server.port = squatter.address.port;
  const failed = await h.askRaw({ kind: 'saveSettings', settings: busy });
  assert.equal(!failed.ok && failed.error.code, ERROR_CODES.restartFailed);
  assert.ok(h.controller.status().warnings.some((w) => w.code === 'embedded-server'));
  assert.equal(h.controller.status().state, 'running');
  await squatter.close();
  await h.controller.stop();
  assert.equal(await portOpen(squatter.address.port), false);
});

test('the embedded server on a ghidcache another process holds: the save says why, status warns with the holder and the key, the daemon runs on', async (t) => {
  const h = await unlocked({ startServer: undefined });
  const ghidcache = (await loadConfig({ root: h.yml })).config.server.ghidcache;
  const other = await lockHolder(ghidcache, { role: 'server', configKey: 'server.ghidcache' });
  t.after(() => other.child.kill('SIGKILL'));
  assert.equal(other.line, 'open');
  const on = structuredClone(await h.ask({ kind: 'getSettings' }));
  on.server = { enabled: true, host: 'localhost', port: await freePort() };
  const failed = await h.askRaw({ kind: 'saveSettings', settings: on });
  assert.equal(!failed.ok && failed.error.code, ERROR_CODES.restartFailed);
  const warning = h.controller.status().warnings.find((w) => w.code === 'embedded-server');
  assert.ok(warning, JSON.stringify(h.controller.status().warnings));
  assert.ok(warning.message.includes(`already in use by the server (pid ${other.child.pid})`), warning.message);
  assert.match(warning.message, /set server\.ghidcache to another directory/);
  assert.equal(h.controller.status().state, 'running');
  await h.controller.stop();
});

test('status warns while legacy IPC clients are allowed, and stops warning when they are not', async () => {
  const h = await unlocked();
  const s = await h.ask({ kind: 'getSettings' });
  s.process.ipc_legacy_clients = true;
  await h.ask({ kind: 'saveSettings', settings: s });
  assert.ok((await h.ask({ kind: 'status' })).warnings.some((w) => w.code === 'ipc-legacy-clients'));
  s.process.ipc_legacy_clients = false;
  await h.ask({ kind: 'saveSettings', settings: s });
  assert.equal((await h.ask({ kind: 'status' })).warnings.some((w) => w.code === 'ipc-legacy-clients'), false);
  await h.controller.stop();
  assert.equal(h.controller.status().state, 'locked', 'stopped: the keys are gone from memory');
  assert.equal(h.controller.status().objectsCached, 0);
});

test('apps connect over IPC while unlocked; status counts them; lock closes the port', async () => {
  const acct = await accountHome();
  const home = copyHome(acct.home);
  const yml = `${home}/hypergolix.yml`;
  const port = await freePort();
  writeFileSync(yml, readFileSync(yml, 'utf8').replace(/ipc_port: 7772/, `ipc_port: ${port}`));
  const h = await harness(home, { ipc: true });
  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  const { HGXLink } = await import('../../packages/hgx/src/index.js');
  const { ipcTokenPath } = await import('../../src/core/ipc/token.js');
  const link = await HGXLink.connect({ port, tokenFile: ipcTokenPath(home), reconnect: false, timeoutMs: 5000 });
  try {
    await until(() => h.controller.status().connectedApps === 1, 'the app to be counted');
  } finally {
    await link.close();
  }
  await until(() => h.controller.status().connectedApps === 0, 'the app to be gone');
  await h.ask({ kind: 'lock' });
  await assert.rejects(HGXLink.connect({ port, tokenFile: ipcTokenPath(home), reconnect: false, timeoutMs: 300 }), 'no IPC while locked');
});
