// Updates acknowledged once logged, published behind: in order, never more than MAX_UNPUBLISHED
// waiting per object, nothing lost to a crash in between, retried while the store is full, and
// given way when another device of the account wrote first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Account } from '../../../src/core/account/account.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { Ghid, StorageFull, type GolixObject } from '../../../src/core/golix/index.js';
import { API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { ObjectManager } from '../../../src/core/objects/manager.js';
import type { ObjectIO } from '../../../src/core/objects/object-io.js';
import { SecretStore } from '../../../src/core/objects/secrets.js';
import { replayUnsigned } from '../../../src/core/objects/replay-unsigned.js';
import { MAX_UNPUBLISHED } from '../../../src/core/objects/write-behind.js';
import { DurableQueue } from '../../../src/core/util/durable-queue.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { v16Identity } from '../../fixtures/vectors.js';

const kdf = { ...REFERENCE_KDF, n: 1024 };

/** An ObjectIO whose publishes wait at a gate, and fail with the errors queued in `failures` first. */
class GatedIO implements ObjectIO {
  private gate: Promise<void> = Promise.resolve();
  private release: () => void = () => {};
  readonly failures: Error[] = [];
  published = 0;

  constructor(private readonly inner: LocalIO) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  async publish(...objects: GolixObject[]): Promise<void> {
    await this.gate;
    const failure = this.failures.shift();
    if (failure) throw failure;
    await this.inner.publish(...objects);
    this.published++;
  }

  fetch(ghid: Ghid): Promise<GolixObject | null> {
    return this.inner.fetch(ghid);
  }
}

async function setUp(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-write-behind-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const local = await LocalIO.create();
  const io = new GatedIO(local);
  const account = await Account.create({ io: local, password: 'pw', kdf, device: 'd0', identity: v16Identity(0) });
  const log = await DurableQueue.open(join(dir, 'unsigned.updates'));
  t.after(() => log.close());
  const warnings: string[] = [];
  const objects = new ObjectManager(io, account.identity, new SecretStore(account.secrets), { unsignedLog: log, warn: (m) => warnings.push(m) });
  t.after(async () => {
    io.open();
    await objects.close();
  });
  const obj = await objects.create(API_ID_RAW, Buffer.from('v0'));
  io.published = 0;
  return { dir, local, io, account, log, objects, obj, warnings };
}

/** What a fresh login of the account reads, from the store alone. */
async function readBack(local: LocalIO, account: Account, ghid: Ghid) {
  const again = await Account.login({ io: local, userId: account.userId, password: 'pw', kdf, device: 'reader' });
  return new ObjectManager(local, again.identity, new SecretStore(again.secrets)).open(ghid);
}

const settledWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

test('an update is acknowledged once logged; publication follows in order, and a third waits for room', async (t) => {
  const { local, io, account, log, objects, obj } = await setUp(t);
  io.hold();
  for (let n = 1; n <= MAX_UNPUBLISHED; n++) {
    const acked = await objects.update(obj.ghid, Buffer.from(`v${n}`));
    assert.equal(acked.counter, BigInt(n));
  }
  assert.equal(io.published, 0, 'acknowledged before anything was stored');
  assert.equal(log.items().length, MAX_UNPUBLISHED, 'each acknowledged update is in the log');
  assert.equal((await objects.open(obj.ghid)).state.toString(), `v${MAX_UNPUBLISHED}`, 'and reads back at once');
  const third = objects.update(obj.ghid, Buffer.from('v3'));
  assert.equal(await settledWithin(third, 100), false, 'no room while two wait');

  io.open();
  assert.equal((await third).counter, 3n);
  await objects.whenPublished(obj.ghid);
  assert.equal(io.published, 3);
  const back = await readBack(local, account, obj.ghid);
  assert.equal(back.state.toString(), 'v3');
  assert.equal(back.counter, 3n);
});

test('a crash between acknowledgement and publication loses nothing: the next start publishes from the log', async (t) => {
  const { dir, local, io, account, objects, obj, log: crashed } = await setUp(t);
  io.hold();
  await objects.update(obj.ghid, Buffer.from('v1'));
  await objects.update(obj.ghid, Buffer.from('v2'));
  // "Crash": this manager never publishes; a new start sees the account as last secured and the log.
  const again = await Account.login({ io: local, userId: account.userId, password: 'pw', kdf, device: 'after-crash' });
  const log = await DurableQueue.open(join(dir, 'unsigned.updates'));
  t.after(() => log.close());
  const restarted = new ObjectManager(local, again.identity, new SecretStore(again.secrets), { unsignedLog: log });
  assert.deepEqual(await replayUnsigned(log, again.identity, local, assert.fail), { published: 2, dropped: 0, kept: 0 });
  const back = await restarted.open(obj.ghid);
  assert.equal(back.state.toString(), 'v2');
  assert.equal(back.counter, 2n);

  // The crashed manager's own publications, signed anew, are the same objects: nothing conflicts.
  io.open();
  await objects.whenPublished(obj.ghid);
  assert.equal((await readBack(local, account, obj.ghid)).state.toString(), 'v2');
  assert.equal(log.items().length + crashed.items().length, 0, 'nothing left to replay');
});

test('an update the store cannot take yet is retried; meanwhile further updates are refused with the cause', async (t) => {
  const { local, io, account, objects, obj, warnings } = await setUp(t);
  io.failures.push(new StorageFull('full'), new StorageFull('full'));
  await objects.update(obj.ghid, Buffer.from('v1'));
  await assert.rejects(
    async () => {
      for (let i = 0; i < 50; i++) {
        await objects.update(obj.ghid, Buffer.from('refused'));
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    StorageFull,
  );
  await objects.whenPublished(obj.ghid).catch(() => {});
  while (io.failures.length > 0 || io.published === 0) await new Promise((r) => setTimeout(r, 20));
  await objects.whenPublished(obj.ghid);
  assert.match(warnings.join('\n'), /acknowledged, not stored yet \(retrying\)/);
  const back = await readBack(local, account, obj.ghid);
  assert.ok(back.counter >= 1n);
  assert.equal((await objects.update(obj.ghid, Buffer.from('v9'))).state.toString(), 'v9');
  await objects.whenPublished(obj.ghid);
  assert.equal((await readBack(local, account, obj.ghid)).state.toString(), 'v9');
});

test("another device's frame first: the queued updates give way and the newest acknowledged state is written on top", async (t) => {
  const { local, io, account, objects, obj } = await setUp(t);
  io.hold();
  await objects.update(obj.ghid, Buffer.from('mine 1'));
  await objects.update(obj.ghid, Buffer.from('mine 2'));
  const other = await Account.login({ io: local, userId: account.userId, password: 'pw', kdf, device: 'd1' });
  const theirs = new ObjectManager(local, other.identity, new SecretStore(other.secrets));
  assert.equal((await theirs.update(obj.ghid, Buffer.from('theirs'))).counter, 1n);

  io.open();
  await objects.whenPublished(obj.ghid);
  const back = await readBack(local, account, obj.ghid);
  assert.equal(back.state.toString(), 'mine 2');
  assert.equal(back.counter, 2n, 'written right after the other device\'s frame');
  assert.equal((await objects.update(obj.ghid, Buffer.from('mine 3'))).counter, 3n);
  await objects.whenPublished(obj.ghid);
  assert.equal((await readBack(local, account, obj.ghid)).state.toString(), 'mine 3');
});

test('replay drops an update a newer frame already superseded, and an entry that is not an update', async (t) => {
  const { local, io, account, objects, obj, log } = await setUp(t);
  io.hold();
  await objects.update(obj.ghid, Buffer.from('v1'));
  const [first] = log.items();
  io.open();
  await objects.update(obj.ghid, Buffer.from('v2'));
  await objects.whenPublished(obj.ghid);
  // v1's done record lost (as a crash may lose it), and a damaged entry beside it.
  await log.add([{ ghid: first![0], raw: first![1] }, { ghid: obj.ghid.text, raw: Buffer.from('not an update') }]);

  const again = await Account.login({ io: local, userId: account.userId, password: 'pw', kdf, device: 'after' });
  const warnings: string[] = [];
  const restarted = new ObjectManager(local, again.identity, new SecretStore(again.secrets), { unsignedLog: log, warn: (m) => warnings.push(m) });
  assert.deepEqual(await replayUnsigned(log, again.identity, local, (m) => warnings.push(m)), { published: 0, dropped: 2, kept: 0 });
  assert.equal(warnings.length, 1, 'only the damaged entry is worth a warning');
  assert.match(warnings[0]!, /dropped/);
  assert.equal(log.items().length, 0);
  assert.equal((await restarted.open(obj.ghid)).state.toString(), 'v2');
});
