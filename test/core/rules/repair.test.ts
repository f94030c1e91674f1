// RulesEngine.repair: a stored object's file damaged on disk is written again from a good copy
// of the very same object; anything else is refused or ignored. And a damaged identity is
// refused as InvalidIdentity saying so (what makes a daemon fetch it again), not read wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidIdentity, MalformedGolixPrimitive, VerificationFailure, type Ghid } from '../../../src/core/golix/index.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const gidc = v16.find((o) => o.obj.type === 'GIDC')!;
const other = v16.filter((o) => o.obj.type === 'GIDC')[1]!;

/** An engine on a file store that holds `raws`, reopened after `damage` ran on its files (as if while it was off). */
async function engineOnDisk(t: { after(fn: () => unknown): void }, raws: Buffer[], damage: (file: (g: Ghid) => string) => Promise<void> = async () => {}) {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-repair-'));
  const file = (g: Ghid) => join(dir, 'ghidcache', `${g.text}.ghid`);
  const first = (await RulesEngine.open(new FileStore(join(dir, 'ghidcache')))).engine;
  for (const raw of raws) await first.ingest(raw);
  await first.close();
  await damage(file);
  const { engine } = await RulesEngine.open(new FileStore(join(dir, 'ghidcache')));
  t.after(async () => {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { engine, file };
}

test('a damaged file is written again from a good copy of the same object; its identity reads again', async (t) => {
  const { engine, file } = await engineOnDisk(t, [gidc.raw], (file) => writeFile(file(gidc.obj.ghid), gidc.raw.subarray(0, 100)));
  await assert.rejects(engine.identity(gidc.obj.ghid), (e: unknown) => e instanceof InvalidIdentity && /its copy here is damaged/.test((e as Error).message));
  assert.equal(await engine.repair(gidc.raw), true);
  assert.ok((await engine.get(gidc.obj.ghid)).equals(gidc.raw), 'it reads as the object again');
  assert.ok((await engine.identity(gidc.obj.ghid)).ghid.equals(gidc.obj.ghid));
  await engine.close();
  assert.ok((await readFile(file(gidc.obj.ghid))).equals(gidc.raw), 'and its file holds it');
});

test('a repair with an object not stored here is false and stores nothing; with bytes that are no object it is refused', async (t) => {
  const { engine } = await engineOnDisk(t, [gidc.raw]);
  assert.equal(await engine.repair(other.raw), false);
  assert.equal(engine.exists(other.obj.ghid), false, 'a repair never adds an object');
  assert.equal(engine.stats().objects, 1);
  await assert.rejects(engine.repair(gidc.raw.subarray(0, 100)), MalformedGolixPrimitive);
});

test("a repair whose copy's signature bytes are damaged (its GHID does not cover them) is refused, and the file is left as it was", async (t) => {
  const frame = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 0)!;
  const container = v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === 0)!;
  const identities = v16.filter((o) => o.obj.type === 'GIDC').map((o) => o.raw);
  const damaged = Buffer.from(frame.raw.subarray(0, 30));
  const { engine, file } = await engineOnDisk(t, [...identities, frame.raw, container.raw], (file) => writeFile(file(frame.obj.ghid), damaged));
  const forged = Buffer.from(frame.raw);
  forged[forged.length - 1]! ^= 0x01;
  await assert.rejects(engine.repair(forged), (e: unknown) => e instanceof VerificationFailure && /signature does not verify/.test((e as Error).message));
  assert.ok((await readFile(file(frame.obj.ghid))).equals(damaged));
  assert.equal(await engine.repair(frame.raw), true, 'the good copy is taken');
});
