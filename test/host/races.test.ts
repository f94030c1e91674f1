// Adversarial cases of the controller and the account session: requests racing each other, a
// stop during start-up, the disk refusing a write in the middle. Real config files and real
// daemons (cheap KDF, reference identities: no key generation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostEvent, RemoteAccountStatus } from '../../src/common/contract.js';
import { PreparedIdentity } from '../../src/core/account/prepared-identity.js';
import { loadConfig, type LoadedConfig } from '../../src/core/config/index.js';
import { createMemoryLogger } from '../../src/core/log/index.js';
import { silentLogger } from '../../src/core/remote/logger.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../src/core/store/memory-store.js';
import { AccountSession } from '../../src/host/account-session.js';
import type { StartedApp } from '../../src/host/daemon-runner.js';
import { RemoteAccounts } from '../../src/host/remote-accounts.js';
import { ConfigFollower } from '../../src/host/config-follower.js';
import { Controller } from '../../src/host/controller.js';
import { DaemonRunner, type DaemonStart } from '../../src/host/daemon-runner.js';
import { StatusFeed } from '../../src/host/status.js';
import { UnlockAutomatically } from '../../src/host/vault.js';
import { accountHome, TEST_KDF } from '../fixtures/account/home.js';
import { v16Identity } from '../fixtures/vectors.js';
import { MemoryVault, PASSWORD, copyHome, harness, tempHome } from './helpers.js';

let template: Promise<string> | null = null;
/** One account (reference identity 2), made once; tests work on copies of its home. */
function lockedHome(): Promise<string> {
  template ??= accountHome(tempHome(), PASSWORD, { index: 2 }).then((a) => a.home);
  return template;
}

test("the tray's switch pressed while the window's save runs: both changes are kept (the switch does not undo the save)", async () => {
  const h = await harness(copyHome(await lockedHome()));
  await h.controller.settled();
  await h.ask({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  const s = await h.ask({ kind: 'getSettings' });
  const next = structuredClone(s);
  next.instrumentation.verbosity = 'debug';
  // The window's save restarts the daemon; the switch is pressed meanwhile.
  const saved = h.ask({ kind: 'saveSettings', settings: next });
  const switched = h.controller.setStartAtLogin(!s.desktop.start_at_login);
  assert.deepEqual(await saved, { restarted: true });
  const res = await switched;
  assert.equal(res.ok, true, JSON.stringify(res));
  const onDisk = (await loadConfig({ root: h.yml })).config;
  assert.equal(onDisk.instrumentation.verbosity, 'debug', "the window's save is still in the file");
  assert.equal(onDisk.desktop.start_at_login, !s.desktop.start_at_login, "and so is the switch's");
  assert.equal(h.controller.settings()?.instrumentation.verbosity, 'debug');
  const last = h.events.filter((e): e is Extract<HostEvent, { kind: 'configChanged' }> => e.kind === 'configChanged').at(-1);
  assert.equal(last?.settings.instrumentation.verbosity, 'debug', 'the window is told the settings as they are now');
  assert.equal(h.controller.status().state, 'running');
  await h.controller.stop();
});

test('Quit while hypergolix.yml is still being read at start: nothing starts afterwards (no keys made, no state change, no polling)', async () => {
  const home = tempHome();
  let generated = 0;
  const keys = new PreparedIdentity({ generate: async () => (generated++, v16Identity(1)) });
  const c = new Controller({
    configOptions: { env: { HYPERGOLIX_HOME: home }, cwd: home, homedir: home },
    logger: createMemoryLogger({ name: 'host' }),
    startServer: null,
    ipc: false,
    keys,
    statusIntervalMs: 20,
  });
  const events: HostEvent[] = [];
  c.subscribe((e) => events.push(e));
  const started = c.start();
  const stopped = c.stop();
  await Promise.all([started, stopped]);
  await c.settled();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(generated, 0, 'no RSA keys are started for a wizard that will never show');
  assert.deepEqual(events, [], 'nothing is announced after the stop');
  assert.equal((c as unknown as { feed: { timer: unknown } }).feed.timer, null, 'no status timer left behind');
});

/** The real runner; a start can be made to fail at its gate after running `atGate`. */
class GatedRunner extends DaemonRunner {
  atGate: (() => void) | null = null;
  constructor() {
    super({ pidFile: true, logger: silentLogger as never, kdf: TEST_KDF, ipc: false, remoteWaitMs: 3000 });
  }
  override start(loaded: LoadedConfig, how: DaemonStart) {
    return super.start(loaded, {
      ...how,
      beforeStart: async (log) => {
        await how.beforeStart?.(log);
        if (this.atGate) {
          this.atGate();
          throw new Error('the daemon could not start');
        }
      },
    });
  }
}

test('sign in that fails while hypergolix.yml can no longer be written back: the failure is reported and the state leaves "unlocking"', async (t) => {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1', logger: silentLogger });
  const { port } = await server.listen();
  t.after(() => server.close());
  const remote = await accountHome(tempHome(), PASSWORD, { index: 1, remotes: [port] });

  const home = tempHome();
  const yml = join(home, 'hypergolix.yml');
  const log = createMemoryLogger({ name: 'host', verbosity: 'debug' });
  const runner = new GatedRunner();
  const status = new StatusFeed(log, () => ({ app: runner.app, config: null, configWarnings: [], serverProblem: null }));
  const follower = new ConfigFollower({ location: { root: yml }, log, status, debounceMs: 50, onEdited: () => {} });
  assert.ok('loaded' in (await follower.open()));
  status.setState('no-account');
  const session = new AccountSession({ log, config: follower, status, notice: () => {}, unlockAutomatically: new UnlockAutomatically(undefined, follower, log), runner, keys: new PreparedIdentity({ ahead: false }) });
  t.after(async () => {
    await session.end();
    follower.close();
    status.close();
  });
  // The file is replaced by a directory while the daemon starts: it cannot be put back.
  runner.atGate = () => {
    rmSync(yml);
    mkdirSync(yml);
  };
  const err = await session.signIn(remote.userId, `127.0.0.1:${port}`, PASSWORD).then(
    () => assert.fail('the sign-in cannot succeed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error);
  assert.match(err.message, /the daemon could not start/, "the sign-in's own failure is what the caller hears");
  assert.notEqual(status.state, 'unlocking', 'the UI is not left at "unlocking"');
  assert.equal(status.state, 'locked', 'the IDs stayed in the config in use: its password can open it');
  assert.match(status.message ?? '', /could not be put back/);
  assert.equal(runner.app, null);
});

/** A daemon as RemoteAccounts sees it: its account, and each remote's answer about it. */
function fakeApp(userId: string, answer: () => Promise<RemoteAccountStatus | null>): StartedApp {
  return {
    daemon: { userId: { text: userId }, remoteAccounts: async () => [{ remote: 'a.example:7770', account: await answer(), error: null }] },
  } as unknown as StartedApp;
}

test("another account unlocked: the last one's standing on the remotes is not shown as its own, and an answer still under way for it is dropped", async () => {
  const now = 1_000;
  const accounts = new RemoteAccounts(() => {}, () => now, 30_000);
  const revoked: RemoteAccountStatus = { status: 'revoked', usedBytes: 900, freeBytes: 0 };
  await accounts.refresh(fakeApp('account-a', async () => revoked));
  assert.deepEqual(accounts.of('a.example:7770'), revoked);

  // Locked, then account B unlocked within everyMs: A's standing goes at once, and B's is asked.
  let askedB = 0;
  let releaseB!: () => void;
  const heldB = new Promise<void>((r) => (releaseB = r));
  const b = fakeApp('account-b', async () => (askedB++, await heldB, { status: 'registered', usedBytes: 1, freeBytes: 0 }));
  const refreshingB = accounts.refresh(b);
  assert.equal(accounts.of('a.example:7770'), undefined, "A's standing is not shown for B");
  await new Promise((r) => setImmediate(r));
  assert.equal(askedB, 1, 'B is asked at once, not after everyMs');

  // A unlocked again while B's answer is under way: B's answer must not land as A's.
  let releaseA!: () => void;
  const heldA = new Promise<void>((r) => (releaseA = r));
  const refreshingA = accounts.refresh(fakeApp('account-a', async () => (await heldA, revoked)));
  releaseB();
  await refreshingB;
  assert.equal(accounts.of('a.example:7770'), undefined, "B's late answer is dropped");
  releaseA();
  await refreshingA;
  assert.deepEqual(accounts.of('a.example:7770'), revoked);
});

test('"unlock automatically" chosen while hypergolix.yml cannot be written: the secret does not stay behind in the vault', async () => {
  const vault = new MemoryVault();
  const log = createMemoryLogger({ name: 'host' });
  const follower = { current: null, setUnlockAutomatically: async () => Promise.reject(new Error('EROFS: read-only file system')) } as unknown as ConfigFollower;
  const option = new UnlockAutomatically(vault, follower, log);
  const app = { daemon: { userId: v16Identity(2).ghid, account: { rootSecret: { text: 'a'.repeat(44) } } } } as unknown as StartedApp;
  await assert.rejects(option.choose(true, app), /read-only/, 'the failure is still reported (the session warns with it)');
  assert.equal(vault.secret, null, 'the vault holds no secret the file does not say is in use');
});

test('"unlock automatically" asked for where there is no secure storage (a recovery in browser mode with the option on): refused in words, not a TypeError', async () => {
  const log = createMemoryLogger({ name: 'host' });
  let written = 0;
  const follower = { current: null, setUnlockAutomatically: async () => void written++ } as unknown as ConfigFollower;
  const app = { daemon: { userId: v16Identity(2).ghid, account: { rootSecret: { text: 'a'.repeat(44) } } } } as unknown as StartedApp;
  for (const option of [new UnlockAutomatically(undefined, follower, log), new UnlockAutomatically(new MemoryVault(false), follower, log)]) {
    const err = await option.choose(true, app).then(
      () => assert.fail('there is nowhere to keep the secret'),
      (e: unknown) => e as Error,
    );
    assert.ok(!(err instanceof TypeError), `said in words, not ${String(err)}`);
    assert.match(err.message, /no secure storage/);
  }
  assert.equal(written, 0, 'the file is not told the option is on');
});

test('hypergolix.yml unusable at start, then an unlock is asked anyway: refused, and the error view keeps saying what is wrong with the file', async () => {
  const home = tempHome();
  writeFileSync(join(home, 'hypergolix.yml'), 'process:\n  ipc_port: seventy\n');
  const h = await harness(home);
  assert.equal(h.controller.status().state, 'error');
  const why = h.controller.status().message;
  assert.match(why ?? '', /ipc_port/);
  const res = await h.askRaw({ kind: 'unlock', password: PASSWORD, rememberOnThisComputer: false });
  assert.equal(res.ok, false);
  assert.equal(!res.ok && res.error.code, 'unavailable');
  assert.match(!res.ok ? res.error.message : '', /ipc_port/, 'the refusal says why');
  assert.equal(h.controller.status().state, 'error');
  assert.equal(h.controller.status().message, why, 'the reason is still shown');
  await h.controller.stop();
});
