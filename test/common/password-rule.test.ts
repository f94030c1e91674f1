// The one password rule: the wizard, the CLI, the host and password changes all ask it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCommonPassword, MAX_LENGTH, MIN_LENGTH, passwordRefusal, passwordStrength } from '../../src/common/password-rule.js';
import { parseRequest } from '../../src/common/contract.js';

test('password strength: common, short and patterned passwords are refused', () => {
  for (const pw of ['', 'abc', 'password', 'password123', 'P@ssw0rd1!', 'Summer2024!', 'qwertyuiop', 'aaaaaaaaaaaa', 'abcdefghijkl', '1234567890123', 'correct horse battery staple']) {
    assert.equal(passwordStrength(pw).acceptable, false, pw);
  }
  assert.equal(isCommonPassword('Tr0ub4dor'), false);
  assert.equal(isCommonPassword('L3tMe1n!'), true);
});

test('password strength: long or varied passwords pass, and score rises with length', () => {
  for (const pw of ['purple-lantern-okra-92', 'kT9#vq2!Lm@z', 'Xy7$Qw3!Zp9&Lm2#', 'granite ferry mosaic tulip']) {
    const s = passwordStrength(pw);
    assert.equal(s.acceptable, true, pw);
    assert.ok(s.score >= 3, `${pw}: ${s.label}`);
  }
  assert.ok(passwordStrength('kT9#vq2!Lm').bits < passwordStrength('kT9#vq2!Lm@zR4').bits);
  assert.deepEqual(passwordStrength('Xy7$Qw3!Zp9&Lm2#').hints, []);
  assert.match(passwordStrength('short').hints.join(' '), /at least 10/);
});

test('the rule: a reason for every refused password, none for an accepted one; --allow-weak-password waives only strength', () => {
  for (const pw of ['purple-lantern-okra-92', 'granite ferry mosaic tulip']) assert.equal(passwordRefusal(pw), null, pw);
  assert.match(passwordRefusal('abc')!, new RegExp(`at least ${MIN_LENGTH} characters \\(this one has 3\\)`));
  assert.match(passwordRefusal('password123')!, /first passwords anyone would try/);
  assert.match(passwordRefusal('aaaaaaaaaaaa')!, /^This password is (very weak|weak|too short)/);
  // Every password the strength meter refuses, the rule refuses with a reason, and the other way round.
  for (const pw of ['', 'abc', 'qwertyuiop', 'abcdefghijkl', 'kT9#vq2!Lm@z', 'correct horse battery']) {
    assert.equal(passwordRefusal(pw) === null, passwordStrength(pw).acceptable, pw);
  }
  assert.equal(passwordRefusal('aaaaaaaaaaaa', { allowWeak: true }), null);
  assert.match(passwordRefusal('abc', { allowWeak: true })!, /at least/);
  assert.match(passwordRefusal('abcdefghi', { allowWeak: true })!, /this one has 9/);
});

test('the rule holds the longest password a request to the desktop host carries, with or without the strength check', () => {
  const longest = 'Correct horse battery staple 9! '.repeat(32); // 1,024 characters
  assert.equal(longest.length, MAX_LENGTH);
  assert.equal(passwordRefusal(longest), null);
  for (const allowWeak of [false, true]) {
    assert.equal(passwordRefusal(`${longest}x`, { allowWeak }), `Use at most ${MAX_LENGTH} characters (this one has ${MAX_LENGTH + 1}).`);
  }
  // Counted as the contract counts: UTF-16 units (an emoji is two).
  assert.match(passwordRefusal(`${longest.slice(0, MAX_LENGTH - 1)}😀`) ?? '', /at most 1024 characters \(this one has 1025\)/);
  const request = { kind: 'unlock', password: longest, rememberOnThisComputer: false };
  assert.equal(parseRequest(request).ok, true, 'the longest the rule lets through, the host takes');
  assert.equal(parseRequest({ ...request, password: `${longest}x` }).ok, false);
});
