// The safety code: six words, the same whichever side computes it, different for another pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SAFETY_CODE_WORDS, SAFETY_WORD_LIST, safetyCode } from '../../../src/core/sharing/safety-code.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';

test('one word per byte value, all distinct', () => {
  assert.equal(SAFETY_WORD_LIST.length, 256);
  assert.equal(new Set(SAFETY_WORD_LIST).size, 256);
  assert.ok(SAFETY_WORD_LIST.every((w) => /^[a-z]+$/.test(w)));
});

test('order independent and deterministic; another fingerprint gives another code', () => {
  const a = randomGhid();
  const b = randomGhid();
  const c = randomGhid();
  const code = safetyCode(a, b);
  assert.equal(code.length, SAFETY_CODE_WORDS);
  assert.deepEqual(safetyCode(b, a), code);
  assert.deepEqual(safetyCode(a, b), code);
  assert.notDeepEqual(safetyCode(a, c), code);
  assert.ok(code.every((w) => SAFETY_WORD_LIST.includes(w)));
});
