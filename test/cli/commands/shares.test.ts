// `hypergolix shares` (src/cli/commands/shares.ts) with what test/cli/shares.test.ts does not try:
// no daemon, usage errors and options that go with another action (with their messages), IDs
// that are no waiting share (unknown, empty, overlong, already answered, an accepted object's,
// pasted with spaces), and the daemon's IPC port moved in the config while it runs.
// Real processes where it matters: a persistence server on an ephemeral port in this process,
// user B's app daemon started with `hypergolix start app --foreground` from the sources (a
// reference identity, sharing.accept "ask"), and user A as an in-process daemon sharing objects
// with B. The `shares` commands run through main(argv, io).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, updateConfig } from '../../../src/core/config/index.js';
import { Daemon } from '../../../src/core/daemon/daemon.js';
import { Ghid } from '../../../src/core/golix/index.js';
import { API_ID_JSON } from '../../../src/core/objects/hgxd.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { Sharing, type ShareResult } from '../../../src/core/sharing/sharing.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import type { ContactJson, ShareJson } from '../../../src/wire/people.js';
import { TEST_KDF, accountHome } from '../../fixtures/account/home.js';
import { freePort } from '../../fixtures/free-port.js';
import { startApp, type AppProc } from '../../fixtures/ipc/processes.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';
import { STACK, runMain, envOf } from '../../fixtures/cli/in-process.js';

const PASSWORD = 'amber-lantern-orchard-41';
/** The protocol's field names (`S+.id`): words for programs, not for a person. */
const WIRE_JARGON = /\bS[+?-]\.\w+/;
const USAGE = 'Usage: hypergolix shares [list [--json]] [--root PATH]';

const homes: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  for (const d of homes) rmSync(d, { recursive: true, force: true });
});

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-shares-cmd-'));
  homes.push(dir);
  return dir;
}

const run = runMain;

const someGhid = (): string => Ghid.fromDigest(randomBytes(64)).text;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\=-]/g, '\\$&');

describe('shares without a daemon', () => {
  test('a home with only its config: list, accept and decline exit 1 saying the daemon is not running', async () => {
    const home = tempHome();
    await updateConfig(await loadConfig({ root: join(home, 'hypergolix.yml'), create: true, env: envOf(home), cwd: home }), { process: { ipc_port: await freePort() } });
    for (const argv of [['shares'], ['shares', 'list', '--json'], ['shares', 'accept', someGhid(), '--trust'], ['shares', 'decline', someGhid(), '--block']]) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.equal(r.err, `hypergolix shares: The app daemon is not running (no IPC key in ${home}). Start it with: hypergolix start app`);
      assert.equal(r.out, '');
    }
  });

  test('usage errors and options of another action: exit 2 with their words, before looking for a daemon', async () => {
    const home = tempHome();
    await updateConfig(await loadConfig({ root: join(home, 'hypergolix.yml'), create: true, env: envOf(home), cwd: home }), { process: { ipc_port: await freePort() } });
    const id = someGhid();
    for (const [argv, words, usage] of [
      [['shares', 'frob'], /unknown action "frob"/, true],
      [['shares', 'accept'], /shares accept takes one ID/, true],
      [['shares', 'decline'], /shares decline takes one ID/, true],
      [['shares', 'accept', id, id], /shares accept takes one ID/, true],
      [['shares', 'list', id], /shares list takes no operands/, true],
      [['shares', 'accept', id, '--block'], /^hypergolix shares: --block goes with decline$/, false],
      [['shares', 'decline', id, '--trust'], /^hypergolix shares: --trust goes with accept$/, false],
      [['shares', 'list', '--trust'], /--trust goes with accept/, false],
      [['shares', '--block'], /--block goes with decline/, false],
      [['shares', 'accept', id, '--json'], /--json goes with list/, false],
      [['shares', 'accept', id, '--trust=yes'], /Option '--trust' does not take an argument/, true],
      [['shares', '--bogus'], /Unknown option '--bogus'/, true],
      [['shares', '--root'], /Option '--root <value>' argument missing/, true],
    ] as const) {
      const r = await run(home, ...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, words, argv.join(' '));
      assert.equal(r.err.includes(USAGE), usage, `${argv.join(' ')}: usage ${usage ? 'expected' : 'not expected'}`);
      assert.doesNotMatch(r.err, /daemon is not running/);
      assert.doesNotMatch(r.err, STACK);
    }
  });
});

describe('shares with real daemons: A shares with B, B answers from the CLI', () => {
  let homeB = '';
  let appB: AppProc | undefined;
  let B = '';
  let A = '';
  let shareFromA: (note: string) => Promise<{ object: string; result: Promise<ShareResult> }>;

  before(async () => {
    const { engine } = await RulesEngine.open(new MemoryStore());
    const server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
    const { port } = await server.listen();
    cleanups.push(() => server.close());

    homeB = tempHome();
    const account = await accountHome(homeB, PASSWORD, { remotes: [port] });
    assert.equal(account.loaded.config.sharing.accept, 'ask', "B asks about a stranger's shares (the default)");
    B = account.fingerprint;
    appB = await startApp({ dir: homeB, env: { ...process.env, ...envOf(homeB) }, ipcPort: account.loaded.config.process.ipc_port, tokenFile: join(homeB, 'ipc-token') }, PASSWORD);
    cleanups.push(() => appB!.stop());

    const a = await Daemon.start({
      ghidcache: join(tempHome(), 'ghidcache'),
      remotes: [{ host: '127.0.0.1', port, tls: false }],
      logger: silentLogger,
      account: { create: { password: PASSWORD, kdf: TEST_KDF, identity: v16Identity(0) } },
    });
    cleanups.push(() => a.stop());
    await a.network.whenConnected(10_000);
    A = a.fingerprint.text;
    const sharing = new Sharing(a, { policy: () => 'all', blocked: () => [], warn: () => {} });
    const results: ShareResult[] = [];
    sharing.on('result', (r) => results.push(r));
    shareFromA = async (note) => {
      const obj = await a.objects.create(API_ID_JSON, Buffer.from(JSON.stringify({ note })));
      await sharing.share(obj.ghid, Ghid.fromText(B));
      return { object: obj.ghid.text, result: until(() => results.find((r) => r.ghid.equals(obj.ghid)), `B's answer to ${note}`, 60_000) };
    };
  });

  const ok = async (...argv: string[]): Promise<string> => {
    const r = await run(homeB, 'shares', ...argv);
    assert.equal(r.code, 0, `shares ${argv.join(' ')}: ${r.err}`);
    return r.out;
  };
  const all = async (): Promise<ShareJson[]> =>
    (await ok('list', '--json'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ShareJson);
  const waiting = async (n: number): Promise<ShareJson[]> => {
    let found: ShareJson[] = [];
    await until(async () => (found = (await all()).filter((s) => s.state === 'waiting')).length === n, `${n} share(s) waiting at B`, 60_000, 100);
    return found;
  };

  test('nothing shared yet: three headings with "none", --json prints nothing', async () => {
    assert.equal(await ok(), 'Waiting for you: none\nShared with you: none\nShared by you: none');
    assert.equal(await ok('list', '--json'), '');
  });

  test('an ID that is no waiting share (unknown text, an unknown GHID): exit 1, "No share … is waiting", for accept and decline', async () => {
    for (const id of ['notanid', someGhid(), 'A'.repeat(128)]) {
      for (const action of ['accept', 'decline']) {
        const r = await run(homeB, 'shares', action, id);
        assert.equal(r.code, 1, `${action} ${id}`);
        assert.equal(r.err, `hypergolix shares: No share ${id.slice(0, 12)}… is waiting`);
      }
    }
  });

  // Fixed: the ID goes to the daemon unchecked and what
  // its wire check refuses comes back in protocol words: `shares accept ""` (an empty shell
  // variable) and an ID longer than 128 characters (two IDs pasted together) print "S+.id:
  // expected a string of 1–128 characters" / "S-.id: …" instead of saying that no share has that
  // ID; the empty one is also a usage error (exit 2) told as a failure (exit 1).
  test('an empty or overlong ID is told in words, not protocol field names', async () => {
    const told: string[] = [];
    for (const id of ['', 'A'.repeat(129), `${someGhid()}${someGhid()}`]) {
      for (const action of ['accept', 'decline']) {
        const r = await run(homeB, 'shares', action, id);
        assert.notEqual(r.code, 0);
        if (WIRE_JARGON.test(r.err)) told.push(`shares ${action} <${id.length} chars> → ${r.err}`);
        // No ID at all is a usage error; a long one names no share, as any unknown ID.
        if (id === '') assert.deepEqual([r.code, /takes the ID of a waiting share/.test(r.err)], [2, true], r.err);
        else assert.equal(r.err, `hypergolix shares: No share ${id.slice(0, 12)}… is waiting`);
      }
    }
    assert.deepEqual(told, [], told.join('\n'));
  });

  test("a stranger's share waits: shown with its ID, who (a stranger) and what; accepted once by that ID", async () => {
    const first = await shareFromA('one');
    const [w] = await waiting(1);
    assert.deepEqual([w!.direction, w!.from, w!.name, w!.object, w!.type, w!.size], ['incoming', A, null, first.object, 'JSON', JSON.stringify({ note: 'one' }).length]);
    const text = await ok();
    assert.match(text, new RegExp(`^Waiting for you:\\n {2}id ${escape(w!.id)}\\n {4}from someone not in your contacts \\(${escape(A)}\\)\\n {4}JSON, \\d+ bytes, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\n`));
    assert.match(text, /\nAnswer with: hypergolix shares accept ID \[--trust\] \| hypergolix shares decline ID \[--block\]$/);

    assert.equal(await ok('accept', w!.id), 'Accepted once. Their next share of another object asks you again.');
    assert.equal((await first.result).ok, true, 'A is told it was accepted');
    const shared = (await all()).filter((s) => s.direction === 'incoming');
    assert.deepEqual(
      shared.map((s) => [s.state, s.id, s.object]),
      [['accepted', first.object, first.object]],
    );
    // Answered: the same ID, or the accepted object's, is no waiting share any more.
    for (const [action, id] of [['accept', w!.id], ['decline', w!.id], ['accept', first.object]] as const) {
      const r = await run(homeB, 'shares', action, id);
      assert.equal(r.code, 1, `${action} ${id}`);
      assert.equal(r.err, `hypergolix shares: No share ${id.slice(0, 12)}… is waiting`);
    }
    const contacts = await run(homeB, 'contacts', 'list', '--json');
    assert.deepEqual(JSON.parse(contacts.out) as ContactJson, { fingerprint: A, name: null, trust: 'ask', verified: false }, 'accepted from: a contact you are asked about');
  });

  // Fixed: the ID
  // is looked up exactly as typed, while every fingerprint the contacts command takes is trimmed:
  // an ID copied from the list with the space around it (`shares accept " AbC…= "`) is told
  // "No share  AbC…… is waiting" for a share that is waiting.
  test('an ID pasted with spaces around it still names the waiting share', async () => {
    const second = await shareFromA('two');
    const [w] = await waiting(1);
    const r = await run(homeB, 'shares', 'decline', ` ${w!.id} `);
    if (r.code !== 0) {
      // Answered here so that the next test starts with nothing waiting.
      await ok('decline', w!.id);
    }
    assert.equal((await second.result).ok, false);
    assert.equal(r.code, 0, r.err);
  });

  test('decline --block: the sender is told, blocked, and their next share is declined without asking', async () => {
    const third = await shareFromA('three');
    const [w] = await waiting(1);
    assert.equal(await ok('decline', w!.id, '--block'), 'Declined, and the sender is blocked.');
    assert.equal((await third.result).ok, false, 'A is told it was declined');
    const contacts = await run(homeB, 'contacts', 'list', '--json');
    assert.equal((JSON.parse(contacts.out) as ContactJson).trust, 'blocked');
    const fourth = await shareFromA('four');
    assert.equal((await fourth.result).ok, false, 'declined without asking');
    assert.deepEqual(
      (await all()).filter((s) => s.state === 'waiting'),
      [],
    );
  });

  // Fixed: shares connected on the IPC port of hypergolix.yml (not the
  // port the running daemon recorded in its pid file as status does) — after `hypergolix config
  // --ipc-port N` while the daemon runs, `shares` says "The app daemon is not running (nothing
  // answers on 127.0.0.1:N). Start it with: hypergolix start app", though it runs, `status` finds
  // it, and shares wait for an answer there.
  test('the IPC port edited in the config while the daemon runs: shares still reaches it', async () => {
    const loaded = await loadConfig({ root: homeB, env: envOf(homeB), cwd: homeB });
    const port = loaded.config.process.ipc_port;
    const config = await run(homeB, 'config', '--ipc-port', String(await freePort()));
    assert.equal(config.code, 0, config.err);
    try {
      assert.equal((await run(homeB, 'status')).code, 0, 'status still finds the daemon');
      const r = await run(homeB, 'shares', 'list');
      assert.equal(r.code, 0, r.err);
    } finally {
      await updateConfig(await loadConfig({ root: homeB, env: envOf(homeB), cwd: homeB }), { process: { ipc_port: port } });
    }
  });
});
