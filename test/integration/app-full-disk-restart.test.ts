// Issue #18's second reproduction, as a user meets it: a local-only account (no remotes) whose
// Hypergolix home sits on a real small file system (a 20 MiB tmpfs). An app writes through the SDK
// until the daemon answers StorageFull; the daemon is stopped (SIGTERM while full, SIGTERM after
// room was made, or SIGKILL) and `hypergolix start app` run again: the account opens, and every
// object the app was told is written reads back with the last state it was told of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HGXLink, JsonObj, StorageFull } from '../../packages/hgx/src/index.js';
import { accountHome } from '../fixtures/account/home.js';
import { startApp, type AppHome } from '../fixtures/ipc/processes.js';
import { mountSmallDisk, type SmallDisk } from '../fixtures/server/small-disk.js';

const DISK_BYTES = 20 * 1024 * 1024;
const ROOM_BYTES = 3 * 1024 * 1024;
const PASSWORD = 'correct horse battery';
/** Upper bound of writes; the disk fills long before. */
const MAX_WRITES = 4000;

type Stop = 'SIGTERM while full, then free' | 'free, then SIGTERM' | 'SIGKILL while full, then free';

/**
 * Writes until StorageFull: new objects, and updates of the ones made (a daemon's frames replace
 * each other, the case where the old store dropped bytes). Returns each object's last acknowledged state.
 */
async function fillUp(link: HGXLink): Promise<Map<string, unknown>> {
  const acked = new Map<string, unknown>();
  const objects: JsonObj[] = [];
  const pad = 'x'.repeat(700);
  for (let i = 0; i < MAX_WRITES; i++) {
    try {
      if (i % 3 === 2 && objects.length > 0) {
        const obj = objects[i % objects.length]!;
        obj.state = { i, pad };
        await obj.push();
        acked.set(obj.ghid, obj.state);
      } else {
        const obj = await link.new(JsonObj, { i, pad });
        objects.push(obj);
        acked.set(obj.ghid, obj.state);
      }
    } catch (err) {
      if (err instanceof StorageFull) return acked;
      throw err;
    }
  }
  assert.fail(`the disk never filled in ${MAX_WRITES} writes`);
}

async function run(t: { after(fn: () => unknown): void; skip(reason: string): void; diagnostic(m: string): void }, stop: Stop): Promise<void> {
  const disk: SmallDisk | string = mountSmallDisk(DISK_BYTES);
  if (typeof disk === 'string') return t.skip(disk);
  t.after(() => disk.unmount());
  const dir = join(disk.dir, 'home');
  const made = await accountHome(dir, PASSWORD);
  const h: AppHome = { dir, env: { ...process.env, HYPERGOLIX_HOME: dir }, ipcPort: made.loaded.config.process.ipc_port, tokenFile: join(dir, 'ipc-token') };
  writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(DISK_BYTES - ROOM_BYTES));

  const first = await startApp(h, PASSWORD);
  const link = await HGXLink.connect({ port: h.ipcPort, tokenFile: h.tokenFile, reconnect: false });
  const acked = await fillUp(link);
  t.diagnostic(`${acked.size} objects written before the disk was full`);
  assert.ok(acked.size > 20, `a real load was acknowledged first (${acked.size})`);
  await link.close();

  if (stop === 'free, then SIGTERM') disk.free();
  if (stop.startsWith('SIGKILL')) {
    first.child.kill('SIGKILL');
    await first.exited;
  } else {
    assert.equal(await first.stop(), 0, first.output());
  }
  disk.free();

  const second = await startApp(h, PASSWORD);
  t.after(() => second.stop());
  const again = await HGXLink.connect({ port: h.ipcPort, tokenFile: h.tokenFile, reconnect: false });
  t.after(() => again.close());
  const wrong: string[] = [];
  for (const [ghid, state] of acked) {
    const obj = await again.get(JsonObj, ghid).catch((err: unknown) => err);
    if (!(obj instanceof JsonObj)) wrong.push(`${ghid.slice(0, 12)}…: ${String(obj)}`);
    else if (JSON.stringify(obj.state) !== JSON.stringify(state)) wrong.push(`${ghid.slice(0, 12)}…: ${JSON.stringify(obj.state).slice(0, 40)}`);
  }
  assert.deepEqual(wrong, [], `${wrong.length} of ${acked.size} acknowledged objects are not as acknowledged`);
  // And it takes writes again.
  assert.deepEqual((await again.new(JsonObj, { after: true })).state, { after: true });
}

for (const stop of ['SIGTERM while full, then free', 'free, then SIGTERM', 'SIGKILL while full, then free'] as const) {
  test(`a local-only account on a real 20 MiB tmpfs, written full through the SDK, stopped (${stop}): it opens again with every acknowledged state`, (t) => run(t, stop));
}
