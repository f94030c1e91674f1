import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Ghid } from '../../../src/core/golix/index.js';
import { GhidList } from '../../../src/core/store/ghid-list.js';

test('GhidList keeps GHIDs in order across chunks, and take() moves them all out', () => {
  const ghids = Array.from({ length: 9_000 }, () => Ghid.fromBytes(Buffer.concat([Buffer.from([1]), randomBytes(64)])).text);
  const list = new GhidList();
  for (const g of ghids) list.push(g);
  assert.equal(list.size, ghids.length);
  const taken = list.take();
  assert.equal(list.size, 0);
  assert.deepEqual([...list], []);
  assert.deepEqual([...taken], ghids);
  list.push(ghids[0]!);
  assert.deepEqual([...list], [ghids[0]]);
  assert.equal(taken.size, ghids.length, 'a later push does not touch what was taken');
});
