// PushQueue on its own: one subscriber's `!!` pushes, at most PUSH_WINDOW in flight, the rest
// queued and charged to the server-wide PushBudget (`server.push_budget_bytes`). A fake connection
// records every request and lets the test answer (or fail) each one; no server, no sockets.
// The whole-server behaviour (a real slow socket, 1013 push_budget, reconnect and catch-up) is
// push-budget.test.ts; PushBudget's own arithmetic is tested there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommsError, Ghid } from '../../../src/core/golix/index.js';
import type { Connection } from '../../../src/core/remote/connection.js';
import { PushBudget, type BudgetHolder } from '../../../src/core/remote/push-budget.js';
import { MAX_PUSH_QUEUE, PUSH_WINDOW, PushQueue, type PushCounters } from '../../../src/core/remote/push-queue.js';
import { RemoteVerb } from '../../../src/core/remote/verbs.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';

interface Sent {
  verb: string;
  body: Buffer;
  timeoutMs: number | undefined;
  answer(): void;
  fail(err: Error): void;
}

/** The slice of Connection a PushQueue uses: `isOpen` and `request`, recorded. */
class FakeConnection {
  isOpen = true;
  readonly sent: Sent[] = [];
  request(verb: string, body: Uint8Array = Buffer.alloc(0), options: { timeoutMs?: number } = {}): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.sent.push({ verb, body: Buffer.from(body), timeoutMs: options.timeoutMs, answer: () => resolve(Buffer.alloc(0)), fail: reject });
    });
  }
}

/** Lets the `.then/.finally` chains of answered pushes run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

const ghid = (n: number): Ghid => Ghid.fromDigest(Buffer.alloc(64, n));
/** A push of `size` bytes whose first byte says which one it is. */
const raw = (i: number, size = 10): Buffer => {
  const b = Buffer.alloc(size, 0xee);
  b.writeUInt8(i & 0xff, 0);
  return b;
};

interface Subscriber {
  queue: PushQueue;
  conn: FakeConnection;
  counters: PushCounters;
  disconnects: number;
  logger: ReturnType<typeof memoryLogger>;
}

function subscriber(budget: PushBudget, name = 'peer', counters: PushCounters = { notificationsSent: 0, notificationsFailed: 0 }, timeoutMs = 1234): Subscriber {
  const conn = new FakeConnection();
  const logger = memoryLogger();
  const s: Subscriber = {
    conn,
    counters,
    logger,
    disconnects: 0,
    queue: new PushQueue({
      connection: conn as unknown as Connection,
      name,
      timeoutMs,
      counters,
      logger,
      budget,
      disconnect: () => {
        s.disconnects++;
        // What the server's disconnectSlow does: close the connection (1013 push_budget).
        conn.isOpen = false;
      },
    }),
  };
  return s;
}

function budgetOf(bytes: number): { budget: PushBudget; evicted: { name: string; held: number }[] } {
  const evicted: { name: string; held: number }[] = [];
  const budget = new PushBudget({ bytes, onEvict: (h: BudgetHolder, held: number) => void evicted.push({ name: h.name, held }) });
  return { budget, evicted };
}

/** The push a `!!` body carries, after the subscribed GHID's 65 bytes. */
const pushOf = (s: Sent): Buffer => s.body.subarray(65);

test('pushes go out in order, each a `!!` of the subscribed GHID then the object, with the configured timeout', async () => {
  const { budget } = budgetOf(1_000_000);
  const s = subscriber(budget);
  assert.equal(s.queue.name, 'peer');
  const [g1, g2] = [ghid(1), ghid(2)];
  s.queue.push(g1, raw(0));
  s.queue.push(g2, raw(1, 20));
  s.queue.push(g1, raw(2));
  assert.equal(s.conn.sent.length, 3, 'within the window, sent at once');
  assert.deepEqual(
    s.conn.sent.map((x) => x.verb),
    [RemoteVerb.update, RemoteVerb.update, RemoteVerb.update],
  );
  assert.equal(RemoteVerb.update, '!!');
  assert.deepEqual(s.conn.sent[0]!.body, Buffer.concat([g1.bytes, raw(0)]));
  assert.deepEqual(s.conn.sent[1]!.body, Buffer.concat([g2.bytes, raw(1, 20)]));
  assert.deepEqual(s.conn.sent[2]!.body, Buffer.concat([g1.bytes, raw(2)]));
  assert.deepEqual(
    s.conn.sent.map((x) => x.timeoutMs),
    [1234, 1234, 1234],
  );
  assert.equal(s.counters.notificationsSent, 3);
  assert.equal(s.counters.notificationsFailed, 0);
  assert.equal(budget.bytes, 40, 'in flight and unanswered: still charged');
  assert.equal(budget.heldBy(s.queue), 40);
  for (const x of s.conn.sent) x.answer();
  await settle();
  assert.equal(budget.bytes, 0, 'answered: released');
  assert.equal(s.disconnects, 0);
});

test('at most PUSH_WINDOW in flight; the rest wait, charged, and go out in order as answers come', async () => {
  assert.equal(PUSH_WINDOW, 128);
  const { budget } = budgetOf(1_000_000);
  const s = subscriber(budget);
  const g = ghid(1);
  const total = PUSH_WINDOW + 5;
  for (let i = 0; i < total; i++) s.queue.push(g, raw(i));
  assert.equal(s.conn.sent.length, PUSH_WINDOW);
  assert.equal(s.counters.notificationsSent, PUSH_WINDOW, 'counted when sent, not when queued');
  assert.equal(budget.bytes, total * 10, 'queued pushes are charged as well as the ones in flight');

  // Each answer lets exactly one more through.
  s.conn.sent[0]!.answer();
  await settle();
  assert.equal(s.conn.sent.length, PUSH_WINDOW + 1);
  assert.equal(budget.bytes, (total - 1) * 10);
  s.conn.sent[5]!.answer(); // out of order: still one slot, still the next in line
  s.conn.sent[6]!.answer();
  await settle();
  assert.equal(s.conn.sent.length, PUSH_WINDOW + 3);

  // Drain everything.
  for (let k = 0; k < 10 && s.conn.sent.length < total; k++) {
    for (const x of s.conn.sent) x.answer();
    await settle();
  }
  for (const x of s.conn.sent) x.answer();
  await settle();
  assert.deepEqual(
    s.conn.sent.map((x) => pushOf(x)[0]),
    Array.from({ length: total }, (_, i) => i & 0xff),
    'in the order pushed',
  );
  assert.equal(s.counters.notificationsSent, total);
  assert.equal(s.counters.notificationsFailed, 0);
  assert.equal(budget.bytes, 0);
  assert.equal(budget.heldBy(s.queue), 0);
});

test('counters: every push sent counts once; one refused or unanswered counts as failed too, is logged, and releases its bytes', async () => {
  const { budget } = budgetOf(1_000_000);
  const s = subscriber(budget);
  const g = ghid(7);
  for (let i = 0; i < 4; i++) s.queue.push(g, raw(i));
  s.conn.sent[0]!.answer();
  s.conn.sent[1]!.fail(new CommsError('peer: !! got no answer within 1234 ms'));
  s.conn.sent[2]!.fail(new Error('NK 0008'));
  await settle();
  assert.deepEqual(s.counters, { notificationsSent: 4, notificationsFailed: 2 });
  assert.equal(budget.bytes, 10, 'only the one still unanswered');
  const debug = s.logger.lines.filter((l) => l.startsWith('debug '));
  assert.equal(debug.length, 2);
  assert.ok(debug[0]!.includes(`!! for ${g.short} not acknowledged: peer: !! got no answer within 1234 ms`), debug[0]);
  assert.equal(s.disconnects, 0, 'a subscriber that fails to answer costs only a log line');
  s.conn.sent[3]!.answer();
  await settle();
  assert.equal(budget.bytes, 0);
});

test('a push as large as the budget fits; one larger than the whole budget disconnects the subscriber and is dropped', async () => {
  const { budget } = budgetOf(100);
  const fits = subscriber(budget, 'fits');
  fits.queue.push(ghid(1), raw(0, 100));
  assert.equal(fits.conn.sent.length, 1);
  assert.equal(budget.bytes, 100);
  fits.conn.sent[0]!.answer();
  await settle();
  assert.equal(budget.bytes, 0);

  const big = subscriber(budget, 'big');
  big.queue.push(ghid(1), raw(0, 101));
  assert.equal(big.conn.sent.length, 0, 'never sent');
  assert.equal(big.disconnects, 1);
  assert.deepEqual(big.counters, { notificationsSent: 0, notificationsFailed: 1 });
  assert.equal(budget.bytes, 0);
  assert.ok(big.logger.lines.some((l) => l.startsWith('warn big: subscriber is not keeping up')), big.logger.lines.join('\n'));
  // Disconnected for good: later pushes and replays are ignored, and counted nowhere.
  big.conn.isOpen = true; // even if the socket were still open
  big.queue.push(ghid(1), raw(1, 5));
  big.queue.replay(ghid(1), [raw(2, 5)]);
  assert.equal(big.conn.sent.length, 0);
  assert.deepEqual(big.counters, { notificationsSent: 0, notificationsFailed: 1 });
  assert.equal(big.disconnects, 1);
  assert.equal(budget.bytes, 0);
});

test('the budget is server-wide: when a push does not fit, the subscriber holding the most is disconnected and everything it held released', async () => {
  const counters: PushCounters = { notificationsSent: 0, notificationsFailed: 0 };
  const { budget, evicted } = budgetOf(1000);
  const slow = subscriber(budget, 'slow', counters);
  const quick = subscriber(budget, 'quick', counters);
  const g = ghid(3);
  // slow: 600 bytes unanswered (4 in flight); quick: 300. Either alone would fit a per-connection 1000.
  for (let i = 0; i < 4; i++) slow.queue.push(g, raw(i, 150));
  for (let i = 0; i < 3; i++) quick.queue.push(g, raw(i, 100));
  assert.equal(budget.bytes, 900);
  assert.deepEqual([budget.heldBy(slow.queue), budget.heldBy(quick.queue)], [600, 300]);

  // quick needs 200 more: not the newest push refused, not the oldest dropped — the heaviest goes.
  quick.queue.push(g, raw(3, 200));
  assert.deepEqual(evicted, [{ name: 'slow', held: 600 }]);
  assert.equal(budget.evictions, 1);
  assert.equal(slow.disconnects, 1);
  assert.equal(quick.disconnects, 0);
  assert.equal(quick.conn.sent.length, 4, "quick's push went out");
  assert.equal(budget.bytes, 500);
  assert.equal(budget.heldBy(slow.queue), 0);
  assert.deepEqual(counters, { notificationsSent: 8, notificationsFailed: 0 }, 'the evicted subscriber’s unanswered pushes are not counted again');

  // slow's pushes fail late as its connection goes: counted as failed, but nothing is released twice.
  for (const x of slow.conn.sent) x.fail(new Error('connection closed'));
  await settle();
  assert.deepEqual(counters, { notificationsSent: 8, notificationsFailed: 4 });
  assert.equal(budget.bytes, 500, "quick's share untouched");
  assert.equal(slow.conn.sent.length, 4, 'nothing more for slow');
  for (const x of quick.conn.sent) x.answer();
  await settle();
  assert.equal(budget.bytes, 0);
});

test('a subscriber that is itself the heaviest is disconnected; its push and its queue are dropped', async () => {
  const { budget, evicted } = budgetOf(PUSH_WINDOW * 10 + 100);
  const s = subscriber(budget, 'me');
  const other = subscriber(budget, 'other');
  other.queue.push(ghid(1), raw(0, 50));
  const g = ghid(2);
  // A full window in flight (1280 bytes) and 5 queued behind it (50): 1330 of 1380.
  for (let i = 0; i < PUSH_WINDOW + 5; i++) s.queue.push(g, raw(i, 10));
  assert.equal(budget.bytes, 1380);
  s.queue.push(g, raw(200, 10));
  assert.deepEqual(evicted, [{ name: 'me', held: 1330 }]);
  assert.equal(s.disconnects, 1);
  assert.equal(other.disconnects, 0);
  assert.deepEqual(s.counters, { notificationsSent: PUSH_WINDOW, notificationsFailed: 1 });
  assert.equal(budget.bytes, 50, "only the other subscriber's push");
  // Answers coming in now free no window slot for the dropped queue.
  for (const x of s.conn.sent) x.answer();
  await settle();
  assert.equal(s.conn.sent.length, PUSH_WINDOW);
  assert.equal(budget.bytes, 50);
  assert.equal(budget.heldBy(s.queue), 0);
});

test(`a subscriber's own queue is bounded by count: past ${MAX_PUSH_QUEUE} waiting it is disconnected`, async () => {
  const { budget } = budgetOf(1_000_000_000);
  const s = subscriber(budget, 'many');
  const g = ghid(4);
  for (let i = 0; i < PUSH_WINDOW + MAX_PUSH_QUEUE; i++) s.queue.push(g, raw(i, 1));
  assert.equal(s.disconnects, 0, `${MAX_PUSH_QUEUE} waiting is still allowed`);
  assert.equal(budget.bytes, PUSH_WINDOW + MAX_PUSH_QUEUE);
  s.queue.push(g, raw(0, 1));
  assert.equal(s.disconnects, 1);
  assert.deepEqual(s.counters, { notificationsSent: PUSH_WINDOW, notificationsFailed: 1 });
  assert.equal(budget.bytes, 0, 'everything it held released, in flight included');
  assert.ok(s.logger.lines.some((l) => l === `warn many: subscriber is not keeping up (${MAX_PUSH_QUEUE} pushes queued); disconnecting it`), s.logger.lines.join('\n'));
  assert.equal(budget.evictions, 1, 'counted as every subscriber disconnected for falling behind (the metrics read it)');
  for (const x of s.conn.sent) x.answer();
  await settle();
  assert.equal(s.conn.sent.length, PUSH_WINDOW, 'the queue was dropped');
});

test('evict() disconnects once, however often it is called', () => {
  const { budget } = budgetOf(1000);
  const s = subscriber(budget);
  s.queue.push(ghid(1), raw(0));
  s.queue.evict();
  s.queue.evict();
  assert.equal(s.disconnects, 1);
  assert.equal(budget.bytes, 0);
});

test('clear() (the connection closed) drops what waits and gives back every byte, in flight included; late answers change nothing', async () => {
  const { budget } = budgetOf(1_000_000);
  const s = subscriber(budget);
  const keep = subscriber(budget, 'keep');
  keep.queue.push(ghid(9), raw(0, 7));
  const g = ghid(5);
  for (let i = 0; i < PUSH_WINDOW + 20; i++) s.queue.push(g, raw(i));
  s.queue.replay(g, [raw(1), raw(2)]);
  assert.equal(budget.bytes, (PUSH_WINDOW + 20) * 10 + 7);
  // The server: the connection's close listener clears the queue.
  s.conn.isOpen = false;
  s.queue.clear();
  assert.equal(budget.bytes, 7);
  assert.equal(budget.heldBy(s.queue), 0);
  for (const x of s.conn.sent) x.fail(new Error('connection closed'));
  await settle();
  assert.equal(budget.bytes, 7, 'the late failures release nothing more (not the other subscriber’s share)');
  assert.equal(s.conn.sent.length, PUSH_WINDOW, 'nothing queued was sent after');
  assert.deepEqual(s.counters, { notificationsSent: PUSH_WINDOW, notificationsFailed: PUSH_WINDOW });
  assert.equal(s.disconnects, 0, 'closing is not an eviction');
  // And on a closed connection, pushes and replays are ignored.
  s.queue.push(g, raw(0));
  s.queue.replay(g, [raw(0)]);
  assert.equal(s.conn.sent.length, PUSH_WINDOW);
  assert.equal(budget.bytes, 7);
});

test('a connection found closed while pumping: what waits is dropped and released, never sent', async () => {
  const { budget } = budgetOf(1_000_000);
  const s = subscriber(budget);
  const g = ghid(6);
  for (let i = 0; i < PUSH_WINDOW + 3; i++) s.queue.push(g, raw(i));
  s.queue.replay(g, [raw(100), raw(101)]);
  s.conn.isOpen = false; // closed, and the close listener has not run yet
  s.conn.sent[0]!.answer();
  await settle();
  assert.equal(s.conn.sent.length, PUSH_WINDOW);
  assert.equal(budget.bytes, (PUSH_WINDOW - 1) * 10, 'the three queued and the two replays released; the rest still in flight');
  assert.equal(s.counters.notificationsSent, PUSH_WINDOW);
  for (const x of s.conn.sent) x.answer();
  await settle();
  assert.equal(budget.bytes, 0);
});

test('replayed requests go behind the live pushes, charged only once sent: a catch-up larger than the budget completes a window at a time', async () => {
  const { budget, evicted } = budgetOf(2000);
  const s = subscriber(budget);
  const g = ghid(8);
  const replays = Array.from({ length: 300 }, (_, i) => raw(i, 10)); // 3000 bytes > the budget
  s.queue.push(g, raw(250, 10));
  s.queue.replay(g, replays);
  s.queue.replay(g, []); // nothing to replay: nothing happens
  assert.equal(s.conn.sent.length, PUSH_WINDOW);
  assert.equal(pushOf(s.conn.sent[0]!)[0], 250, 'the live push first');
  assert.equal(budget.bytes, PUSH_WINDOW * 10, 'replays not yet sent are not charged');
  // A live push arriving mid-replay goes ahead of the replays still waiting.
  s.queue.push(g, raw(251, 10));
  assert.equal(budget.bytes, PUSH_WINDOW * 10 + 10);
  s.conn.sent[0]!.answer();
  await settle();
  assert.equal(pushOf(s.conn.sent[PUSH_WINDOW]!)[0], 251);
  let guard = 0;
  while (s.conn.sent.length < 302 && guard++ < 20) {
    for (const x of s.conn.sent) x.answer();
    await settle();
  }
  for (const x of s.conn.sent) x.answer();
  await settle();
  assert.equal(s.conn.sent.length, 302);
  assert.deepEqual(evicted, []);
  assert.equal(s.disconnects, 0);
  const order = s.conn.sent.map((x) => pushOf(x).readUInt8(0));
  assert.deepEqual(order.slice(0, 1), [250]);
  assert.equal(order[PUSH_WINDOW], 251);
  const replayed = order.filter((_, i) => i !== 0 && i !== PUSH_WINDOW);
  assert.deepEqual(
    replayed,
    replays.map((r) => r[0]),
    'replays in their order',
  );
  assert.deepEqual(s.counters, { notificationsSent: 302, notificationsFailed: 0 });
  assert.equal(budget.bytes, 0);
});

test('a replay that cannot be charged disconnects the heaviest subscriber, possibly the one replaying', () => {
  const { budget, evicted } = budgetOf(500);
  const s = subscriber(budget, 'replayer');
  s.queue.replay(
    ghid(1),
    Array.from({ length: 60 }, (_, i) => raw(i, 10)),
  );
  // 50 fit in 500 bytes; the 51st finds the replayer itself the heaviest.
  assert.equal(s.conn.sent.length, 50);
  assert.deepEqual(evicted, [{ name: 'replayer', held: 500 }]);
  assert.equal(s.disconnects, 1);
  assert.equal(budget.bytes, 0);
  assert.deepEqual(s.counters, { notificationsSent: 50, notificationsFailed: 0 });
});
