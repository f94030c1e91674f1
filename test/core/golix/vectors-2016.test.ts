// py-hypergolix-2016: two complete 2016 ghidcaches with GOBD v15 frames (vectors README §1.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PublicIdentity, parseObject, signerOf, verifyObject, type GolixObject } from '../../../src/core/golix/index.js';
import { V2016_DIRS, read2016 } from '../../fixtures/vectors.js';

const dirs = V2016_DIRS.map((d) => read2016(d).map((f) => ({ ...f, obj: parseObject(f.raw) })));
const pool = new Map<string, GolixObject>(dirs.flat().map((f) => [f.obj.ghid.text, f.obj]));
const identities = new Map(
  [...pool.values()].filter((o) => o.type === 'GIDC').map((o) => [o.ghid.text, PublicIdentity.fromBytes(o.raw)] as const),
);

test('all 72 files parse, including the 30 GOBD v15 frames, and each GHID equals its file name', () => {
  const files = dirs.flat();
  assert.equal(files.length, 72);
  for (const f of files) assert.equal(f.obj.ghid.text, f.name);
  const gobds = files.filter((f) => f.obj.type === 'GOBD');
  assert.equal(gobds.length, 30);
  assert.ok(gobds.every((f) => f.obj.version === 15));
  assert.equal(pool.size, 66, 'six objects are shared by both caches');
});

test('per directory: 2 GIDC, 15 GOBD, 15 GEOC, 2 GDXX, 2 GARQ', () => {
  for (const files of dirs) {
    const count: Record<string, number> = {};
    for (const f of files) count[f.obj.type] = (count[f.obj.type] ?? 0) + 1;
    assert.deepEqual(count, { GIDC: 2, GOBD: 15, GEOC: 15, GDXX: 2, GARQ: 2 });
  }
});

test('the first frames (empty history) have their dynamic GHIDs recomputed', () => {
  for (const files of dirs) {
    const first = files.map((f) => f.obj).filter((o) => o.type === 'GOBD' && o.history.length === 0);
    assert.equal(first.length, 5);
    assert.ok(first.every((o) => o.type === 'GOBD' && o.dynamicVerified));
  }
});

test('all 64 signatures verify against the pooled GIDCs', async () => {
  let n = 0;
  for (const files of dirs) {
    for (const { obj } of files) {
      if (obj.type === 'GIDC' || obj.type === 'GARQ') continue;
      await verifyObject(obj, identities.get(signerOf(obj)!.text)!);
      n++;
    }
  }
  assert.equal(n, 64);
});

test('v15 frame sizes are 783 + 65·H and history lengths are 0, 1, 2 or 7', () => {
  for (const o of pool.values()) {
    if (o.type !== 'GOBD') continue;
    assert.equal(o.raw.length, 783 + 65 * o.history.length);
    assert.ok([0, 1, 2, 7].includes(o.history.length));
    assert.equal(o.targets.length, 1);
  }
});
