// The daemon as the rooms above it see it (src/core/daemon/port.ts): a types-only module, so its
// contract is checked here on the one implementation, a real Daemon with a FileStore cache in a
// temp dir and a real persistence server on 127.0.0.1. Each documented promise of DaemonPort is
// exercised through the port type only (never through the daemon's own parts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { StatePrefixClaimed } from '../../../src/core/account/state-namespace.js';
import { Daemon } from '../../../src/core/daemon/daemon.js';
import * as portModule from '../../../src/core/daemon/port.js';
import type { DaemonPort, DaemonPortEvents } from '../../../src/core/daemon/port.js';
import { Ghid } from '../../../src/core/golix/index.js';
import { API_ID_JSON } from '../../../src/core/objects/hgxd.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { v16Identity } from '../../fixtures/vectors.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };
const temps: string[] = [];
let server: PersistenceServer;
let port: number;
let daemon: Daemon;
/** The daemon as sharing and IPC see it. */
let p: DaemonPort;

/** Rejects after `ms` so that no wait in this file is unbounded. */
function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A GHID nothing stores: a static GHID (algorithm 1) of random-looking bytes. */
function unknownGhid(fill: number): Ghid {
  return Ghid.fromDigest(Buffer.alloc(64, fill));
}

before(async () => {
  const { engine } = await RulesEngine.open(new MemoryStore());
  server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
  port = (await server.listen()).port;
  const home = await mkdtemp(join(tmpdir(), 'hgx-port-'));
  temps.push(home);
  daemon = await Daemon.start({
    ghidcache: join(home, 'ghidcache'),
    remotes: [{ host: '127.0.0.1', port, tls: false }],
    account: { create: { password: 'pw', kdf, identity: v16Identity(0) } },
    logger: silentLogger,
    remoteWaitMs: 5000,
  });
  p = daemon;
});

after(async () => {
  await daemon?.stop().catch(() => {});
  await server?.close().catch(() => {});
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

test('port.ts is types only: importing it brings no runtime values', () => {
  assert.deepEqual(Object.keys(portModule), []);
});

describe('DaemonPort on a running daemon', () => {
  test('fingerprint is the identity\'s GHID, and stopped is not aborted while running', () => {
    assert.equal(p.fingerprint.text, p.identity.ghid.text);
    assert.equal(p.fingerprint.text.length, 88);
    assert.equal(p.stopped.aborted, false);
  });

  test('a state prefix can be claimed once; a second claim throws StatePrefixClaimed', () => {
    const ns = p.state('contact:');
    assert.ok(ns);
    assert.throws(() => p.state('contact:'), StatePrefixClaimed);
    assert.throws(() => p.state('contact:'), StatePrefixClaimed);
  });

  test('a prefix that is not in the registry is refused (a hostile or mistyped claim cannot reach other keys)', () => {
    assert.throws(() => p.state('' as never));
    assert.throws(() => p.state('ipc:' as never));
  });

  test('create → live, open gives the same state, update changes it, delete removes it', async () => {
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('{"v":1}'), { dynamic: true }), 20_000, 'create');
    assert.equal(obj.dynamic, true);
    assert.equal(p.isLive(obj.ghid), true);
    const opened = await bounded(p.open(obj.ghid), 10_000, 'open');
    assert.equal(opened.state.toString(), '{"v":1}');
    const updated = await bounded(p.update(obj.ghid, Buffer.from('{"v":2}')), 20_000, 'update');
    assert.equal(updated.state.toString(), '{"v":2}');
    assert.ok(updated.counter > opened.counter);
    await bounded(p.delete(obj.ghid), 20_000, 'delete');
    await assert.rejects(bounded(p.open(obj.ghid), 10_000, 'open after delete'));
  });

  test('objects are dynamic unless asked otherwise', async () => {
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('0')), 20_000, 'create default');
    assert.equal(obj.dynamic, true);
  });

  test('an empty state and a static object round-trip', async () => {
    const obj = await bounded(p.create(API_ID_JSON, Buffer.alloc(0), { dynamic: false }), 20_000, 'create static');
    assert.equal(obj.dynamic, false);
    assert.equal(obj.counter, 0n);
    const opened = await bounded(p.open(obj.ghid), 10_000, 'open');
    assert.equal(opened.state.length, 0);
  });

  test('updating a static object is refused with an error, and leaves it as it was', async () => {
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('"s"'), { dynamic: false }), 20_000, 'create static');
    await assert.rejects(bounded(p.update(obj.ghid, Buffer.from('"t"')), 20_000, 'update static'), (err: Error) => err instanceof Error && err.message.length > 0);
    assert.equal((await p.open(obj.ghid)).state.toString(), '"s"');
  });

  test('legroom outside 1..255 is refused before anything is written', async () => {
    for (const legroom of [-1, 256, 1.5, Number.NaN]) {
      await assert.rejects(bounded(p.create(API_ID_JSON, Buffer.from('1'), { dynamic: true, legroom }), 10_000, `create legroom ${legroom}`), {
        name: 'ValueError',
      });
    }
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('1'), { dynamic: true, legroom: 255 }), 20_000, 'legroom 255');
    await assert.rejects(bounded(p.update(obj.ghid, Buffer.from('2'), { legroom: 0.5 }), 10_000, 'update legroom'), { name: 'ValueError' });
    assert.equal((await p.open(obj.ghid)).state.toString(), '1');
  });

  test('freeze of a dynamic object gives a new static object with its current state', async () => {
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('"f1"'), { dynamic: true }), 20_000, 'create');
    await bounded(p.update(obj.ghid, Buffer.from('"f2"')), 20_000, 'update');
    const frozen = await bounded(p.freeze(obj.ghid), 20_000, 'freeze');
    assert.equal(frozen.dynamic, false);
    assert.notEqual(frozen.ghid.text, obj.ghid.text);
    assert.equal(frozen.state.toString(), '"f2"');
    await bounded(p.hold(frozen.ghid), 20_000, 'hold');
  });

  test('fetch of a GHID nothing has gives null; opening it rejects (bounded)', async () => {
    const g = unknownGhid(0x42);
    assert.equal(await bounded(p.fetch(g), 15_000, 'fetch unknown'), null);
    await assert.rejects(bounded(p.open(g), 30_000, 'open unknown'));
  });

  test('settled() answers within its timeout for an unknown object and for a fresh one', async () => {
    const t0 = Date.now();
    const r = await bounded(p.settled(unknownGhid(0x43), 200), 5_000, 'settled unknown');
    assert.equal(typeof r, 'boolean');
    assert.ok(Date.now() - t0 < 4_000);
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('"z"'), { dynamic: true }), 20_000, 'create');
    assert.equal(await bounded(p.settled(obj.ghid, 10_000), 15_000, 'settled fresh'), true);
  });

  test('concurrent updates of one object all land, in call order, and the last one wins', async () => {
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('0'), { dynamic: true }), 20_000, 'create');
    const results = await bounded(Promise.all([1, 2, 3, 4, 5].map((i) => p.update(obj.ghid, Buffer.from(String(i))))), 30_000, 'updates');
    for (let i = 1; i < results.length; i++) assert.ok(results[i]!.counter > results[i - 1]!.counter, `update ${i + 1} after update ${i}`);
    assert.equal((await p.open(obj.ghid)).state.toString(), '5');
  });

  test('deleting twice: the second is refused or a no-op, never a hang', async () => {
    const obj = await bounded(p.create(API_ID_JSON, Buffer.from('"d"'), { dynamic: true }), 20_000, 'create');
    await bounded(p.delete(obj.ghid), 20_000, 'delete');
    await bounded(p.delete(obj.ghid).catch(() => undefined), 20_000, 'second delete');
    assert.equal(p.isLive(obj.ghid), false);
  });

  test('hold of a GHID nothing stores is refused or bounded', async () => {
    await bounded(p.hold(unknownGhid(0x46)).catch(() => undefined), 30_000, 'hold unknown');
  });

  test('status() names the one configured remote and counts the cache', () => {
    const s = p.status();
    assert.equal(s.remotes.length, 1);
    assert.equal(typeof s.objectsCached, 'number');
    assert.ok(s.objectsCached > 0);
    assert.ok(s.storage);
  });

  test('registrationLink for a remote that is not configured is refused with a ValueError', async () => {
    await assert.rejects(bounded(p.registrationLink('nowhere.example:1'), 5_000, 'link'), { name: 'ValueError' });
  });

  test('pin/unpin, quarantine/release and follow of unknown objects do not throw', () => {
    const g = unknownGhid(0x44);
    p.pin(g);
    p.unpin(g);
    p.unpin(g);
    p.release(g);
    p.follow(g);
    assert.equal(p.isLive(g), false);
  });

  test('off() removes exactly the listener given', async () => {
    const seen: string[] = [];
    const l1 = (label: string) => seen.push(`1:${label}`);
    const l2 = (label: string) => seen.push(`2:${label}`);
    p.on('remote', l1);
    p.on('remote', l2);
    p.off('remote', l1);
    (daemon as unknown as { emit: (e: keyof DaemonPortEvents, ...a: unknown[]) => boolean }).emit('remote', 'x', true);
    p.off('remote', l2);
    assert.deepEqual(seen, ['2:x']);
  });
});

describe('DaemonPort after stop', () => {
  test('stopped is aborted once the daemon stops, and settled() does not hang after it', async () => {
    const signal = p.stopped;
    let fired = false;
    signal.addEventListener('abort', () => (fired = true));
    await bounded(daemon.stop(), 30_000, 'stop');
    assert.equal(signal.aborted, true);
    assert.equal(fired, true);
    assert.equal(p.stopped, signal);
    await bounded(
      p.settled(unknownGhid(0x45), 60_000).catch(() => false),
      5_000,
      'settled after stop',
    );
  });

  test('calls after stop end (reject with an error) instead of hanging', async () => {
    await assert.rejects(bounded(p.create(API_ID_JSON, Buffer.from('1')), 10_000, 'create after stop'), /closed/);
    await bounded(p.fetch(unknownGhid(0x47)).then(() => 'resolved', (e: Error) => e.message), 10_000, 'fetch after stop');
  });
});
