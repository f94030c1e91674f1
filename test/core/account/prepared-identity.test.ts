// The keys a new account is made with, prepared while the wizard shows: one generation per
// preparation, handed out once, progress passed on, a failed or discarded one replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PreparedIdentity } from '../../../src/core/account/prepared-identity.js';
import type { KeygenProgress, PrivateIdentity } from '../../../src/core/golix/index.js';
import { v16Identity } from '../../fixtures/vectors.js';

/** A generator the test finishes by hand: each call is recorded with its progress callback. */
function manualKeys() {
  const calls: { progress: (p: KeygenProgress) => void; finish: (id: PrivateIdentity) => void; fail: (err: Error) => void }[] = [];
  const generate = (progress: (p: KeygenProgress) => void) =>
    new Promise<PrivateIdentity>((finish, fail) => {
      calls.push({ progress, finish, fail });
    });
  return { calls, generate };
}

const step = (completed: number): KeygenProgress => ({ stage: 'signing-key', completed, total: 3 });

test('prepare starts one generation; take hands it over with its progress so far and from then on', async () => {
  const keys = manualKeys();
  const prepared = new PreparedIdentity({ generate: keys.generate });
  prepared.prepare();
  prepared.prepare();
  assert.equal(keys.calls.length, 1, 'a second prepare waits on the first');
  assert.equal(prepared.prepared, true);
  keys.calls[0]!.progress(step(1));
  const seen: number[] = [];
  const taking = prepared.take((p) => seen.push(p.completed));
  assert.equal(prepared.prepared, false, 'taken: nothing is left to hand out');
  keys.calls[0]!.progress(step(2));
  keys.calls[0]!.finish(v16Identity(0));
  assert.equal((await taking).ghid.text, v16Identity(0).ghid.text);
  assert.deepEqual(seen, [1, 2]);
});

test('an identity is handed out once: a second take makes another', async () => {
  const keys = manualKeys();
  const prepared = new PreparedIdentity({ generate: keys.generate });
  prepared.prepare();
  keys.calls[0]!.finish(v16Identity(0));
  assert.equal((await prepared.take()).ghid.text, v16Identity(0).ghid.text);
  const second = prepared.take();
  assert.equal(keys.calls.length, 2);
  keys.calls[1]!.finish(v16Identity(1));
  assert.equal((await second).ghid.text, v16Identity(1).ghid.text);
});

test('a preparation that failed is replaced when taken; a discarded one is never handed out', async () => {
  const keys = manualKeys();
  const prepared = new PreparedIdentity({ generate: keys.generate });
  prepared.prepare();
  keys.calls[0]!.fail(new Error('keygen failed'));
  const afterFailure = prepared.take();
  await new Promise((r) => setImmediate(r));
  assert.equal(keys.calls.length, 2, 'the failure is met by a fresh generation');
  keys.calls[1]!.finish(v16Identity(1));
  assert.equal((await afterFailure).ghid.text, v16Identity(1).ghid.text);

  prepared.prepare();
  prepared.discard();
  keys.calls[2]!.finish(v16Identity(0));
  const fresh = prepared.take();
  assert.equal(keys.calls.length, 4);
  keys.calls[3]!.finish(v16Identity(2));
  assert.equal((await fresh).ghid.text, v16Identity(2).ghid.text);
});

test('with ahead: false, prepare makes nothing and take makes keys then', async () => {
  const keys = manualKeys();
  const prepared = new PreparedIdentity({ generate: keys.generate, ahead: false });
  prepared.prepare();
  assert.equal(keys.calls.length, 0);
  const taking = prepared.take();
  assert.equal(keys.calls.length, 1);
  keys.calls[0]!.finish(v16Identity(2));
  assert.equal((await taking).ghid.text, v16Identity(2).ghid.text);
});
