// EmbeddedServerSwitch (src/host/embedded-server.ts) on its own and as a settings save drives it
// (planRestart / applyConfig): start, stop, restart, idempotence, a start that fails and what
// `config` and `problem` say afterwards, a retry after the cause is gone, a stop during a start,
// a host where no server can run, and the damaged objects a real one holds. The server is a
// fake factory that records what it was asked to do (and can refuse a port, or hold a start
// open), except where a real server gives the real words (a taken port, a damaged store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig, updateConfig, type HypergolixConfig, type LoadedConfig } from '../../src/core/config/index.js';
import { HostFailure } from '../../src/common/contract.js';
import { DoesNotExist } from '../../src/core/golix/index.js';
import { createMemoryLogger, type MemoryLogger } from '../../src/core/log/index.js';
import { RemoteClient } from '../../src/core/remote/client.js';
import type { AccountSession } from '../../src/host/account-session.js';
import { EmbeddedServerSwitch } from '../../src/host/embedded-server.js';
import { applyConfig, type RestartParts } from '../../src/host/restart.js';
import { planRestart } from '../../src/host/restart-plan.js';
import { persistenceServer, type ServerFactory } from '../../src/host/server-runner.js';
import { StatusFeed, statusOf } from '../../src/host/status.js';
import { freePort } from '../fixtures/free-port.js';
import { v16Objects } from '../fixtures/vectors.js';
import { accepts, tempHome } from './helpers.js';

/** A fresh home's config (no account) with the server's port and the embedded switch set. */
async function home(port: number, embedded = true): Promise<LoadedConfig> {
  const dir = tempHome('hgx-embedded-');
  const loaded = await loadConfig({ env: { HYPERGOLIX_HOME: dir }, cwd: dir, homedir: dir, create: true });
  return updateConfig(loaded, { server: { port }, desktop: { embedded_server: embedded } });
}

/** The same file saved again from the settings window with a change the server does not read. */
const savedAgain = async (loaded: LoadedConfig, startAtLogin = true): Promise<LoadedConfig> => updateConfig(loaded, { desktop: { start_at_login: startAtLogin } });

interface FakeServers {
  factory: ServerFactory;
  /** What was asked, in order: `start 7770`, `stop 7770`. */
  order: string[];
  /** Ports it refuses, as a port someone else holds. */
  taken: Set<number>;
  /** Servers started and not closed. */
  running: () => number;
  /** Set: the next start waits for it (a start in progress). */
  gate: Promise<void> | null;
}

function fakeServers(): FakeServers {
  let open = 0;
  const f: FakeServers = {
    order: [],
    taken: new Set(),
    running: () => open,
    gate: null,
    factory: async (config) => {
      const port = config.server.port;
      f.order.push(`start ${port}`);
      if (f.gate) await f.gate;
      if (f.taken.has(port)) throw new Error(`port ${port} is already in use`);
      open++;
      return {
        url: `hgx://127.0.0.1:${port}`,
        address: { host: '127.0.0.1', port },
        close: async () => {
          open--;
          f.order.push(`stop ${port}`);
        },
      };
    },
  };
  return f;
}

function embedded(start: ServerFactory | null): { sw: EmbeddedServerSwitch; log: MemoryLogger } {
  const log = createMemoryLogger({ name: 'host', verbosity: 'debug' });
  return { sw: new EmbeddedServerSwitch({ start, log }), log };
}

/** The status warning the UI shows for the embedded server, if any. */
const serverWarning = (sw: EmbeddedServerSwitch) =>
  statusOf('running', null, { app: null, config: null, configWarnings: [], serverProblem: sw.problem }, new Map()).warnings.find((w) => w.code === 'embedded-server')?.message ?? null;

/**
 * What restart.ts needs around the switch when no account is unlocked (state 'no-account', a file
 * naming none): the daemon part of the plan is then always "nothing", so only the server moves.
 */
function parts(sw: EmbeddedServerSwitch, log: MemoryLogger): { parts: RestartParts; feed: StatusFeed; statuses: () => number } {
  const feed = new StatusFeed(log, () => ({ app: null, config: null, configWarnings: [], serverProblem: sw.problem }));
  let statuses = 0;
  feed.subscribe((ev) => void (ev.kind === 'status' && statuses++));
  feed.setStateQuietly('no-account');
  const session = { app: null, rootSecret: null, secretAccount: null } as unknown as AccountSession;
  return { parts: { session, server: sw, status: feed, notice: () => {}, log, now: Date.now }, feed, statuses: () => statuses };
}

const planFor = (sw: EmbeddedServerSwitch, next: HypergolixConfig) =>
  planRestart({ state: 'no-account', daemon: null, secretKept: false, secretFor: null, serverConfig: sw.config, serverAvailable: sw.available }, next).server;

// ───────────────────────────── start, stop, restart ─────────────────────────────

test('start runs the server from the config, remembers that config, logs where it runs, and calls `changed`', async () => {
  const fake = fakeServers();
  const { sw, log } = embedded(fake.factory);
  const { config } = await home(7801);
  assert.equal(sw.available, true);
  assert.equal(sw.config, null, 'off before any start');
  let changed = 0;
  await sw.start(config, () => changed++);
  assert.deepEqual(fake.order, ['start 7801']);
  assert.equal(fake.running(), 1);
  assert.equal(sw.config, config);
  assert.equal(sw.problem, null);
  assert.equal(serverWarning(sw), null);
  assert.equal(changed, 1);
  assert.ok(log.lines.some((l) => /Embedded persistence server running at hgx:\/\/127\.0\.0\.1:7801/.test(l)), log.lines.join('\n'));

  await sw.stop();
  assert.deepEqual(fake.order, ['start 7801', 'stop 7801']);
  assert.equal(fake.running(), 0);
  assert.equal(sw.config, null);
  assert.ok(log.lines.some((l) => /Embedded persistence server stopped/.test(l)));
});

test('a restart (stop, then start with the new config) moves the server to the new port; a save driving it does the same', async () => {
  const fake = fakeServers();
  const { sw, log } = embedded(fake.factory);
  const first = await home(7802);
  await sw.start(first.config, () => {});
  const moved = await updateConfig(first, { server: { port: 7803 } });
  assert.equal(planFor(sw, moved.config), 'restart');
  const p = parts(sw, log);
  assert.equal(await applyConfig(moved.config, false, p.parts), true);
  assert.deepEqual(fake.order, ['start 7802', 'stop 7802', 'start 7803']);
  assert.equal(fake.running(), 1);
  assert.equal(sw.config?.server.port, 7803);
  assert.equal(sw.problem, null);

  // Switched off in Settings: stopped, and `config` says it is off.
  const off = await updateConfig(moved, { desktop: { embedded_server: false } });
  assert.equal(planFor(sw, off.config), 'stop');
  assert.equal(await applyConfig(off.config, false, p.parts), true);
  assert.deepEqual(fake.order.slice(3), ['stop 7803']);
  assert.equal(fake.running(), 0);
  assert.equal(sw.config, null);
  assert.equal(planFor(sw, off.config), 'none', 'off and staying off: nothing to do');
});

test('stop is idempotent: stopping a switch that never started, or twice, closes nothing and throws nothing', async () => {
  const fake = fakeServers();
  const { sw } = embedded(fake.factory);
  await sw.stop();
  assert.deepEqual(fake.order, []);
  await sw.start((await home(7804)).config, () => {});
  await Promise.all([sw.stop(), sw.stop()]);
  await sw.stop();
  assert.deepEqual(fake.order, ['start 7804', 'stop 7804'], 'closed exactly once');
  assert.equal(sw.config, null);
  assert.equal(sw.problem, null);
});

test('a server that does not close cleanly still counts as stopped: a warning in the log, `config` off', async () => {
  const { sw, log } = embedded(async () => ({ close: async () => Promise.reject(new Error('the store would not flush')) }));
  await sw.start((await home(7805)).config, () => {});
  await sw.stop();
  assert.equal(sw.config, null);
  assert.equal(sw.problem, null);
  assert.ok(log.lines.some((l) => /did not stop cleanly: the store would not flush/.test(l)), log.lines.join('\n'));
});

test('a save with the same server settings while it runs plans nothing, and starts no second server', async () => {
  const fake = fakeServers();
  const { sw, log } = embedded(fake.factory);
  const loaded = await home(7806);
  await sw.start(loaded.config, () => {});
  const again = await savedAgain(loaded);
  assert.equal(planFor(sw, again.config), 'none');
  assert.equal(await applyConfig(again.config, true, parts(sw, log).parts), false);
  assert.deepEqual(fake.order, ['start 7806']);
  assert.equal(fake.running(), 1);
  assert.equal(sw.problem, null);
});

// BUG (lower severity: restart.ts and the controller never call start on a running switch, but the
// method's contract allows it): start() on a running switch goes to ServerRunner.start, which
// rejects "This service is already running; stop it first"; the switch then sets `problem` to
// "The embedded persistence server did not start: …" and throws — while the server IS running,
// so the status shows a false "did not start" warning until the next stop.
test('start while running with the same config is a no-op: no second server, no error, no "did not start" warning', async () => {
  const fake = fakeServers();
  const { sw } = embedded(fake.factory);
  const { config } = await home(7807);
  await sw.start(config, () => {});
  const again = await sw.start(config, () => {}).then(
    () => null,
    (e: unknown) => e,
  );
  assert.equal(fake.running(), 1, 'still exactly one server');
  assert.deepEqual(fake.order, ['start 7807'], 'the factory is not asked again');
  assert.equal(sw.config, config);
  assert.equal(serverWarning(sw), null, `a running server is shown as not started: ${sw.problem}`);
  assert.equal(again, null, `start on a running server threw: ${String(again)}`);
  await sw.stop();
});

// ───────────────────────────── a start that fails ─────────────────────────────

test('a start on a taken port: thrown, `problem` says why (and shows as a status warning), `config` keeps what it tried; a stop clears both', async () => {
  const fake = fakeServers();
  fake.taken.add(7808);
  const { sw, log } = embedded(fake.factory);
  const { config } = await home(7808);
  let changed = 0;
  await assert.rejects(sw.start(config, () => changed++), /port 7808 is already in use/);
  assert.equal(changed, 1, '`changed` runs on a failure too');
  assert.equal(fake.running(), 0);
  assert.equal(sw.problem, 'The embedded persistence server did not start: port 7808 is already in use');
  assert.equal(serverWarning(sw), sw.problem);
  assert.equal(sw.config, config, 'the config it tried with (as the doc comment says)');
  assert.ok(log.lines.some((l) => l.includes(sw.problem!)), 'the reason is in the host log');

  await sw.stop();
  assert.equal(sw.problem, null);
  assert.equal(sw.config, null);
  assert.deepEqual(fake.order, ['start 7808'], 'nothing to close');

  // A later start that works clears the problem.
  fake.taken.clear();
  await sw.start(config, () => {});
  assert.equal(sw.problem, null);
  assert.equal(fake.running(), 1);
  await sw.stop();
});

test('a real server on a port someone holds: `problem` names the port in use', async (t) => {
  const squatter = createServer();
  await new Promise<void>((ok) => squatter.listen(0, '127.0.0.1', ok));
  t.after(() => squatter.close());
  const port = (squatter.address() as { port: number }).port;
  const { sw } = embedded(persistenceServer);
  t.after(() => sw.stop());
  await assert.rejects(sw.start((await home(port)).config, () => {}));
  assert.match(sw.problem ?? '', /^The embedded persistence server did not start: .*in use/);
  assert.equal(sw.config?.server.port, port);
});

// BUG (the suspicion, confirmed): after a start that failed, `config` keeps the failed config
// (embedded-server.ts start(): `this.startedWith = config` before the start, never undone in the
// catch). planRestart's serverStep (restart-plan.ts) compares the next config with it only by
// serverChanged, so a save with the SAME server settings — the user freed the port and saved
// again — plans 'none': applyConfig returns false, nothing is started, and the status keeps
// "did not start" until the app restarts or the user changes a server setting back and forth.
test('a failed start is not retried by a save of the same settings (the file watcher sees every save); switched off and on, it starts', async () => {
  const fake = fakeServers();
  const { sw, log } = embedded(fake.factory);
  const p = parts(sw, log);
  const off = await home(7809, false);
  fake.taken.add(7809);
  // Switched on in Settings while something else holds the port.
  const on = await updateConfig(off, { desktop: { embedded_server: true } });
  assert.equal(planFor(sw, on.config), 'start');
  await assert.rejects(applyConfig(on.config, true, p.parts), /port 7809 is already in use/);
  assert.match(sw.problem ?? '', /did not start: port 7809 is already in use/);

  // The port freed, the same settings saved again: nothing retried, the warning stays.
  fake.taken.clear();
  const again = await savedAgain(on);
  assert.equal(planFor(sw, again.config), 'none');
  assert.equal(await applyConfig(again.config, true, p.parts), false);
  assert.match(sw.problem ?? '', /already in use/);
  // Switched off and on again (Settings or the tray): it starts.
  const offAgain = await updateConfig(again, { desktop: { embedded_server: false } });
  await applyConfig(offAgain.config, true, p.parts);
  assert.equal(sw.problem, null, 'switched off: no warning');
  const onAgain = await updateConfig(offAgain, { desktop: { embedded_server: true } });
  assert.equal(await applyConfig(onAgain.config, true, p.parts), true);
  assert.deepEqual({ running: fake.running(), problem: sw.problem }, { running: 1, problem: null });
  await sw.stop();
});

test('a real server: a port held at launch, freed, then the server switched off and on comes up', async (t) => {
  const squatter = createServer();
  const port = await freePort();
  await new Promise<void>((ok) => squatter.listen(port, '127.0.0.1', ok));
  const { sw, log } = embedded(persistenceServer);
  t.after(() => sw.stop());
  const loaded = await home(port);
  // The desktop's start-up (controller.ts bootstrap) starts it from the file.
  await assert.rejects(sw.start(loaded.config, () => {}));
  await new Promise<void>((ok) => squatter.close(() => ok()));
  const p = parts(sw, log).parts;
  const off = await updateConfig(loaded, { desktop: { embedded_server: false } });
  await applyConfig(off.config, true, p);
  await applyConfig((await updateConfig(off, { desktop: { embedded_server: true } })).config, true, p);
  assert.equal(await accepts(port), true, `nothing listens on ${port}; problem: ${sw.problem}`);
  assert.equal(sw.problem, null);
});

// ───────────────────────────── a stop during a start ─────────────────────────────

// BUG: stop() looks only at ServerRunner.server, which is null while a start is in progress
// (Lease.current), so a stop during a start returns at once without waiting for, or undoing, the
// start (embedded-server.ts stop(): `if (!running) return;` — ServerRunner.stop/Lease.stop would
// have waited and closed it). The start then completes: a server runs that nothing knows of
// (`config` null), a later "switch it off" plans 'none' and leaves it running; a later "switch it
// on" plans 'start' and fails with "already running". At quit (controller shutdown) it is left
// listening, its store not flushed.
test('a stop while a start is in progress waits for the start and closes the server it made', async () => {
  const fake = fakeServers();
  let open!: () => void;
  fake.gate = new Promise<void>((r) => (open = r));
  const { sw } = embedded(fake.factory);
  const { config } = await home(7810);
  const starting = sw.start(config, () => {});
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(fake.order, ['start 7810'], 'the start is under way');
  let stopped = false;
  const stopping = sw.stop().then(() => void (stopped = true));
  await new Promise((r) => setImmediate(r));
  const stoppedBeforeStartEnded = stopped;
  fake.gate = null;
  open();
  await starting.catch(() => {});
  await stopping;
  const after = { running: fake.running(), config: sw.config, problem: sw.problem, order: [...fake.order] };
  // Clean up whatever the switch lost track of, so the test process ends.
  if (fake.running() > 0) await (sw as unknown as { runner: { stop(): Promise<void> } }).runner.stop();
  assert.deepEqual(after, { running: 0, config: null, problem: null, order: ['start 7810', 'stop 7810'] }, 'no server is left running after the stop');
  assert.equal(stoppedBeforeStartEnded, false, 'the stop waited for the start to end');
});

// ───────────────────────────── no server here ─────────────────────────────

test('where no server can run (`available` false): start is a no-op, `config` stays off, no problem; a save plans nothing', async () => {
  const { sw, log } = embedded(null);
  assert.equal(sw.available, false);
  const loaded = await home(7811);
  await sw.start(loaded.config, () => {});
  assert.equal(sw.config, null, 'nothing started, so nothing to restart later');
  assert.equal(sw.problem, null, 'not a warning: the server is not expected to run here');
  await sw.stop();
  assert.equal(planFor(sw, loaded.config), 'none', 'switched on in the file, but this host runs none');
  assert.equal(await applyConfig((await savedAgain(loaded)).config, true, parts(sw, log).parts), false);
  assert.equal(sw.config, null);
});

test("the real embedded server tells the objects its store holds damaged (found by a read here), and the Status page shows them as a standing warning", async (t) => {
  const { sw } = embedded(persistenceServer);
  const loaded = await home(await freePort());
  const { config } = loaded;
  t.after(() => sw.stop());
  const v16 = v16Objects();
  const container = v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === 0)!;
  const frame = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 0)!;
  const client = async () => {
    const c = new RemoteClient({ host: '127.0.0.1', port: config.server.port });
    c.start();
    await c.whenConnected(5000);
    return c;
  };
  await sw.start(config, () => {});
  const first = await client();
  for (const o of [...v16.filter((x) => x.obj.type === 'GIDC'), frame, container]) await first.publish(o.raw);
  await first.close();
  await sw.stop();
  const file = join(config.server.ghidcache, `${container.obj.ghid.text}.ghid`);
  writeFileSync(file, readFileSync(file).subarray(0, 100));

  await sw.start(config, () => {});
  assert.equal(sw.damaged, 0, 'nothing known before anything is read (the check of the store comes 10 minutes after a start)');
  const reader = await client();
  await assert.rejects(reader.get(container.obj.ghid), DoesNotExist);
  await reader.close();
  assert.equal(sw.damaged, 1);
  const warnings = statusOf('running', null, { app: null, config: null, configWarnings: [], serverProblem: sw.problem, serverDamaged: sw.damaged }, new Map()).warnings;
  assert.deepEqual(warnings.map((w) => w.code), ['embedded-server-damaged']);

  // The Status page's "Check now" for this computer's server: the whole store read, what it found.
  assert.deepEqual(sw.store, { running: null, last: null, damagedNow: 1 }, 'not checked yet since it started');
  const before = Date.now();
  const checked = await sw.checkStore();
  assert.equal(checked.running, null);
  assert.deepEqual({ checked: checked.last?.checked, damaged: checked.last?.damaged, damagedNow: checked.damagedNow }, { checked: 5, damaged: 1, damagedNow: 1 });
  assert.ok(checked.last!.finishedAt >= before);
  const status = statusOf('running', null, { app: null, config: null, configWarnings: [], serverProblem: null, serverDamaged: sw.damaged, serverStore: sw.store }, new Map());
  assert.deepEqual(status.serverStore, checked, 'the status carries it');
  await sw.stop();
  assert.equal(sw.damaged, 0, 'off: nothing to tell');
  assert.equal(sw.store, undefined);
  await assert.rejects(sw.checkStore(), (e: unknown) => e instanceof HostFailure && e.code === 'invalid-state' && /This computer runs no server: turn it on in Settings/.test(e.message));
});

test('a check that cannot be done (another node of its database checks it now) is refused in words, as unavailable', async () => {
  const busy: ServerFactory = async () => ({
    url: 'ws://127.0.0.1:1/',
    storeCheck: { state: { pid: 1, running: null, last: null, lastFailure: null }, applies: true, run: async () => Promise.reject(new Error('another server node is checking this database now')) },
    close: async () => {},
  });
  const { sw } = embedded(busy);
  const loaded = await home(await freePort());
  await sw.start(loaded.config, () => {});
  await assert.rejects(sw.checkStore(), (e: unknown) => e instanceof HostFailure && e.code === 'unavailable' && e.message === 'The store could not be checked: another server node is checking this database now');
  await sw.stop();
});

test('a server whose store cannot be checked: no store check shown, and Check now is refused in words', async () => {
  const unchecked: ServerFactory = async () => ({ url: 'ws://127.0.0.1:1/', storeCheck: { state: { pid: 1, running: null, last: null, lastFailure: null }, applies: false, run: async () => ({ checked: 0, damaged: 0 }) }, close: async () => {} });
  const { sw } = embedded(unchecked);
  const loaded = await home(await freePort());
  await sw.start(loaded.config, () => {});
  assert.equal(sw.store, undefined);
  await assert.rejects(sw.checkStore(), (e: unknown) => e instanceof HostFailure && /keeps its objects in a store that cannot be checked/.test(e.message));
  await sw.stop();
});
