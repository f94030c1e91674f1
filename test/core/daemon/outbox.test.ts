import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../../src/core/daemon/outbox.js';

const g = (n: number) => String(n).padStart(86, 'A') + '==';
const dirs: string[] = [];
test.after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

test('queued objects survive a restart in order; done ones do not; a torn tail is ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-outbox-'));
  dirs.push(dir);
  const box = await Outbox.open(dir, '127.0.0.1:7770');
  await box.add([1, 2, 3, 4].map((n) => ({ ghid: g(n), raw: Buffer.alloc(100 + n, n) })));
  await box.done(g(2));
  await box.close();
  await appendFile(box.path, Buffer.from([1, 0, 0, 9, 9, 1, 2]));
  const again = await Outbox.open(dir, '127.0.0.1:7770');
  assert.deepEqual(again.items().map(([k]) => k), [g(1), g(3), g(4)]);
  assert.deepEqual(again.items()[1]![1], Buffer.alloc(103, 3));
  for (const [k] of again.items()) await again.done(k);
  assert.equal(again.size, 0);
  await again.close();
  assert.equal((await Outbox.open(dir, '127.0.0.1:7770')).size, 0);
});
