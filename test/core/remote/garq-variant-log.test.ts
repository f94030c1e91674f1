// The GARQ variant log (`<ghidcache>.garq-variants`): what is appended is there after reopening; a
// torn last record is dropped and said; a failed append keeps nothing (the publish is refused and
// may be sent again); restoring keeps only variants whose GARQ is still stored, and compacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseObject, type Ghid } from '../../../src/core/golix/index.js';
import { FileVariantLog, parseVariantLog } from '../../../src/core/remote/garq-variant-log.js';
import { GarqVariants, type VariantSource } from '../../../src/core/remote/garq-variants.js';
import { FaultyFs } from '../../fixtures/store/faulty-fs.js';
import { forgedCopy, requests } from '../../fixtures/server/objects.js';
import { v16Identity } from '../../fixtures/vectors.js';

const dirs: string[] = [];
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function logPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'hgx-variants-'));
  dirs.push(d);
  return FileVariantLog.pathFor(join(d, 'ghidcache'));
}

const sender = v16Identity(0);
const recipient = v16Identity(1).publicIdentity;
const garqs = requests(sender, recipient, 2);

/** An engine that stores the given GARQs (their first copies). */
function storing(raws: Buffer[]): VariantSource & { stored: Map<string, Buffer> } {
  const stored = new Map(raws.map((r) => [parseObject(r).ghid.text, r] as const));
  return {
    stored,
    exists: (g: Ghid) => stored.has(g.text),
    get: async (g: Ghid) => stored.get(g.text)!,
  };
}

test('variants kept with a log are there after reopening; a torn last record is dropped and said', async () => {
  const path = logPath();
  const engine = storing(garqs);
  const opened = await FileVariantLog.open(path);
  const variants = new GarqVariants(engine, opened.log);
  await variants.restore(opened.raws);
  const a = forgedCopy(garqs[0]!, 0);
  const b = forgedCopy(garqs[1]!, 1);
  assert.equal(await variants.offer(parseObject(a)), true);
  assert.equal(await variants.offer(parseObject(b)), true);
  assert.equal(await variants.offer(parseObject(a)), false, 'the same bytes again');
  await variants.close();
  appendFileSync(path, Buffer.from([0, 0, 4, 0, 1, 2])); // a crash in the middle of an append

  const again = await FileVariantLog.open(path);
  assert.deepEqual(again.raws, [a, b]);
  assert.equal(again.warnings.length, 1);
  assert.match(again.warnings[0]!, /torn last record/);
  const restored = new GarqVariants(engine, again.log);
  await restored.restore(again.raws);
  assert.equal(restored.size, 2);
  await restored.close();
  assert.deepEqual(parseVariantLog(readFileSync(path)), { raws: [a, b], torn: false }, 'rewritten whole at restore');
});

test('restoring keeps only the variants whose GARQ is still stored', async () => {
  const path = logPath();
  const engine = storing(garqs);
  const opened = await FileVariantLog.open(path);
  const variants = new GarqVariants(engine, opened.log);
  await variants.restore(opened.raws);
  await variants.offer(parseObject(forgedCopy(garqs[0]!, 0)));
  await variants.offer(parseObject(forgedCopy(garqs[1]!, 0)));
  await variants.close();
  engine.stored.delete(parseObject(garqs[0]!).ghid.text); // debound meanwhile

  const again = await FileVariantLog.open(path);
  const restored = new GarqVariants(engine, again.log);
  await restored.restore(again.raws);
  assert.deepEqual(await restored.for(recipient.ghid), [forgedCopy(garqs[1]!, 0)]);
  await restored.close();
  assert.equal(parseVariantLog(readFileSync(path)).raws.length, 1, 'the log was compacted');
});

test('a variant that cannot be written is not kept: offer rejects with the write error, and it can be offered again', async () => {
  const fs = new FaultyFs();
  const path = logPath();
  const engine = storing(garqs);
  const opened = await FileVariantLog.open(path, fs);
  const variants = new GarqVariants(engine, opened.log);
  await variants.restore(opened.raws);
  const v = parseObject(forgedCopy(garqs[0]!, 2));
  fs.arm(1, 'ENOSPC', true);
  await assert.rejects(variants.offer(v), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  assert.equal(variants.size, 0, 'nothing kept that is not durable');
  fs.heal();
  assert.equal(await variants.offer(v), true, 'sent again once there is room');
  await variants.close();
  assert.equal((await FileVariantLog.open(path)).raws.length, 1);
});
