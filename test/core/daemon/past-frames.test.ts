// The frames once current here (src/core/daemon/past-frames.ts): kept across runs in a file of
// 8-byte keys, asked about by the checks of the remotes; a torn tail, a file of another format
// and a failed write cost only what they lose; past its bound the older half goes. And the store
// that tells it of each frame stored, once stored. Real files, real frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, appendFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ghid } from '../../../src/core/golix/index.js';
import { PastFrames, recordingFrames } from '../../../src/core/daemon/past-frames.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { v16Objects } from '../../fixtures/vectors.js';

const frame = () => Ghid.fromDigest(randomBytes(64)).text;

async function dir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hgx-past-frames-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('frames recorded are held, across a restart; others are not', async (t) => {
  const path = join(await dir(t), 'ghidcache.frames');
  const warnings: string[] = [];
  const past = new PastFrames(path, (m) => warnings.push(m));
  const [a, b, unknown] = [frame(), frame(), frame()];
  past.record(a);
  assert.equal(await past.held(a), true, 'before it is written');
  await past.flush();
  past.record(b);
  assert.deepEqual([await past.held(a), await past.held(b), await past.held(unknown)], [true, true, false]);
  const c = frame();
  past.record(c);
  assert.equal(await past.held(c), true, 'recorded after the file was read');
  await past.close();
  assert.equal((await stat(path)).size, 8 + 3 * 8, 'a header and 8 bytes a frame');

  const again = new PastFrames(path, (m) => warnings.push(m));
  assert.deepEqual([await again.held(a), await again.held(b), await again.held(c), await again.held(unknown)], [true, true, true, false]);
  await again.close();
  assert.deepEqual(warnings, []);
});

test('a torn last record is cut off, a file of another format is started again, and a missing one holds nothing', async (t) => {
  const d = await dir(t);
  const path = join(d, 'ghidcache.frames');
  const warnings: string[] = [];
  const a = frame();
  const past = new PastFrames(path, (m) => warnings.push(m));
  assert.equal(await past.held(a), false, 'no file yet');
  past.record(a);
  await past.close();
  await appendFile(path, Buffer.from([1, 2, 3]));
  const torn = new PastFrames(path, (m) => warnings.push(m));
  const b = frame();
  torn.record(b);
  await torn.close();
  assert.equal((await stat(path)).size, 8 + 2 * 8, 'the torn bytes cut off before the append');
  const read = new PastFrames(path, () => {});
  assert.deepEqual([await read.held(a), await read.held(b)], [true, true]);
  await read.close();

  await writeFile(path, 'something else entirely');
  const other = new PastFrames(path, (m) => warnings.push(m));
  assert.equal(await other.held(a), false, 'another format holds nothing');
  other.record(b);
  await other.close();
  assert.ok(warnings.some((w) => /is no list of past frames this version reads: started again/.test(w)), warnings.join(' | '));
  assert.equal((await readFile(path)).subarray(0, 6).toString(), 'HGXPF1');
  assert.equal(await new PastFrames(path, () => {}).held(b), true);
});

test('past its bound the older half goes', async (t) => {
  const path = join(await dir(t), 'ghidcache.frames');
  const past = new PastFrames(path, () => {}, { maxFrames: 8 });
  const frames = Array.from({ length: 9 }, frame);
  for (const f of frames) {
    past.record(f);
    await past.flush();
  }
  await past.close();
  assert.equal((await stat(path)).size, 8 + 4 * 8, 'the newest 4 of 9');
  const read = new PastFrames(path, () => {}, { maxFrames: 8 });
  assert.deepEqual(await Promise.all(frames.map((f) => read.held(f))), [false, false, false, false, false, true, true, true, true]);
  await read.close();
});

test('a write that fails is said once and costs only what it could not write', async (t) => {
  const d = await dir(t);
  // A directory where the file should be: every append fails.
  const path = join(d, 'ghidcache.frames');
  await mkdir(path);
  const warnings: string[] = [];
  const past = new PastFrames(path, (m) => warnings.push(m));
  for (let i = 0; i < 3; i++) {
    past.record(frame());
    await past.flush();
  }
  assert.equal(warnings.length, 1, warnings.join(' | '));
  assert.match(warnings[0]!, /could not be written: .*a remote restored from an old backup may keep old versions until they are written again/);
  assert.equal(await past.held(frame()), false);
  await past.close();
});

test('the recording store tells each frame once it is stored, and nothing else', async (t) => {
  const path = join(await dir(t), 'ghidcache.frames');
  const past = new PastFrames(path, () => {});
  const { engine } = await RulesEngine.open(recordingFrames(new MemoryStore(), past));
  const v16 = v16Objects();
  for (const o of v16.filter((x) => x.obj.type === 'GIDC')) await engine.ingest(o.raw);
  const frames = v16.filter((o) => o.obj.type === 'GOBD' && o.entry.counter !== null && o.entry.counter! <= 2n).sort((x, y) => Number(x.entry.counter) - Number(y.entry.counter));
  for (const f of frames) await engine.ingest(f.raw);
  const container = v16.find((o) => o.obj.type === 'GEOC')!;
  for (const f of frames) assert.equal(await past.held(f.obj.ghid.text), true, `frame ${f.entry.counter}`);
  assert.equal(await past.held(container.obj.ghid.text), false, 'only frames');
  await engine.close();
  assert.equal((await stat(path)).size, 8 + frames.length * 8, 'written at the close');
});
