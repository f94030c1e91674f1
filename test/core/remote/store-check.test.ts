// The persistence server's check of its store: objects damaged on disk while nobody asked for
// them (bytes that are no longer the object, a signature that no longer verifies) are found by
// the check, answered as not here by GT and CK alike, counted in /metrics, and put right by the
// next publish of each. Real server over real files, real signatures, a real client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DoesNotExist, Ghid, type GolixObject } from '../../../src/core/golix/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { StoreCheck, type StoreCheckOptions } from '../../../src/core/remote/store-check.js';
import { readStoreCheckFile } from '../../../src/core/remote/store-check-file.js';
import { DamagedObjects } from '../../../src/core/remote/damaged-objects.js';
import type { PersistenceEngine } from '../../../src/core/rules/persistence-engine.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';
import { v16Objects } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

const v16 = v16Objects();
const gidcs = v16.filter((o) => o.obj.type === 'GIDC');
const frame = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 0)!;
const container = v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === 0)!;
const dynamic = (frame.obj as Extract<GolixObject, { type: 'GOBD' }>).dynamic;
const HOUR = 3_600_000;

type Later = (fn: () => unknown) => void;

/**
 * A test's cleanups, run last-in first-out once it ends (node:test runs `after` hooks in the order
 * they were added): a store is closed before its directory is removed, never after.
 */
function lifo(t: { after(fn: () => unknown): void }): Later {
  const fns: (() => unknown)[] = [];
  t.after(async () => {
    for (const fn of fns.reverse()) await fn();
  });
  return (fn) => void fns.push(fn);
}

async function serverOn(dir: string, later: Later, storeCheck: StoreCheckOptions | false) {
  const logger = memoryLogger();
  const { engine } = await RulesEngine.open(new FileStore(join(dir, 'ghidcache')));
  const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, logger, storeCheck });
  const { port } = await server.listen();
  const client = new RemoteClient({ host: '127.0.0.1', port });
  client.start();
  await client.whenConnected(5000);
  const metricsPage = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const metric = async (name = 'hypergolix_damaged_objects') => {
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(await metricsPage())?.[1];
    return value === undefined ? undefined : Number(value);
  };
  const health = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
  let closing: Promise<void> | null = null;
  // Once, however often it is called (a test closes it, then its cleanup does).
  const close = () =>
    (closing ??= (async () => {
      await client.close();
      await server.close();
      await engine.close();
    })());
  later(close);
  return { server, client, logger, metric, health, close };
}

/** A store holding the identities, a frame and its container, two of them damaged on disk since. */
async function damagedStore(later: Later): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-store-check-'));
  later(() => rm(dir, { recursive: true, force: true }));
  const first = await serverOn(dir, later, false);
  for (const o of [...gidcs, frame, container]) await first.client.publish(o.raw);
  await first.close();
  const file = (ghid: string) => join(dir, 'ghidcache', `${ghid}.ghid`);
  // The container cut short; the frame whole, but its signature's last byte flipped (its GHID does not cover it).
  await writeFile(file(container.obj.ghid.text), container.raw.subarray(0, 300));
  const flipped = Buffer.from(await readFile(file(frame.obj.ghid.text)));
  flipped[flipped.length - 1]! ^= 0xff;
  await writeFile(file(frame.obj.ghid.text), flipped);
  return dir;
}

test('the check finds what nobody asked for: answered as not here (GT and CK), counted, and put right by a publish of each', async (t) => {
  const later = lifo(t);
  const { server, client, logger, metric, health } = await serverOn(await damagedStore(later), later, false);
  // Before the check: nothing asked for yet, so nothing known (a whole frame with a bad signature is even served).
  assert.equal(await client.exists(container.obj.ghid), true);
  assert.equal(await metric(), 0);
  assert.equal(await metric('hypergolix_store_check_running'), 0);
  assert.equal(await metric('hypergolix_store_check_last_finished_timestamp_seconds'), undefined, 'no check has ended yet');

  const before = Date.now() / 1000;
  assert.deepEqual(await server.storeCheck.run(), { checked: gidcs.length + 2, damaged: 2 });
  assert.equal(await metric(), 2);
  assert.ok(Math.abs(await metric('hypergolix_store_check_last_finished_timestamp_seconds') as number - before) < 60, 'when the check ended, for an alert on checks that stop happening');
  assert.equal(await metric('hypergolix_store_check_last_objects'), gidcs.length + 2);
  assert.deepEqual(await health(), { status: 'ok', damagedObjects: 2 }, '/healthz tells it too (hypergolix status)');
  assert.equal(await client.exists(container.obj.ghid), false, 'CK: a damaged object is as good as none');
  await assert.rejects(client.get(container.obj.ghid), DoesNotExist);
  await assert.rejects(client.get(dynamic), (e: unknown) => e instanceof DoesNotExist && /damaged in this server's store/.test((e as Error).message));
  assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes(dynamic.short) && /its signature does not verify/.test(l)), logger.lines.join('\n'));
  assert.ok(logger.lines.some((l) => l.startsWith('error') && /^error Store check: \d+ objects read, 2 damaged/.test(l)), logger.lines.join('\n'));
  // A second check finds the same two, said once each.
  assert.equal((await server.storeCheck.run()).damaged, 2);
  assert.equal(logger.lines.filter((l) => l.includes(container.obj.ghid.short) && l.startsWith('error')).length, 1);

  // Their author's daemon sends them again (remote-backfill.ts audit): put right.
  await client.publish(frame.raw);
  await client.publish(container.raw);
  assert.deepEqual(await client.get(dynamic), frame.raw);
  assert.deepEqual(await client.get(container.obj.ghid), container.raw);
  assert.equal(await client.exists(container.obj.ghid), true);
  assert.equal(await metric(), 0);
  assert.deepEqual(await health(), { status: 'ok' });
  assert.deepEqual(await server.storeCheck.run(), { checked: gidcs.length + 2, damaged: 0 });
});

test('the check runs by itself a while after the store is ready, and a stop ends it before the store closes', async (t) => {
  const later = lifo(t);
  const { logger, metric, close } = await serverOn(await damagedStore(later), later, { firstAfterMs: 50, everyMs: HOUR });
  await until(() => (logger.lines.some((l) => l.includes('Store check:')) ? true : null), 'the first check');
  assert.equal(await metric(), 2);
  await close();
});

test('where a check is and what it found are written for another process; a check not scheduled runs only when asked', async (t) => {
  const later = lifo(t);
  const dir = await damagedStore(later);
  const reportFile = join(dir, 'logs', 'store-check.json');
  const { server, close } = await serverOn(dir, later, { scheduled: false, firstAfterMs: 1, reportFile });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.storeCheck.scheduled, false, 'not scheduled');
  assert.equal(await readStoreCheckFile(reportFile), null, 'no check ran by itself');

  const before = Date.now();
  await server.storeCheck.run(true);
  const state = await readStoreCheckFile(reportFile);
  assert.equal(state?.pid, process.pid);
  assert.equal(state?.running, null);
  assert.equal(state?.last?.checked, gidcs.length + 2);
  assert.ok(Date.parse(state!.last!.finishedAt) >= before && Date.parse(state!.last!.startedAt) <= Date.parse(state!.last!.finishedAt));
  assert.deepEqual(state?.last?.damaged.map((d) => d.ghid).sort(), [container.obj.ghid.text, frame.obj.ghid.text].sort());
  assert.deepEqual(server.storeCheck.state, state, 'the same state in the process');
  await close();
  assert.deepEqual(await readStoreCheckFile(reportFile), state, 'a stop leaves the last whole check as it was');
  await assert.rejects(server.storeCheck.run(), /the server is stopping/, 'asked for once stopped (a signal during the shutdown): refused, the closed store not read');
});

test('a store damaged whole names at most 1,000 objects in the state, and counts them all', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-store-check-many-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reportFile = join(dir, 'store-check.json');
  const ghids = Array.from({ length: 1_200 }, (_, i) => Ghid.fromDigest(createHash('sha512').update(`object ${i}`).digest()).text);
  const store = { repair: async () => {}, storedGhids: () => ghids } as unknown as PersistenceEngine;
  // Every object found damaged: a disk that failed whole.
  const found = new Map<string, string>();
  const damaged = {
    check: async (g: Ghid) => (found.set(g.text, 'object: truncated'), false),
    summary: async (limit: number) => ({ count: found.size, listed: [...found].slice(0, limit).map(([ghid, why]) => ({ ghid, why })) }),
    forgetGone: async () => {},
    get count() {
      return found.size;
    },
  } as unknown as DamagedObjects;
  const check = new StoreCheck(() => store, damaged, memoryLogger(), { reportFile });
  assert.deepEqual(await check.run(), { checked: 1_200, damaged: 1_200 });
  const last = (await readStoreCheckFile(reportFile))?.last;
  assert.equal(last?.damagedCount, 1_200);
  assert.equal(last?.damaged.length, 1_000);
  assert.deepEqual(last?.damaged[0], { ghid: ghids[0], why: 'object: truncated' });
});

test('a check that cannot read the store says why in its state', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-store-check-fail-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reportFile = join(dir, 'store-check.json');
  const broken = { repair: async () => {}, storedGhids: () => { throw new Error('disk gone'); } } as unknown as PersistenceEngine;
  const check = new StoreCheck(() => broken, new DamagedObjects(() => broken, memoryLogger()), memoryLogger(), { reportFile });
  await assert.rejects(check.run(), /disk gone/);
  await check.stop();
  const state = await readStoreCheckFile(reportFile);
  assert.equal(state?.running, null);
  assert.equal(state?.last, null);
  assert.equal(state?.lastFailure?.message, 'disk gone');
});

test('a store that cannot be put right is not checked; bad timer options are refused by name', async () => {
  const database = {} as PersistenceEngine;
  assert.equal(new StoreCheck(() => database, new DamagedObjects(() => database, memoryLogger()), memoryLogger()).applies, false);
  const { engine } = await RulesEngine.open(new FileStore(await mkdtemp(join(tmpdir(), 'hgx-store-check-opts-'))));
  for (const storeCheck of [{ firstAfterMs: 0 }, { everyMs: Number.NaN }, { everyMs: -1 }]) {
    assert.throws(() => new PersistenceServer({ engine, port: 0, storeCheck }), /storeCheck\.(firstAfterMs|everyMs) is a whole number of milliseconds/);
  }
  assert.throws(() => new PersistenceServer({ engine, port: 0, storeCheck: { reportFile: '' } }), /storeCheck\.reportFile is a file's path, not ""/);
  assert.throws(() => new PersistenceServer({ engine, port: 0, storeCheck: { scheduled: 'no' as unknown as boolean } }), /storeCheck\.scheduled is true or false, not "no"/);
  await engine.close();
});
