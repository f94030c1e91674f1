// AccountSession on its own (no Controller, no request queue in front of it): the real config
// follower, status feed and daemon runner (cheap KDF, no IPC), keys from reference identities, and
// one account home made once and copied. A runner subclass can hold a start at its gate or fail it,
// so stops, second requests and faults can land while an unlock or a creation is under way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, HostFailure, type AppState, type HostEvent } from '../../src/common/contract.js';
import { PreparedIdentity } from '../../src/core/account/prepared-identity.js';
import { loadConfig, type LoadedConfig } from '../../src/core/config/index.js';
import { createMemoryLogger, type Logger } from '../../src/core/log/index.js';
import { silentLogger } from '../../src/core/remote/logger.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../src/core/store/memory-store.js';
import { AccountSession } from '../../src/host/account-session.js';
import { ConfigFollower } from '../../src/host/config-follower.js';
import { DaemonRunner, type DaemonStart } from '../../src/host/daemon-runner.js';
import type { Notice } from '../../src/host/notices.js';
import { StatusFeed } from '../../src/host/status.js';
import { UnlockAutomatically, type SecretVault } from '../../src/host/vault.js';
import { accountHome as makeAccountHome, TEST_KDF } from '../fixtures/account/home.js';
import { freePort } from '../fixtures/free-port.js';
import { v16Identity } from '../fixtures/vectors.js';
import { MemoryVault, PASSWORD, copyHome, tempHome, until } from './helpers.js';

const NEW_PASSWORD = 'copper-walrus-tundra-57';

// ── fixtures ──

/** One account (reference identity 2, cheap KDF), made once; tests work on copies of its home. */
let template: Promise<{ home: string; userId: string; fingerprint: string }> | null = null;
function accountTemplate() {
  template ??= makeAccountHome(tempHome(), PASSWORD, { index: 2 });
  return template;
}

/** A remote holding an account (reference identity 1) that a new computer can sign in to; made once. */
let remoteAccount: Promise<{ port: number; userId: string; fingerprint: string }> | null = null;
function signInRemote() {
  remoteAccount ??= (async () => {
    const { engine } = await RulesEngine.open(new MemoryStore());
    const server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1', logger: silentLogger });
    const { port } = await server.listen();
    test.after(() => server.close());
    const acct = await makeAccountHome(tempHome(), PASSWORD, { index: 1, remotes: [port] });
    return { port, userId: acct.userId, fingerprint: acct.fingerprint };
  })();
  return remoteAccount;
}

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

/** The real runner, with a gate a start waits at (pid file taken, daemon not yet started) and a fault it can fail with there. */
class TestRunner extends DaemonRunner {
  gate: Promise<void> | null = null;
  fault: Error | null = null;
  /** Set once a start has reached the gate. */
  atGate = false;
  starts = 0;

  constructor(logger: Logger) {
    super({ pidFile: true, logger, kdf: TEST_KDF, ipc: false, remoteWaitMs: 3000 });
  }

  override start(loaded: LoadedConfig, how: DaemonStart) {
    this.starts++;
    const { gate, fault } = this;
    return super.start(loaded, {
      ...how,
      beforeStart: async (log) => {
        await how.beforeStart?.(log);
        this.atGate = true;
        if (gate) await gate;
        if (fault) throw fault;
      },
    });
  }
}

/** Keys from reference identities, counting how many sets were asked for. */
function cheapKeys(index: 0 | 1 = 0) {
  const made: string[] = [];
  const keys = new PreparedIdentity({
    generate: async () => {
      const id = v16Identity(index);
      made.push(id.ghid.text);
      return id;
    },
  });
  return { keys, made };
}

async function sessionOn(home: string, t: { after(fn: () => unknown): void }, o: { keys?: PreparedIdentity; vault?: SecretVault } = {}) {
  const log = createMemoryLogger({ name: 'host', verbosity: 'debug' });
  const runner = new TestRunner(log.child('daemon'));
  let follower: ConfigFollower | null = null;
  const status = new StatusFeed(log, () => ({
    app: runner.app,
    config: runner.app?.loaded.config ?? follower?.current?.config ?? null,
    configWarnings: [],
    serverProblem: null,
  }));
  const events: HostEvent[] = [];
  status.subscribe((e) => events.push(e));
  follower = new ConfigFollower({ location: { root: join(home, 'hypergolix.yml') }, log, status, debounceMs: 50, onEdited: () => {} });
  const opened = await follower.open();
  assert.ok('loaded' in opened, 'the config opens');
  const named = opened.loaded.config.user.user_id !== null;
  status.setState(named ? 'locked' : 'no-account');
  const notices: Notice[] = [];
  const keys = o.keys ?? cheapKeys().keys;
  const session = new AccountSession({
    log,
    config: follower,
    status,
    notice: (n) => notices.push(n),
    unlockAutomatically: new UnlockAutomatically(o.vault, follower, log),
    runner,
    keys,
  });
  if (!named) session.prepareKeys();
  const f = follower;
  t.after(async () => {
    runner.gate = null;
    runner.fault = null;
    await session.end().catch(() => {});
    await runner.stop().catch(() => {});
    f.close();
    status.close();
  });
  const yml = join(home, 'hypergolix.yml');
  return {
    session,
    runner,
    status,
    follower: f,
    events,
    log,
    yml,
    pidFile: opened.loaded.config.process.pid_file,
    /** The states the UI was sent, repeats dropped. */
    states: (): AppState[] => events.flatMap((e) => (e.kind === 'status' ? [e.status.state] : [])).filter((s, i, all) => i === 0 || all[i - 1] !== s),
  };
}

/** The HostFailure `p` rejects with (fails the test if it resolves or rejects with something else). */
async function failure(p: Promise<unknown>): Promise<HostFailure> {
  const err = await p.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HostFailure, `a HostFailure, not ${String(err)}`);
  return err;
}

async function lockedCopy(t: { after(fn: () => unknown): void }, o: { vault?: SecretVault } = {}) {
  const acct = await accountTemplate();
  const s = await sessionOn(copyHome(acct.home), t, o);
  return { ...s, acct };
}

/** Nothing of a daemon is left: no app, no kept secret, the pid file released. */
function nothingRunning(s: { session: AccountSession; runner: DaemonRunner; pidFile: string }, what: string) {
  assert.equal(s.runner.app !== null, false, `${what}: no daemon`);
  assert.equal(s.session.app !== null, false, `${what}: the session shows no daemon`);
  assert.equal(s.session.rootSecret !== null, false, `${what}: no root secret kept in memory`);
  assert.equal(existsSync(s.pidFile), false, `${what}: the pid file is released`);
}

// ── unlock ──

test('unlock: a wrong password is its own error, starts nothing, keeps nothing, and the next try works; lock forgets the secret', async (t) => {
  const s = await lockedCopy(t);
  const before = readFileSync(s.yml);
  assert.deepEqual(s.session.identity(), { userId: s.acct.userId, fingerprint: s.acct.fingerprint }, 'known from the file while locked');

  const wrong = await failure(s.session.unlock('not-the-password-at-all', false));
  assert.equal(wrong.code, ERROR_CODES.wrongPassword);
  assert.match(wrong.message, /Incorrect password/);
  assert.equal(s.status.state, 'locked');
  assert.equal(s.status.message, null, 'the unlock view shows its own words for a wrong password, no banner');
  nothingRunning(s, 'after a wrong password');
  assert.deepEqual(readFileSync(s.yml), before, 'a wrong password touches nothing');

  await s.session.unlock(PASSWORD, false);
  assert.equal(s.status.state, 'running');
  assert.ok(s.session.app, 'the daemon runs');
  assert.ok(existsSync(s.pidFile), 'the pid file is held while it runs');
  assert.ok(s.session.rootSecret, 'the root secret is kept for restarts while unlocked');
  assert.deepEqual(s.states(), ['locked', 'unlocking', 'locked', 'unlocking', 'running']);

  const again = await failure(s.session.unlock(PASSWORD, false));
  assert.equal(again.code, ERROR_CODES.invalidState, 'no second daemon');

  await s.session.lock();
  assert.equal(s.status.state, 'locked');
  nothingRunning(s, 'after lock');
  assert.equal((await failure(s.session.lock())).code, ERROR_CODES.invalidState, 'locking twice is refused');
});

test('unlock while one is in progress: a second unlock and a lock are refused, and the first ends running', async (t) => {
  const s = await lockedCopy(t);
  const gate = deferred();
  s.runner.gate = gate.promise;
  const first = s.session.unlock(PASSWORD, false);
  await until(() => s.runner.atGate, 'the first unlock to reach the daemon start');
  assert.equal(s.status.state, 'unlocking');

  const second = await failure(s.session.unlock(PASSWORD, false));
  assert.equal(second.code, ERROR_CODES.invalidState);
  const lock = await failure(s.session.lock());
  assert.equal(lock.code, ERROR_CODES.invalidState);
  assert.equal(s.status.state, 'unlocking', 'the refusals do not disturb the unlock in progress');

  gate.release();
  await first;
  assert.equal(s.status.state, 'running');
  assert.equal(s.runner.starts, 1, 'one daemon start');
});

test('two unlocks started together: one opens the account, the other is refused as invalid-state, and the UI never sees "locked" in between', async (t) => {
  const s = await lockedCopy(t);
  const results = await Promise.allSettled([s.session.unlock(PASSWORD, false), s.session.unlock(PASSWORD, false)]);
  assert.equal(s.status.state, 'running', 'the account ends unlocked');
  assert.ok(s.session.app);
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(refused.length, 1, 'exactly one of them is refused');
  const err = refused[0]!.reason as HostFailure;
  assert.equal(err.code, ERROR_CODES.invalidState, `the second is told one is in progress, not: ${err.code}: ${err.message} (states: ${s.states().join(' → ')})`);
  assert.deepEqual(s.states(), ['locked', 'unlocking', 'running'], 'no flash of "locked" with an error while the first unlock goes on');
});

test('stop (end) during an unlock: once both are over nothing runs and no secret is kept', async (t) => {
  const s = await lockedCopy(t);
  const gate = deferred();
  s.runner.gate = gate.promise;
  const unlocking = s.session.unlock(PASSWORD, false).then(
    () => 'unlocked',
    (e: unknown) => e,
  );
  await until(() => s.runner.atGate, 'the unlock to reach the daemon start');
  const ending = s.session.end();
  gate.release();
  await ending;
  await unlocking;
  nothingRunning(s, `after a stop during an unlock (state now ${s.status.state})`);
  assert.notEqual(s.status.state, 'running', 'the UI does not show a running account after the stop');
});

test('the daemon fails to start after the right password: its error is reported, the session is locked again with nothing held, and a retry works', async (t) => {
  const s = await lockedCopy(t);
  s.runner.fault = new Error('The ghidcache could not be opened: EIO: i/o error');
  const err = await failure(s.session.unlock(PASSWORD, false));
  assert.equal(err.code, ERROR_CODES.unavailable);
  assert.match(err.message, /EIO: i\/o error/);
  assert.equal(s.status.state, 'locked');
  assert.match(s.status.message ?? '', /Could not unlock: .*EIO/, 'the status says why');
  nothingRunning(s, 'after a failed start');

  s.runner.fault = null;
  await s.session.unlock(PASSWORD, false);
  assert.equal(s.status.state, 'running');
  assert.equal(s.status.message, null, 'the old error is gone');
});

test('"unlock automatically" that cannot be saved: the account still opens, and status warns instead of failing the unlock', async (t) => {
  class BrokenVault extends MemoryVault {
    override async save(): Promise<void> {
      throw new Error('the keyring is locked');
    }
  }
  const s = await lockedCopy(t, { vault: new BrokenVault() });
  await s.session.unlock(PASSWORD, true);
  assert.equal(s.status.state, 'running');
  const warning = s.status.status().warnings.find((w) => w.code === 'unlock-automatically');
  assert.match(warning?.message ?? '', /the keyring is locked/);
  assert.doesNotMatch(readFileSync(s.yml, 'utf8'), /unlock_automatically: true/, 'the file does not claim it is on');

  // Asking for it with no secure storage at all is refused before anything starts.
  const none = await lockedCopy(t);
  const refused = await failure(none.session.unlock(PASSWORD, true));
  assert.equal(refused.code, ERROR_CODES.unavailable);
  assert.equal(none.runner.starts, 0);
  assert.equal(none.status.state, 'locked');
});

test('unlock with no account named, and create with one named, are refused without starting a daemon', async (t) => {
  const fresh = await sessionOn(tempHome(), t);
  fresh.status.setState('locked'); // as if the UI had been told the wrong state
  const none = await failure(fresh.session.unlock(PASSWORD, false));
  assert.equal(none.code, ERROR_CODES.noAccount);
  assert.equal(fresh.runner.starts, 0);

  // The wizard shows, then the file is given an account by hand before "Create".
  const acct = await accountTemplate();
  const home = tempHome();
  const s = await sessionOn(home, t);
  assert.equal(s.status.state, 'no-account');
  writeFileSync(s.yml, readFileSync(join(copyHome(acct.home), 'hypergolix.yml')));
  const before = readFileSync(s.yml);
  const err = await failure(s.session.create(PASSWORD));
  assert.equal(err.code, ERROR_CODES.invalidState);
  assert.match(err.message, /already names an account/);
  assert.equal(s.runner.starts, 0, 'no daemon was started');
  assert.deepEqual(readFileSync(s.yml), before, 'the named account is left alone');
  assert.deepEqual(s.session.identity(), { userId: acct.userId, fingerprint: acct.fingerprint }, 'the session now knows the named account');
});

// ── create ──

test('create: the prepared keys become the account, its IDs are written, progress reaches done, the secret is kept while running', async (t) => {
  const { keys, made } = cheapKeys(0);
  const s = await sessionOn(tempHome(), t, { keys });
  await until(() => made.length === 1, 'the keys to be prepared with the wizard');
  const weak = await failure(s.session.create('short'));
  assert.equal(weak.code, ERROR_CODES.badRequest);
  assert.equal(s.runner.starts, 0);

  const id = await s.session.create(PASSWORD);
  assert.equal(id.fingerprint, v16Identity(0).ghid.text);
  assert.equal(made.length, 1, 'the prepared keys were used, no second set');
  assert.equal(s.status.state, 'running');
  assert.deepEqual(s.states(), ['no-account', 'creating', 'running']);
  const stages = s.events.flatMap((e) => (e.kind === 'accountProgress' ? [e.stage] : []));
  assert.equal(stages.at(-1), 'done');
  const onDisk = await loadConfig({ root: s.yml });
  assert.equal(onDisk.config.user.user_id?.text, id.userId);
  assert.ok(s.session.rootSecret);
  assert.equal((await failure(s.session.create(PASSWORD))).code, ERROR_CODES.invalidState, 'no second account');
});

test('a full disk at creation: a clear error, the wizard again with new keys, no account named in the file, nothing held; a retry works', async (t) => {
  const { keys, made } = cheapKeys(0);
  const s = await sessionOn(tempHome(), t, { keys });
  const before = readFileSync(s.yml);
  s.runner.fault = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const err = await failure(s.session.create(PASSWORD));
  assert.equal(err.code, ERROR_CODES.storageFull);
  assert.match(err.message, /^The account was not created: the disk holding .*ghidcache is full \(.*ENOSPC\)$/);
  assert.equal(s.status.state, 'no-account');
  assert.equal(s.status.message, err.message);
  assert.deepEqual(readFileSync(s.yml), before, 'no half-made account in hypergolix.yml');
  assert.equal((await loadConfig({ root: s.yml })).config.user.user_id, null);
  nothingRunning(s, 'after a failed creation');
  assert.ok(keys.prepared, 'keys are ready for the wizard again (the untaken set, or a fresh one)');
  assert.equal(made.length, 1, 'keys never handed to a daemon are still the ones offered');

  s.runner.fault = null;
  const id = await s.session.create(PASSWORD);
  assert.equal(s.status.state, 'running');
  assert.equal((await loadConfig({ root: s.yml })).config.user.user_id?.text, id.userId);
});

test('two creates started together: one account is made, the other is refused as invalid-state, and the wizard never comes back meanwhile', async (t) => {
  const s = await sessionOn(tempHome(), t);
  const results = await Promise.allSettled([s.session.create(PASSWORD), s.session.create(PASSWORD)]);
  assert.equal(s.status.state, 'running');
  const made = results.filter((r) => r.status === 'fulfilled');
  assert.equal(made.length, 1, 'one account');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const err = refused[0]!.reason as HostFailure;
  assert.equal(err.code, ERROR_CODES.invalidState, `the second is told a creation is in progress, not: ${err.code}: ${err.message} (states: ${s.states().join(' → ')})`);
  assert.deepEqual(s.states(), ['no-account', 'creating', 'running'], 'no "no-account" with an error while the first creation goes on');
});

test('stop (end) during a creation: once both are over nothing runs, no secret is kept, and the file and the state agree', async (t) => {
  const s = await sessionOn(tempHome(), t);
  const gate = deferred();
  s.runner.gate = gate.promise;
  const creating = s.session.create(PASSWORD).then(
    () => 'created',
    (e: unknown) => e,
  );
  await until(() => s.runner.atGate, 'the creation to reach the daemon start');
  assert.equal(s.status.state, 'creating');
  const ending = s.session.end();
  gate.release();
  await ending;
  await creating;
  nothingRunning(s, `after a stop during a creation (state now ${s.status.state})`);
  const named = (await loadConfig({ root: s.yml })).config.user.user_id !== null;
  assert.equal(s.status.state, named ? 'locked' : 'no-account', 'the state matches what the file names');
});

// ── recovery, password change, recovery kit ──

test('password change and recovery: typed errors for wrong and weak passwords, the kept secret follows, the old password stops working', async (t) => {
  const s = await lockedCopy(t);
  assert.equal((await failure(s.session.changePassword(PASSWORD, NEW_PASSWORD))).code, ERROR_CODES.invalidState, 'not while locked');
  assert.equal((await failure(s.session.makeRecoveryKit(PASSWORD))).code, ERROR_CODES.invalidState);

  await s.session.unlock(PASSWORD, false);
  const wrongKit = await failure(s.session.makeRecoveryKit('not-the-password-at-all'));
  assert.equal(wrongKit.code, ERROR_CODES.wrongPassword);
  const kit = await s.session.makeRecoveryKit(PASSWORD);
  assert.ok(kit.page.includes(s.acct.userId), 'the kit page names the user ID');

  const wrong = await failure(s.session.changePassword('not-the-password-at-all', NEW_PASSWORD));
  assert.equal(wrong.code, ERROR_CODES.wrongPassword);
  assert.equal(wrong.message, 'The password is not right.');
  const weak = await failure(s.session.changePassword(PASSWORD, 'short'));
  assert.equal(weak.code, ERROR_CODES.invalidSettings);
  assert.ok(weak.fields?.next, 'the new password field is named');
  assert.equal(s.status.state, 'running', 'refusals leave the account open');

  const secretBefore = s.session.rootSecret!.text;
  await s.session.changePassword(PASSWORD, NEW_PASSWORD);
  assert.notEqual(s.session.rootSecret!.text, secretBefore, 'the kept secret follows the new password');
  await s.session.lock();
  assert.equal((await failure(s.session.unlock(PASSWORD, false))).code, ERROR_CODES.wrongPassword, 'the old password opens nothing');

  // "Forgot your password?": a typo, a weak new password, then the kit's key.
  const typo = await failure(s.session.recover('ABCD-EFGH', PASSWORD));
  assert.equal(typo.code, ERROR_CODES.recoveryKeyTypo);
  const weakNew = await failure(s.session.recover(kit.key, 'short'));
  assert.equal(weakNew.code, ERROR_CODES.invalidSettings);
  assert.ok(weakNew.fields?.password);
  assert.equal(s.status.state, 'locked');
  assert.equal(s.runner.app, null);

  await s.session.recover(kit.key, PASSWORD);
  assert.equal(s.status.state, 'running');
  await s.session.lock();
  assert.equal((await failure(s.session.unlock(NEW_PASSWORD, false))).code, ERROR_CODES.wrongPassword, 'the replaced password opens nothing');
  await s.session.unlock(PASSWORD, false);
  assert.equal(s.status.state, 'running');
});

// ── sign in on a second computer ──

test('sign in: bad input, an unreachable remote, an unknown user ID and a wrong password each have their own error and leave hypergolix.yml as it was; the right one opens the account', async (t) => {
  const remote = await signInRemote();
  const s = await sessionOn(tempHome(), t);
  const before = readFileSync(s.yml);
  const here = `127.0.0.1:${remote.port}`;

  const badId = await failure(s.session.signIn('not-a-user-id', here, PASSWORD));
  assert.equal(badId.code, ERROR_CODES.invalidSettings);
  assert.ok(badId.fields?.userId);
  const badRemote = await failure(s.session.signIn(remote.userId, 'not a remote!', PASSWORD));
  assert.equal(badRemote.code, ERROR_CODES.invalidSettings);
  assert.ok(badRemote.fields?.remote);
  assert.equal(s.runner.starts, 0);

  const dead = await failure(s.session.signIn(remote.userId, `127.0.0.1:${await freePort()}`, PASSWORD));
  assert.equal(dead.code, ERROR_CODES.remoteUnreachable);
  assert.equal(s.status.state, 'no-account');
  assert.match(s.status.message ?? '', /Connection refused/);
  assert.deepEqual(readFileSync(s.yml), before);

  const unknown = await failure(s.session.signIn(v16Identity(0).ghid.text, here, PASSWORD));
  assert.equal(unknown.code, ERROR_CODES.accountNotFound);
  assert.equal(s.status.state, 'no-account');
  assert.deepEqual(readFileSync(s.yml), before);

  const wrong = await failure(s.session.signIn(remote.userId, here, 'not-the-password-at-all'));
  assert.equal(wrong.code, ERROR_CODES.wrongPassword);
  assert.equal(s.status.state, 'no-account');
  assert.equal(s.status.message, null, 'the wizard says "wrong password" in its own words');
  assert.deepEqual(readFileSync(s.yml), before, 'the IDs and the remote were taken out again');
  assert.equal(s.follower.current?.config.user.user_id, null, 'and the session follows the restored file');
  nothingRunning(s, 'after the failed sign-ins');

  const id = await s.session.signIn(` ${remote.userId} `, here, PASSWORD);
  assert.deepEqual(id, { userId: remote.userId, fingerprint: remote.fingerprint });
  assert.equal(s.status.state, 'running');
  const onDisk = (await loadConfig({ root: s.yml })).config;
  assert.equal(onDisk.user.user_id?.text, remote.userId);
  assert.deepEqual(onDisk.remotes.map((r) => `${r.host}:${r.port}`), [here]);
  assert.equal((await failure(s.session.signIn(remote.userId, here, PASSWORD))).code, ERROR_CODES.invalidState, 'not once an account is open');
});
