// Issue #18's first reproduction, as a user meets it: a real server process whose ghidcache sits on
// a real small file system (a 20 MiB tmpfs) is loaded by clients until the disk is full; then it is
// stopped (SIGTERM after room was made, SIGTERM while still full, or SIGKILL) and started again.
// Every object the server acknowledged must come back byte for byte, and no object may be a
// "ghost" (`?E` saying stored while `GT` cannot return it), so anything refused can be published again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DoesNotExist, StorageFull, parseObject, type Ghid } from '../../src/core/golix/index.js';
import { RemoteClient } from '../../src/core/remote/client.js';
import { connectClient, serverHome, startForeground, type TestContext } from '../fixtures/server/helpers.js';
import { requests, signedPairs } from '../fixtures/server/objects.js';
import { mountSmallDisk, type SmallDisk } from '../fixtures/server/small-disk.js';
import { v16Identity } from '../fixtures/vectors.js';

const DISK_BYTES = 20 * 1024 * 1024;
/** Left free by the filler, so the load fills the disk in a few hundred objects. */
const ROOM_BYTES = 1536 * 1024;
const WORKERS = 8;

interface Sent {
  ghid: Ghid;
  raw: Buffer;
}

/**
 * The objects to load the server with, in units published one after another (a binding before
 * its container: a server refuses a container nothing binds); units go out concurrently.
 */
async function load(): Promise<Buffer[][]> {
  const sender = v16Identity(0);
  const pairs = await signedPairs(sender, 300, { size: 512 });
  const garqs = requests(sender, v16Identity(1).publicIdentity, 600);
  const out: Buffer[][] = [[sender.publicIdentity.gidc.raw, v16Identity(1).publicIdentity.gidc.raw]];
  pairs.forEach((p, i) => out.push([p.binding, p.container], [garqs[2 * i]!], [garqs[2 * i + 1]!]));
  return out;
}


/**
 * Publishes with WORKERS units in flight until each worker has met a refusal for a full disk (the
 * rest of that unit is not sent); returns what was acknowledged and what was refused. Any other
 * failure fails the test.
 */
async function fillUp(c: RemoteClient, units: Buffer[][]): Promise<{ acked: Sent[]; refused: Sent[] }> {
  const acked: Sent[] = [];
  const refused: Sent[] = [];
  // The identities first, alone: every later object names them.
  for (const raw of units[0]!) {
    await c.publish(raw);
    acked.push({ ghid: parseObject(raw).ghid, raw });
  }
  let next = 1;
  const worker = async () => {
    while (next < units.length) {
      for (const raw of units[next++]!) {
        const sent = { ghid: parseObject(raw).ghid, raw };
        try {
          await c.publish(raw);
          acked.push(sent);
        } catch (err) {
          if (!(err instanceof StorageFull)) throw err;
          refused.push(sent);
          return;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return { acked, refused };
}

/** What the restarted server must show: every acknowledged object, and no ghost among the others. */
async function checkAfterRestart(c: RemoteClient, acked: Sent[], refused: Sent[]): Promise<void> {
  const lost = [];
  for (const { ghid, raw } of acked) {
    const got = await c.get(ghid).catch((err: unknown) => err);
    if (!(got instanceof Buffer) || !got.equals(raw)) lost.push(`${ghid.text}: ${got instanceof Error ? got.message : 'other bytes'}`);
  }
  assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged objects are gone`);
  for (const { ghid, raw } of refused) {
    const said = await c.exists(ghid);
    const got = await c.get(ghid).catch((err: unknown) => err);
    if (said) assert.ok(got instanceof Buffer && got.equals(raw), `${ghid.text} is a ghost: ?E says stored, GT gives ${String(got)}`);
    else assert.ok(got instanceof DoesNotExist, `${ghid.text}: ?E says not stored, GT gives ${String(got)}`);
    // Refused means not stored: publishing it again now stores it (or finds it stored, and readable).
    await c.publish(raw);
    assert.ok((await c.get(ghid)).equals(raw));
  }
}

type Ctx = TestContext & { skip(reason: string): void; diagnostic(message: string): void };

type Stop = 'free, then SIGTERM' | 'SIGTERM while full, then free' | 'SIGKILL while full, then free';

async function run(t: Ctx, stop: Stop): Promise<void> {
  const disk: SmallDisk | string = mountSmallDisk(DISK_BYTES);
  if (typeof disk === 'string') return t.skip(disk);
  t.after(() => disk.unmount());
  const objects = await load();
  // The filler fill() and free() use: most of the disk, so the load reaches its end quickly.
  writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(DISK_BYTES - ROOM_BYTES));
  const home = await serverHome({ ghidcache: join(disk.dir, 'ghidcache') });
  const first = startForeground(home, t);
  await first.ready();
  const c1 = await connectClient(home, t);
  const { acked, refused } = await fillUp(c1, objects);
  assert.ok(refused.length > 0, `the disk filled (${acked.length} objects acknowledged)`);
  assert.ok(acked.length > 50, `a real load was acknowledged first (${acked.length})`);
  t.diagnostic(`${acked.length} objects acknowledged, ${refused.length} refused for a full disk`);
  c1.close();

  if (stop === 'free, then SIGTERM') disk.free();
  first.child.kill(stop.startsWith('SIGKILL') ? 'SIGKILL' : 'SIGTERM');
  const exit = await first.exited;
  if (!stop.startsWith('SIGKILL')) assert.equal(exit.code, 0, first.output());
  disk.free();

  const second = startForeground(home, t);
  await second.ready();
  t.after(async () => {
    second.child.kill('SIGTERM');
    await second.exited;
  });
  await checkAfterRestart(await connectClient(home, t), acked, refused);
  assert.doesNotMatch(second.output(), /at .*\.ts:\d+|Error:/, 'the restart recovers without a stack trace');
}

for (const stop of ['free, then SIGTERM', 'SIGTERM while full, then free', 'SIGKILL while full, then free'] as const) {
  test(`a server filled on a real 20 MiB tmpfs, stopped (${stop}) and started again: nothing acknowledged is lost, no ghosts`, (t) => run(t, stop));
}
