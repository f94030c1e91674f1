// Thousands of random byte flips, truncations and extensions of the vectors: each must end in
// a typed Hypergolix error or a fully verified object, never an uncaught or untyped exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HypergolixError,
  PublicIdentity,
  openRequest,
  parseObject,
  signerOf,
  verifyObject,
  type Ghid,
  type GolixObject,
} from '../../../src/core/golix/index.js';
import { mutate, rng } from '../../fixtures/mutate.js';
import { V2016_DIRS, read2016, v16Identity, v16Objects } from '../../fixtures/vectors.js';

const seeds = [...v16Objects().map((o) => o.raw), ...V2016_DIRS.flatMap((d) => read2016(d).map((f) => f.raw))];
const identities = new Map<string, PublicIdentity>();
for (const raw of seeds) {
  const obj = parseObject(raw);
  if (obj.type === 'GIDC') identities.set(obj.ghid.text, PublicIdentity.fromBytes(raw));
}
const recipient = v16Identity(1);

async function judge(bytes: Buffer): Promise<'rejected' | 'verified' | 'hash-only'> {
  let obj: GolixObject;
  try {
    obj = parseObject(bytes);
  } catch (err) {
    assert.ok(err instanceof HypergolixError, `untyped parse error: ${String(err)}`);
    return 'rejected';
  }
  try {
    const signer = signerOf(obj);
    if (signer) {
      const id = identities.get(signer.text);
      if (!id) return 'rejected';
      await verifyObject(obj as Parameters<typeof verifyObject>[0], id);
    } else if (obj.type === 'GARQ') {
      if (!obj.recipient.equals(recipient.ghid)) return 'hash-only';
      await openRequest(obj, recipient, async (g: Ghid) => identities.get(g.text) ?? identities.values().next().value!);
    }
    return 'verified';
  } catch (err) {
    assert.ok(err instanceof HypergolixError, `untyped verification error: ${String(err)}`);
    return 'rejected';
  }
}

test('5000 mutations of the vectors never crash and never verify when changed', async () => {
  const rand = rng(0x601ec5);
  const tally = { rejected: 0, verified: 0, 'hash-only': 0 };
  for (let i = 0; i < 5000; i++) {
    const original = seeds[Math.floor(rand() * seeds.length)]!;
    const bytes = mutate(original, rand);
    const verdict = await judge(bytes);
    tally[verdict]++;
    if (verdict === 'verified') {
      assert.deepEqual(bytes, original, `mutation ${i} changed the object yet verified`);
    } else if (verdict === 'hash-only') {
      // A GARQ's MAC is outside its hash: only its recipient can check it (golix §6.3).
      const obj = parseObject(bytes);
      assert.deepEqual(obj.raw.subarray(0, obj.hashedLength + 64), original.subarray(0, obj.hashedLength + 64));
    }
  }
  assert.ok(tally.rejected > 4500, JSON.stringify(tally));
});
