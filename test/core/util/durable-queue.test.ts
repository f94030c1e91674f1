import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableQueue } from '../../../src/core/util/durable-queue.js';

const key = (n: number) => String(n).padStart(88, 'k');

test('entries come back in order after a reopen, less the done ones (their records written at close)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-durable-queue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'q');
  const q = await DurableQueue.open(path);
  await q.add([{ ghid: key(1), raw: Buffer.from('one') }, { ghid: key(2), raw: Buffer.from('two') }]);
  await q.add([{ ghid: key(3), raw: Buffer.from('three') }]);
  q.done(key(2));
  assert.deepEqual(q.items().map(([k, v]) => [k, v.toString()]), [[key(1), 'one'], [key(3), 'three']]);
  await q.close();
  const again = await DurableQueue.open(path);
  t.after(() => again.close());
  assert.deepEqual(again.items().map(([k, v]) => [k, v.toString()]), [[key(1), 'one'], [key(3), 'three']]);
});
