// What the account's root node moving on means here (src/core/daemon/root-watch.ts), with the
// account's reading of each frame scripted: a password changed elsewhere is noted (a real file in
// a temp directory) before it is told, and told once; set back, the note goes; a frame that is not
// the current one, or whose reading fails, changes nothing and stops nothing; an unlock that fails
// is told why when the note is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../../src/core/account/account.js';
import { DamagedAccount, IncorrectPassword, OutdatedPassword, PasswordChangedElsewhere } from '../../../src/core/account/errors.js';
import type { GolixObject } from '../../../src/core/golix/index.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { RootWatch, passwordChangedElsewhereAt, whyNotOpened } from '../../../src/core/daemon/root-watch.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';

type Outcome = Awaited<ReturnType<Account['followRoot']>>;

function watch(t: { after(fn: () => void): void }) {
  const dir = join(mkdtempSync(join(tmpdir(), 'hgx-root-watch-')), 'ghidcache.account');
  t.after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  const userId = randomGhid();
  const outcomes: (Outcome | Error)[] = [];
  let current: string | null = null;
  const account = {
    userId,
    followRoot: async () => {
      const next = outcomes.shift()!;
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as Account;
  const told: { at: number; noted: boolean }[] = [];
  const warned: string[] = [];
  const logger = { ...silentLogger, warn: (m: string) => warned.push(m) };
  const w = new RootWatch({ account, currentRoot: () => current, logger, dir, passwordChanged: (at) => told.push({ at, noted: existsSync(join(dir, 'password-changed-elsewhere.json')) }) });
  /** A root frame, made the current one. */
  const frame = (isCurrent = true) => {
    const ghid = randomGhid();
    if (isCurrent) current = ghid.text;
    return { type: 'GOBD', ghid } as unknown as GolixObject;
  };
  return { w, dir, outcomes, told, warned, frame };
}

test('a frame the held secret does not open: noted, then told once, however many such frames come', async (t) => {
  const { w, dir, outcomes, told, warned, frame } = watch(t);
  outcomes.push('same');
  await w.moved(frame());
  assert.equal(w.passwordChangedElsewhereAt, null);
  outcomes.push('password', 'password');
  const before = Date.now();
  await Promise.all([w.moved(frame()), w.moved(frame())]);
  assert.equal(told.length, 1);
  assert.ok(told[0]!.noted, 'the note was written before it was told');
  assert.ok(told[0]!.at >= before);
  assert.equal(w.passwordChangedElsewhereAt, told[0]!.at);
  assert.equal(await passwordChangedElsewhereAt(dir), told[0]!.at);
  assert.equal(warned.length, 1);
  assert.match(JSON.parse(readFileSync(join(dir, 'password-changed-elsewhere.json'), 'utf8')).frame, /^A/);
});

test('set back to the password held here (or a kit made with it): the note goes, nothing is told any more', async (t) => {
  const { w, dir, outcomes, told, frame } = watch(t);
  outcomes.push('password', 'kit');
  await w.moved(frame());
  assert.notEqual(w.passwordChangedElsewhereAt, null);
  await w.moved(frame());
  assert.equal(w.passwordChangedElsewhereAt, null);
  assert.equal(await passwordChangedElsewhereAt(dir), null);
  // Changed again later: told again.
  outcomes.push('password');
  await w.moved(frame());
  assert.equal(told.length, 2);
});

test("a frame that is not the current one, one of this computer's own writes, or one that cannot be read changes nothing; a failed reading stops nothing", async (t) => {
  const { w, outcomes, told, frame } = watch(t);
  outcomes.push('password');
  const older = frame(false);
  frame();
  await w.moved(older);
  assert.equal(outcomes.length, 1, 'not read: a catch-up may bring older frames');
  outcomes.length = 0;
  outcomes.push('ours', 'unreadable', new Error('disk gone'), 'password');
  await w.moved(frame());
  await w.moved(frame());
  await assert.rejects(w.moved(frame()), /disk gone/);
  assert.equal(told.length, 0);
  await w.moved(frame());
  assert.equal(told.length, 1);
});

test('whyNotOpened: a wrong password with the note is an OutdatedPassword saying when; anything else is as it was', async (t) => {
  const { w, dir, outcomes, frame } = watch(t);
  const wrong = new IncorrectPassword();
  assert.equal(await whyNotOpened(wrong, dir), wrong, 'no note: only wrong');
  outcomes.push('password');
  await w.moved(frame());
  const outdated = await whyNotOpened(wrong, dir);
  assert.ok(outdated instanceof OutdatedPassword);
  assert.equal(outdated.noticedAt, w.passwordChangedElsewhereAt);
  assert.equal(outdated.cause, wrong);
  for (const other of [new DamagedAccount('root copy', 'cut'), new PasswordChangedElsewhere(randomGhid(), 'change the password'), new Error('x')]) assert.equal(await whyNotOpened(other, dir), other);
});
