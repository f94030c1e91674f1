// The daemon's reading of its local copy (damaged, absent, sound) and what a read of a damaged
// copy answers with the remotes' answer: the remote's copy, the local one put right from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ghid, InvalidIdentity, MalformedGolixPrimitive, signerOf, type GolixObject } from '../../../src/core/golix/index.js';
import { CopyMender, checkLocalCopy, putRight, readLocalCopy, type DamagedCopy } from '../../../src/core/daemon/local-copy.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { entryOf } from '../../../src/core/store/entry.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const [gidc, otherGidc] = v16.filter((o) => o.obj.type === 'GIDC');
const frameAt = (n: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === n)!;
const containerAt = (n: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === n)!;
const dynamic = Ghid.fromText(frameAt(0).entry.ghid_dynamic!);

/** An engine holding the identities and the first frame with its container; `store` lets a test damage what it holds. */
async function cache() {
  const first = new MemoryStore();
  const filling = (await RulesEngine.open(first)).engine;
  for (const o of v16.filter((x) => x.obj.type === 'GIDC')) await filling.ingest(o.raw);
  await filling.ingest(frameAt(0).raw);
  await filling.ingest(containerAt(0).raw);
  // Opened again, as a daemon starting: nothing read before the damage is remembered.
  const store = first.snapshot();
  const { engine } = await RulesEngine.open(store);
  const damage = (obj: GolixObject, bytes: Buffer) => store.put(entryOf(obj), bytes);
  return { engine, damage };
}

function recordingLogger() {
  const warnings: string[] = [];
  const ignore = () => {};
  return { warnings, logger: { error: ignore, info: ignore, debug: ignore, warn: (m: string) => warnings.push(m) } };
}

test('a copy here reads as sound, absent, cut short, or holding another object', async () => {
  const { engine, damage } = await cache();
  const sound = await readLocalCopy(engine, gidc!.obj.ghid);
  assert.equal(sound.kind === 'ok' && sound.obj.ghid.text, gidc!.obj.ghid.text);
  assert.deepEqual(await readLocalCopy(engine, Ghid.fromText(containerAt(1).entry.ghid)), { kind: 'absent' });

  await damage(gidc!.obj, gidc!.raw.subarray(0, 50));
  const cut = await readLocalCopy(engine, gidc!.obj.ghid);
  assert.equal(cut.kind, 'damaged');
  assert.equal((cut as DamagedCopy).key, gidc!.obj.ghid.text);

  // A frame is read by its dynamic GHID; its key is the frame's own GHID.
  await damage(frameAt(0).obj, otherGidc!.raw);
  const swapped = await readLocalCopy(engine, dynamic);
  assert.deepEqual(swapped, { kind: 'damaged', key: frameAt(0).obj.ghid.text, why: `its file holds object ${otherGidc!.obj.ghid.short} instead` });
});

test('a copy whose signature bytes are damaged reads as sound (its GHID does not cover them) and checks as damaged; a signer damaged here leaves it as read', async () => {
  const { engine, damage } = await cache();
  const frame = frameAt(0);
  const bad = Buffer.from(frame.raw);
  bad[bad.length - 1]! ^= 0x01;
  await damage(frame.obj, bad);
  assert.equal((await readLocalCopy(engine, dynamic)).kind, 'ok', 'it parses and hashes to its GHID');
  assert.deepEqual(await checkLocalCopy(engine, dynamic), { kind: 'damaged', key: frame.obj.ghid.text, why: 'its signature does not verify' });
  const container = await checkLocalCopy(engine, Ghid.fromText(containerAt(0).entry.ghid));
  assert.equal(container.kind, 'ok', 'a sound signed object checks as sound');

  // The binder's identity damaged here too (before any read of it): nothing to verify with, and
  // that identity is what checks as damaged (a check reads identities first).
  const again = await cache();
  const binder = v16.find((o) => o.obj.ghid.equals(signerOf(frame.obj)!))!;
  await again.damage(frame.obj, bad);
  await again.damage(binder.obj, binder.raw.subarray(0, 40));
  assert.equal((await checkLocalCopy(again.engine, dynamic)).kind, 'ok');
  assert.equal((await checkLocalCopy(again.engine, binder.obj.ghid)).kind, 'damaged');
});

test("a damaged copy is answered with the remote's copy and put right from it; with no copy from a remote it is a MalformedGolixPrimitive", async () => {
  const { engine, damage } = await cache();
  const { warnings, logger } = recordingLogger();
  const taken: GolixObject[] = [];
  const host = { engine, logger, take: async (o: GolixObject) => (taken.push(o), o) };
  await damage(containerAt(0).obj, containerAt(0).raw.subarray(1));
  const ghid = containerAt(0).obj.ghid;
  const copy = (await readLocalCopy(engine, ghid)) as DamagedCopy;

  await assert.rejects(putRight(host, ghid, copy, null, true), (e: unknown) => e instanceof MalformedGolixPrimitive && /damaged .*no remote could give a good one/.test((e as Error).message));
  assert.match(warnings.pop()!, /no connected remote has it/);

  // Only read (a peek): answered, left as it is.
  assert.equal(await putRight(host, ghid, copy, containerAt(0).obj, false), containerAt(0).obj);
  assert.equal((await readLocalCopy(engine, ghid)).kind, 'damaged');

  assert.equal(await putRight(host, ghid, copy, containerAt(0).obj, true), containerAt(0).obj);
  assert.match(warnings.pop()!, /put right from a remote's copy/);
  assert.equal((await readLocalCopy(engine, ghid)).kind, 'ok');
  assert.deepEqual(taken, [], 'the same object is written again, not taken in');
});

test('a damaged frame whose remote has a newer one takes the newer one in; a failed rewrite still answers', async () => {
  const { engine, damage } = await cache();
  const { warnings, logger } = recordingLogger();
  const taken: GolixObject[] = [];
  await damage(frameAt(0).obj, frameAt(0).raw.subarray(0, 40));
  const copy = (await readLocalCopy(engine, dynamic)) as DamagedCopy;
  const host = { engine, logger, take: async (o: GolixObject) => (taken.push(o), o) };
  assert.equal(await putRight(host, dynamic, copy, frameAt(1).obj, true), frameAt(1).obj);
  assert.deepEqual(taken, [frameAt(1).obj]);
  assert.match(warnings.pop()!, /a remote's newer version takes its place/);

  const failing = { ...host, engine: Object.assign(Object.create(engine) as RulesEngine, { repair: () => Promise.reject(new Error('No space left on device')) }) };
  assert.equal(await putRight(failing, dynamic, copy, frameAt(0).obj, true), frameAt(0).obj, 'the good copy is still the answer');
  assert.match(warnings.pop()!, /could not be written here: No space left on device/);
});

test('reads side by side that find the same damage put it right once, and each is answered', async () => {
  const { engine, damage } = await cache();
  const { warnings, logger } = recordingLogger();
  await damage(gidc!.obj, gidc!.raw.subarray(0, 60));
  const copy = (await readLocalCopy(engine, gidc!.obj.ghid)) as DamagedCopy;
  let repairs = 0;
  const counting = Object.assign(Object.create(engine) as RulesEngine, { repair: (raw: Buffer) => (repairs++, engine.repair(raw)) });
  const mender = new CopyMender({ engine: counting, logger, take: async (o: GolixObject) => o });
  const answers = await Promise.all([1, 2, 3].map(() => mender.answer(gidc!.obj.ghid, copy, gidc!.obj, true)));
  assert.deepEqual(answers, [gidc!.obj, gidc!.obj, gidc!.obj]);
  assert.equal(repairs, 1);
  assert.equal(warnings.filter((m) => /put right/.test(m)).length, 1);
  assert.equal((await readLocalCopy(engine, gidc!.obj.ghid)).kind, 'ok');
});

test("our own object refused because our identity's copy here is damaged: put right from the identity the daemon holds, then taken", async () => {
  const { engine, damage } = await cache();
  const { warnings, logger } = recordingLogger();
  const frame = frameAt(1).obj;
  assert.equal(frame.type, 'GOBD');
  const binder = v16.find((o) => frame.type === 'GOBD' && o.obj.ghid.equals(frame.binder))!.obj;
  await damage(binder, binder.raw.subarray(0, 70));
  const mender = new CopyMender({ engine, logger, take: async (o: GolixObject) => o });
  // Without the identity to mend from, the refusal is the engine's.
  await assert.rejects(mender.withOwnIdentity(() => engine.ingest(frame.raw), null), (e: unknown) => e instanceof InvalidIdentity && /damaged/.test((e as Error).message));
  const result = await mender.withOwnIdentity(() => engine.ingest(frame.raw), binder);
  assert.equal(result.stored, true);
  assert.match(warnings.pop()!, /put right from the identity this daemon holds/);
  // A refusal with the identity sound here is passed on, not retried.
  let tries = 0;
  await assert.rejects(mender.withOwnIdentity(() => (tries++, Promise.reject(new InvalidIdentity('Identity X is not known here'))), binder), InvalidIdentity);
  assert.equal(tries, 1);
});
