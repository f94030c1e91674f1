// Shares that arrive in a burst are told together (src/host/share-notice-burst.ts): the first
// few one by one, the rest in one notice when the window ends, on a clock the test drives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BURST_TOLD, ShareNoticeBurst, type HeldShares } from '../../src/host/share-notice-burst.js';

function clock() {
  const timers = new Map<number, () => void>();
  let next = 0;
  return {
    setTimer: (fn: () => void) => {
      timers.set(++next, fn);
      return { id: next } as { unref?(): unknown };
    },
    clearTimer: (h: unknown) => void timers.delete((h as { id: number }).id),
    /** Ends every window now. */
    fire: () => {
      const due = [...timers.values()];
      timers.clear();
      for (const fn of due) fn();
    },
    pending: () => timers.size,
  };
}

test('in a window the first shares are told one by one, the rest counted and told once at its end; the next window starts afresh', () => {
  const c = clock();
  const held: HeldShares[] = [];
  const burst = new ShareNoticeBurst({ tellHeld: (h) => held.push(h), setTimer: c.setTimer, clearTimer: c.clearTimer });
  const told = Array.from({ length: 20 }, (_, i) => burst.admit(i % 4 !== 0));
  assert.equal(told.filter(Boolean).length, BURST_TOLD);
  assert.deepEqual(told.slice(0, BURST_TOLD), Array(BURST_TOLD).fill(true), 'the first ones');
  assert.equal(c.pending(), 1, 'one window');
  c.fire();
  assert.deepEqual(held, [{ waiting: 13, taken: 4 }], 'the 17 held back, in one notice: 13 waiting, 4 taken');
  assert.equal(burst.admit(true), true, 'a share after the window is told at once');
  c.fire();
  assert.equal(held.length, 1, 'a window that held nothing tells nothing');
});

test('a lock ends the window without telling what it held (the shares list keeps them)', () => {
  const c = clock();
  const held: HeldShares[] = [];
  const burst = new ShareNoticeBurst({ tellHeld: (h) => held.push(h), setTimer: c.setTimer, clearTimer: c.clearTimer, told: 1 });
  assert.equal(burst.admit(true), true);
  assert.equal(burst.admit(true), false);
  burst.dispose();
  assert.equal(c.pending(), 0);
  c.fire();
  assert.deepEqual(held, []);
  assert.equal(burst.admit(true), false, 'disposed: nothing more');
});
