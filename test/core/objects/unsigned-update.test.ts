import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MalformedGolixPrimitive, Secret, parseObject, prepareUpdate, signUpdate } from '../../../src/core/golix/index.js';
import { decodeUnsignedUpdate, encodeUnsignedUpdate } from '../../../src/core/objects/unsigned-update.js';
import { v16Identity } from '../../fixtures/vectors.js';

const identity = v16Identity(0);

function entry() {
  const first = prepareUpdate(identity, Secret.random(), Buffer.from('first'));
  const next = prepareUpdate(identity, Secret.random(), Buffer.from('second'), first.frame);
  return { prepared: next, ...encodeUnsignedUpdate(first.frame.dynamic, next) };
}

test('an unsigned update reads back as it was packed, and signs into the objects its GHIDs name', async () => {
  const { prepared, ghid, raw } = entry();
  assert.equal(ghid, prepared.container.text, 'keyed by its container');
  const back = decodeUnsignedUpdate(ghid, raw);
  assert.ok(back.dynamic.equals(prepared.frame.dynamic));
  assert.ok(back.container.equals(prepared.container));
  const signed = await signUpdate(identity, back.unsignedContainer, back.unsignedFrame);
  assert.ok(signed.container.ghid.equals(prepared.container), 'the container signed from the log has the acknowledged GHID');
  const frame = parseObject(signed.frame.raw);
  assert.equal(frame.type, 'GOBD');
  assert.equal(frame.type === 'GOBD' && frame.counter, 1n);
  assert.ok(frame.type === 'GOBD' && frame.targets[0]!.equals(prepared.container));
});

test('an entry that cannot be an update is a MalformedGolixPrimitive naming it', () => {
  const { ghid, raw } = entry();
  const cases: [string, string, Buffer][] = [
    ['too short', ghid, raw.subarray(0, 20)],
    ['cut inside the container', ghid, raw.subarray(0, 80)],
    ['another key', 'A'.repeat(88), raw],
    ['a byte of the container changed', ghid, Buffer.concat([raw.subarray(0, 100), Buffer.from([raw[100]! ^ 1]), raw.subarray(101)])],
    ['container length past the end', ghid, Buffer.concat([raw.subarray(0, 65), Buffer.from([0xff, 0xff, 0xff, 0xff]), raw.subarray(69)])],
  ];
  for (const [what, key, bytes] of cases) {
    assert.throws(() => decodeUnsignedUpdate(key, bytes), (err: unknown) => err instanceof MalformedGolixPrimitive && /unsigned update|GHID/.test((err as Error).message), what);
  }
});
