import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret, UnknownSecret, frameOf, makeUpdate, type Geoc, type Gobd } from '../../../src/core/golix/index.js';
import { openWithAny, readableWith, secretsToTry } from '../../../src/core/objects/frame-secrets.js';
import { API_ID_JSON, encodeAppObject } from '../../../src/core/objects/hgxd.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';
import { v16Identity } from '../../fixtures/vectors.js';

/** Three versions of one object, each with its container and the secret that opens it. */
async function chain() {
  const identity = v16Identity(0);
  const versions: { frame: Gobd; container: Geoc; secret: Secret }[] = [];
  let secret = Secret.random();
  for (let i = 0; i < 3; i++) {
    const previous = versions.at(-1);
    if (previous) secret = previous.secret.ratchet(previous.frame.dynamic, previous.container.ghid);
    const { frame, container } = await makeUpdate(identity, secret, encodeAppObject(API_ID_JSON, Buffer.from(`v${i}`)), previous && frameOf(previous.frame));
    versions.push({ frame, container, secret });
  }
  return versions;
}

test('a secret known here is carried along the frame and is the only one tried; it opens the container', async () => {
  const [first, , last] = await chain();
  const known = [{ container: first!.container.ghid, secret: first!.secret }];
  const { healed, candidates } = secretsToTry(last!.frame, known, Secret.random());
  assert.equal(healed?.text, last!.secret.text);
  assert.deepEqual(candidates, [healed]);
  assert.equal(openWithAny(last!.container, candidates)?.state.toString(), 'v2');
  assert.ok(readableWith(last!.frame, known));
});

test("a share's secret is tried from each container of the frame's vector, whichever was current when it was sent", async () => {
  const [, second, last] = await chain();
  // A version from before the frame's vector: nothing to carry along it.
  const stale = [{ container: randomGhid(), secret: Secret.random() }];
  assert.equal(readableWith(last!.frame, stale), false);
  const { healed, candidates } = secretsToTry(last!.frame, stale, second!.secret);
  assert.equal(healed, null);
  assert.equal(candidates.length, last!.frame.targets.length);
  const opened = openWithAny(last!.container, candidates);
  assert.equal(opened?.state.toString(), 'v2');
  assert.equal(opened?.secret.text, last!.secret.text);
  // The same with no record here at all (a share of an object never known).
  assert.equal(openWithAny(last!.container, secretsToTry(last!.frame, null, second!.secret).candidates)?.state.toString(), 'v2');
});

test('with neither a secret that reads the frame nor a share: UnknownSecret, or nothing to try', async () => {
  const [, , last] = await chain();
  assert.throws(() => secretsToTry(last!.frame, [{ container: randomGhid(), secret: Secret.random() }], null), UnknownSecret);
  assert.deepEqual(secretsToTry(last!.frame, null, null).candidates, []);
  assert.equal(openWithAny(last!.container, [Secret.random()]), null, 'a wrong secret opens nothing');
});
