import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHARE_AGAIN_STATUS, Throttle, decideShareAgain } from '../../../src/core/sharing/share-again.js';
import { decodeInner, encodeInner } from '../../../src/core/golix/requests.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';

test('an object is shared again only with someone who took it, and not blocked since', () => {
  assert.equal(decideShareAgain('accepted', false), 'share');
  assert.equal(decideShareAgain('accepted', true), 'ignore', 'blocked since');
  assert.equal(decideShareAgain(null, false), 'ignore', 'never shared with them: the request cannot widen who reads it');
  assert.equal(decideShareAgain('declined', false), 'ignore', 'they declined it');
  assert.equal(decideShareAgain('waiting', false), 'ignore', 'a share is on its way already');
});

test('the request is an NK naming the object, with a status the reference never writes', () => {
  const [author, object] = [randomGhid(), randomGhid()];
  const { body } = decodeInner(encodeInner(author, { kind: 'NK', target: object, status: SHARE_AGAIN_STATUS }));
  assert.deepEqual(body, { kind: 'NK', target: object, status: SHARE_AGAIN_STATUS });
  assert.notEqual(SHARE_AGAIN_STATUS, 0, 'the reference answers with status 0');
});

test('a throttle lets one go per key within its period, and remembers a bounded number of keys', () => {
  let now = 0;
  const t = new Throttle(1000, 2, () => now);
  assert.equal(t.take('a'), true);
  assert.equal(t.take('a'), false);
  assert.equal(t.take('b'), true);
  now = 999;
  assert.equal(t.take('a'), false);
  now = 1000;
  assert.equal(t.take('a'), true, 'a period later');
  now = 1010;
  assert.equal(t.take('c'), true);
  assert.equal(t.take('b'), true, 'the key remembered longest was let go of (2 at most)');
  assert.equal(t.take('c'), false);
  t.forget('c');
  assert.equal(t.take('c'), true, 'a key forgotten has its go back');
});
