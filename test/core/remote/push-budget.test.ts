import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { Ghid } from '../../../src/core/golix/index.js';
import type { RemoteClient } from '../../../src/core/remote/client.js';
import { PUSH_BUDGET_REASON, PushBudget, type BudgetHolder } from '../../../src/core/remote/push-budget.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { encodeFrame } from '../../../src/wire/index.js';
import { RawPeer, memoryLogger, waitFor } from '../../fixtures/remote/helpers.js';
import { startServer } from '../../fixtures/remote/setup.js';
import { requests } from '../../fixtures/server/objects.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

function holder(name: string, evicted: string[]): BudgetHolder {
  return { name, evict: () => void evicted.push(name) };
}

test('PushBudget: what fits is charged; past the budget the heaviest holder is evicted, and its share released', () => {
  const evicted: string[] = [];
  const budget = new PushBudget({ bytes: 100 });
  const [a, b, c] = [holder('a', evicted), holder('b', evicted), holder('c', evicted)];
  assert.equal(budget.reserve(a, 60), true);
  assert.equal(budget.reserve(b, 30), true);
  assert.equal(budget.bytes, 90);
  budget.release(a, 10);
  assert.equal(budget.heldBy(a), 50);
  // c needs 30: a (the heaviest, 50) goes, and c fits.
  assert.equal(budget.reserve(c, 30), true);
  assert.deepEqual(evicted, ['a']);
  assert.equal(budget.bytes, 60);
  assert.equal(budget.evictions, 1);
  // b is now the heaviest holder asking for more than fits: b itself goes, its push is dropped.
  assert.equal(budget.reserve(b, 80), false);
  assert.deepEqual(evicted, ['a', 'b']);
  assert.equal(budget.bytes, 30);
  // A push larger than the whole budget, with nothing else held, evicts its own holder.
  budget.forget(c);
  assert.equal(budget.reserve(c, 101), false);
  assert.deepEqual(evicted, ['a', 'b', 'c']);
  assert.equal(budget.bytes, 0);
});

/** The TCP socket under a RemoteClient, to make it stop reading (as a slow peer would). */
function tcpOf(client: RemoteClient): Socket {
  return (client as unknown as { socket: WebSocket & { _socket: Socket } }).socket._socket;
}

test('a subscriber that stops reading is disconnected with 1013 push_budget; the client reconnects, resubscribes and catches up; the memory comes back', async (t) => {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const logger = memoryLogger();
  const s = await startServer({ engine, pushBudgetBytes: 1024 * 1024, logger });
  t.after(() => s.stop());
  const sender = v16Identity(0);
  const recipient = v16Identity(1).publicIdentity;
  const garqs = requests(sender, recipient, 1500);
  const publisher = await s.client();
  await publisher.publish(sender.publicIdentity.gidc.raw);
  await publisher.publish(recipient.gidc.raw);

  // A raw subscriber that never reads, and a client that stops reading for a while.
  const raw = await RawPeer.connect(s.url);
  raw.send(encodeFrame('+S', 1, recipient.ghid.bytes));
  await raw.next();
  const slow = await s.client();
  const heard = new Set<string>();
  slow.on('notification', (_s: Ghid, body: Buffer) => void heard.add(body.toString('base64')));
  const closes: { code: number; reason: string }[] = [];
  slow.on('disconnected', (info) => void closes.push(info));
  // Resubscribing on every (re)connect is the client's side of catching up (the daemon does this).
  slow.on('connected', () => void slow.subscribe(recipient.ghid).catch(() => {}));
  await slow.subscribe(recipient.ghid);
  (raw.socket as unknown as { _socket: Socket })._socket.pause();
  tcpOf(slow).pause();

  for (const g of garqs) await publisher.publish(g);
  await waitFor(() => s.server.metrics.refusalsOf('push_budget') >= 2, 10_000, 'both slow subscribers disconnected');
  assert.ok(logger.lines.some((l) => l.includes('fell behind') && l.includes('disconnecting it')), 'the server says why, with the budget');
  // The client reads again: it finds its connection closed — with 1013 push_budget if the close
  // frame got through before the socket was dropped (behind everything it had not read, it
  // usually cannot), else 1006 — and reconnects.
  tcpOf(slow).resume();
  await waitFor(() => closes.length > 0, 10_000, 'the client saw its disconnection');
  assert.ok(closes[0]!.code === 1006 || (closes[0]!.code === 1013 && closes[0]!.reason === PUSH_BUDGET_REASON), JSON.stringify(closes[0]));
  await slow.whenConnected(10_000);
  await waitFor(() => heard.size === garqs.length, 20_000, 'every request, replayed on +S after the reconnect');

  (raw.socket as unknown as { _socket: Socket })._socket.resume();
  const info = await raw.closed(5000);
  assert.ok(info.code === 1013 || info.code === 1006, `raw peer closed with ${info.code}`);
  await waitFor(() => s.server.connectionCount === 2, 5000, 'the raw subscriber gone');
  const metrics = await fetch(`http://127.0.0.1:${s.port}/metrics`).then((r) => r.text());
  assert.match(metrics, /hypergolix_push_budget_bytes 1048576/);
  await until(async () => /hypergolix_push_queue_bytes 0\n/.test(await fetch(`http://127.0.0.1:${s.port}/metrics`).then((r) => r.text())), 'the budget back to 0');
});
