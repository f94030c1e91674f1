// The cross-node push channel on its own, without a database: the NOTIFY payload format, and the
// LISTEN connection's life (start, notifications, loss, reconnection, close) against a fake
// listener. The real-PostgreSQL side is in engine.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { Ghid } from '../../../src/core/golix/index.js';
import { createMemoryLogger, type MemoryLogger } from '../../../src/core/log/index.js';
import {
  CHANNEL,
  PushChannel,
  announce,
  decodePayload,
  encodePayloads,
  type Announcement,
} from '../../../src/core/postgres/push-channel.js';
import type { SqlClient, SqlListener, SqlResult } from '../../../src/core/postgres/sql.js';
import { until } from '../../fixtures/wait.js';
import { manifest } from '../../fixtures/vectors.js';

// A node's name on the channel is a randomUUID() (PostgresEngine.node).
const NODE = randomUUID();
const OTHER = randomUUID();
const RETRY = 10;

// Real GHID texts first (the reference vectors), then fresh ones of the same shape.
const REAL_GHIDS = manifest().objects.map((o) => o.ghid);
function ghidText(i: number): string {
  return REAL_GHIDS[i] ?? Ghid.fromDigest(randomBytes(64)).text;
}
function announcements(n: number): Announcement[] {
  return Array.from({ length: n }, (_, i) => ({ subscribed: ghidText(2 * i), object: ghidText(2 * i + 1) }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const warnings = (log: MemoryLogger) => log.lines.filter((l) => / WARN /.test(l));

// ---------------------------------------------------------------------------------------------
// The payload format

test('GHID texts used here have the real shape (88 characters, no space nor colon)', () => {
  for (const a of announcements(50)) {
    for (const t of [a.subscribed, a.object]) {
      assert.equal(t.length, 88);
      assert.ok(Ghid.tryText(t), t);
      assert.ok(!/[ :]/.test(t), t);
    }
  }
});

for (const [n, payloads] of [
  [0, 0],
  [1, 1],
  [40, 1],
  [41, 2],
  [1000, 25],
] as const) {
  test(`${n} announcements: ${payloads} payload(s), which decode back to the node and the same items in order`, () => {
    const items = announcements(n);
    const encoded = encodePayloads(NODE, items);
    assert.equal(encoded.length, payloads);
    const back: Announcement[] = [];
    for (const p of encoded) {
      const d = decodePayload(p);
      assert.ok(d, p.slice(0, 60));
      assert.equal(d.node, NODE);
      back.push(...d.items);
    }
    assert.deepEqual(back, items);
    // Only the last payload may be short: the others are full, so a commit takes few NOTIFYs.
    encoded.slice(0, -1).forEach((p) => assert.equal(decodePayload(p)!.items.length, 40));
  });
}

test('every payload stays under PostgreSQL’s 8000-byte NOTIFY limit for a UUID node name', () => {
  const encoded = encodePayloads(NODE, announcements(1000));
  const largest = Math.max(...encoded.map((p) => Buffer.byteLength(p, 'utf8')));
  assert.ok(largest < 8000, `largest payload ${largest} bytes`);
  // A full payload really is 40 pairs of 178 bytes after the node: the limit is checked on the worst case.
  assert.equal(largest, NODE.length + 40 * 178);
});

test('decodePayload refuses malformed payloads with null', () => {
  const [g1, g2] = [ghidText(0), ghidText(1)];
  for (const bad of [
    '',
    ` ${g1}:${g2}`, // no node
    `${NODE} ${g1}${g2}`, // a pair without colon
    `${NODE} ${g1}:${g2}:${g1}`, // two colons
    `${NODE} ${g1}:${g2}:`, // two colons, the third side empty
    `${NODE} :${g2}`, // empty subscribed side
    `${NODE} ${g1}:`, // empty object side
    `${NODE} :`, // both sides empty
    `${NODE} ${g1}:${g2}  ${g1}:${g2}`, // an empty pair between two spaces
    `${NODE} `, // a trailing space: one empty pair
  ]) {
    assert.equal(decodePayload(bad), null, JSON.stringify(bad.slice(0, 50)));
  }
  // Good pairs before a bad one do not save the payload.
  assert.equal(decodePayload(`${NODE} ${g1}:${g2} ${g1}`), null);
});

test('decodePayload accepts a node with no pairs (nothing announced)', () => {
  assert.deepEqual(decodePayload(NODE), { node: NODE, items: [] });
});

// ---------------------------------------------------------------------------------------------
// announce()

class RecordingClient implements SqlClient {
  readonly queries: { text: string; values: readonly unknown[] | undefined }[] = [];
  async query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> {
    this.queries.push({ text, values });
    return { rows: [], rowCount: 0 };
  }
}

test('announce() sends nothing for a commit that announces nothing', async () => {
  const client = new RecordingClient();
  await announce(client, NODE, []);
  assert.deepEqual(client.queries, []);
});

test('announce() sends one query on the channel with every payload as its parameter', async () => {
  const client = new RecordingClient();
  const items = announcements(41);
  await announce(client, NODE, items);
  assert.equal(client.queries.length, 1);
  const q = client.queries[0]!;
  assert.match(q.text, /pg_notify\(\$1, p\)/);
  assert.deepEqual(q.values, [CHANNEL, encodePayloads(NODE, items)]);
  assert.equal((q.values![1] as string[]).length, 2);
});

// ---------------------------------------------------------------------------------------------
// The listening connection

interface FakePlan {
  /** connect() rejects with it. */
  failConnect?: Error;
  /** connect() waits for it. */
  connectGate?: Promise<void>;
  /** The LISTEN query rejects with it. */
  failListen?: Error;
  /** Run synchronously as the LISTEN query resolves, before its caller resumes (same tick). */
  onListened?: (c: FakeListener) => void;
}

/** A node-postgres Client as far as SqlListener goes: records what it is asked, fails on demand. */
class FakeListener extends EventEmitter implements SqlListener {
  readonly queries: string[] = [];
  connects = 0;
  ends = 0;
  constructor(private readonly plan: FakePlan = {}) {
    super();
  }
  async connect(): Promise<void> {
    this.connects++;
    if (this.plan.connectGate) await this.plan.connectGate;
    if (this.plan.failConnect) throw this.plan.failConnect;
  }
  query<R = Record<string, unknown>>(text: string): Promise<SqlResult<R>> {
    this.queries.push(text);
    if (this.plan.failListen) return Promise.reject(this.plan.failListen);
    const done = Promise.resolve({ rows: [] as R[], rowCount: null });
    this.plan.onListened?.(this);
    return done;
  }
  async end(): Promise<void> {
    this.ends++;
  }
  notify(channel: string, payload: string | undefined): void {
    this.emit('notification', { channel, payload });
  }
}

/** A channel whose n-th connection follows plans[n] (default: all goes well). */
function harness(plans: FakePlan[] = []) {
  const clients: FakeListener[] = [];
  const heard: Announcement[][] = [];
  const lost: string[] = [];
  const log = createMemoryLogger({ name: 'hgxserver' });
  const channel = new PushChannel({
    node: NODE,
    connect: async () => {
      const c = new FakeListener(plans[clients.length] ?? {});
      clients.push(c);
      return c;
    },
    heard: (items) => heard.push(items),
    lost: (reason) => lost.push(reason),
    log,
    retryMs: RETRY,
  });
  return { channel, clients, heard, lost, log };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

test('start() connects, LISTENs on hypergolix_push, and the channel is up', async () => {
  const h = harness();
  assert.equal(h.channel.up, false);
  await h.channel.start();
  assert.equal(h.clients.length, 1);
  assert.equal(h.clients[0]!.connects, 1);
  assert.deepEqual(h.clients[0]!.queries, ['LISTEN hypergolix_push']);
  assert.equal(h.channel.up, true);
  assert.deepEqual(h.lost, []);
  await h.channel.close();
});

test('start() rejects when the first connection fails, ends that client, and does not retry by itself', async () => {
  const h = harness([{ failConnect: new Error('ECONNREFUSED') }]);
  await assert.rejects(h.channel.start(), /ECONNREFUSED/);
  assert.equal(h.clients[0]!.ends, 1);
  assert.equal(h.channel.up, false);
  // The caller decides what a failed start means: no reconnection behind its back.
  await sleep(RETRY * 5);
  assert.equal(h.clients.length, 1);
  assert.deepEqual(h.lost, []);
  await h.channel.close();
});

test('start() rejects when LISTEN fails, and ends that client', async () => {
  const h = harness([{ failListen: new Error('permission denied') }]);
  await assert.rejects(h.channel.start(), /permission denied/);
  assert.equal(h.clients[0]!.ends, 1);
  assert.equal(h.channel.up, false);
  await h.channel.close();
});

test('notifications on another channel, or without payload, are ignored silently', async () => {
  const h = harness();
  await h.channel.start();
  const payload = encodePayloads(OTHER, announcements(2))[0]!;
  h.clients[0]!.notify('some_other_channel', payload);
  h.clients[0]!.notify(CHANNEL, undefined);
  assert.deepEqual(h.heard, []);
  assert.deepEqual(warnings(h.log), []);
  await h.channel.close();
});

test('a malformed announcement is ignored with a warning, and the channel stays up', async () => {
  const h = harness();
  await h.channel.start();
  h.clients[0]!.notify(CHANNEL, `${OTHER} not-a-pair`);
  assert.deepEqual(h.heard, []);
  assert.equal(warnings(h.log).length, 1);
  assert.match(warnings(h.log)[0]!, /malformed cross-node push announcement/);
  assert.equal(h.channel.up, true);
  // The next good one still gets through.
  const items = announcements(3);
  h.clients[0]!.notify(CHANNEL, encodePayloads(OTHER, items)[0]!);
  assert.deepEqual(h.heard, [items]);
  await h.channel.close();
});

test('other nodes’ announcements are heard, decoded; the node’s own and empty ones are not', async () => {
  const h = harness();
  await h.channel.start();
  const c = h.clients[0]!;
  // Our own commits were already pushed locally: hearing them back would push them twice.
  for (const p of encodePayloads(NODE, announcements(5))) c.notify(CHANNEL, p);
  assert.deepEqual(h.heard, []);
  c.notify(CHANNEL, OTHER); // another node, nothing announced
  assert.deepEqual(h.heard, []);
  const items = announcements(45);
  for (const p of encodePayloads(OTHER, items)) c.notify(CHANNEL, p);
  assert.deepEqual(h.heard, [items.slice(0, 40), items.slice(40)]);
  assert.deepEqual(warnings(h.log), []);
  await h.channel.close();
});

for (const [event, emit, reason] of [
  ['error', (c: FakeListener) => c.emit('error', new Error('terminating connection due to administrator command')), /terminating connection due to administrator command/],
  ['end', (c: FakeListener) => c.emit('end'), /connection closed/],
] as const) {
  test(`losing the connection ('${event}'): lost once with the reason, down, warned; then back on a new client, lost again "is back"`, async () => {
    const h = harness();
    await h.channel.start();
    const first = h.clients[0]!;
    emit(first);
    assert.equal(h.channel.up, false);
    assert.equal(h.lost.length, 1);
    assert.match(h.lost[0]!, /^lost the cross-node push channel/);
    assert.match(h.lost[0]!, reason);
    assert.equal(first.ends, 1);
    assert.equal(warnings(h.log).length, 1);
    assert.match(warnings(h.log)[0]!, reason);
    // Nothing before the retry period: a server restarting is not hammered.
    assert.equal(h.clients.length, 1);

    await until(() => h.channel.up, 'the channel to listen again', 1000, 2);
    assert.equal(h.clients.length, 2);
    const second = h.clients[1]!;
    assert.notEqual(second, first);
    assert.equal(second.connects, 1);
    assert.deepEqual(second.queries, ['LISTEN hypergolix_push']);
    assert.equal(h.lost.length, 2);
    assert.match(h.lost[1]!, /the cross-node push channel is back; resubscribe to catch up/);
    assert.ok(h.log.lines.some((l) => / INFO .*listening again/.test(l)), h.log.lines.join('\n'));

    // The new client is the one heard; the old one is forgotten.
    const items = announcements(2);
    second.notify(CHANNEL, encodePayloads(OTHER, items)[0]!);
    assert.deepEqual(h.heard, [items]);
    await h.channel.close();
    assert.equal(second.ends, 1);
  });
}

test("'error' then 'end' on the same client count as one loss and one reconnection", async () => {
  const h = harness();
  await h.channel.start();
  const first = h.clients[0]!;
  first.emit('error', new Error('read ECONNRESET'));
  first.emit('end');
  await until(() => h.channel.up, 'the channel to listen again', 1000, 2);
  await sleep(RETRY * 4);
  assert.equal(h.clients.length, 2);
  assert.equal(h.lost.length, 2);
  assert.match(h.lost[0]!, /ECONNRESET/);
  assert.match(h.lost[1]!, /is back/);
  assert.equal(warnings(h.log).length, 1);
  assert.equal(first.ends, 1);
  // A late event from the old client does not take the new one down.
  first.emit('end');
  assert.equal(h.channel.up, true);
  assert.equal(h.lost.length, 2);
  await h.channel.close();
});

test('a failed reconnection is retried later, without telling the clients again', async () => {
  const h = harness([{}, { failConnect: new Error('ECONNREFUSED') }, { failListen: new Error('the database system is starting up') }]);
  await h.channel.start();
  h.clients[0]!.emit('end');
  await until(() => h.channel.up, 'the channel to listen again', 1000, 2);
  assert.equal(h.clients.length, 4);
  assert.equal(h.clients[1]!.ends, 1);
  assert.equal(h.clients[2]!.ends, 1);
  assert.deepEqual(h.clients[3]!.queries, ['LISTEN hypergolix_push']);
  // One loss, one return: the failed attempts in between are nobody's business.
  assert.equal(h.lost.length, 2);
  assert.match(h.lost[0]!, /connection closed/);
  assert.match(h.lost[1]!, /is back/);
  await h.channel.close();
});

test('close() ends the client, the channel is down, and a drop after close is not reported', async () => {
  const h = harness();
  await h.channel.start();
  const c = h.clients[0]!;
  await h.channel.close();
  assert.equal(c.ends, 1);
  assert.equal(h.channel.up, false);
  // node-postgres emits 'end' once end() has closed the socket: that is not a loss.
  c.emit('end');
  c.emit('error', new Error('late'));
  await sleep(RETRY * 4);
  assert.deepEqual(h.lost, []);
  assert.deepEqual(warnings(h.log), []);
  assert.equal(h.clients.length, 1);
});

test('close() cancels a pending reconnection', async () => {
  const h = harness();
  await h.channel.start();
  h.clients[0]!.emit('end');
  assert.equal(h.lost.length, 1);
  await h.channel.close();
  await sleep(RETRY * 5);
  assert.equal(h.clients.length, 1);
  assert.equal(h.channel.up, false);
  assert.equal(h.lost.length, 1);
});

test('close() during start(): the client connected afterwards is ended and the channel stays down', async () => {
  const g = gate();
  const h = harness([{ connectGate: g.promise }]);
  const started = h.channel.start();
  await until(() => h.clients[0]?.connects === 1, 'the connection attempt', 1000, 1);
  await h.channel.close();
  g.open();
  await started;
  const c = h.clients[0]!;
  assert.equal(c.ends, 1);
  assert.equal(h.channel.up, false);
  await sleep(RETRY * 4);
  assert.equal(h.clients.length, 1);
  assert.deepEqual(h.lost, []);
  // Its 'end', once ended, is not a loss either.
  c.emit('end');
  assert.deepEqual(h.lost, []);
});

test('close() during a reconnection: that client is ended, the channel stays down, no "is back"', async () => {
  const g = gate();
  const h = harness([{}, { connectGate: g.promise }]);
  await h.channel.start();
  h.clients[0]!.emit('end');
  await until(() => h.clients[1]?.connects === 1, 'the reconnection attempt', 1000, 1);
  await h.channel.close();
  g.open();
  await until(() => h.clients[1]!.ends === 1, 'the late client to be ended', 1000, 1);
  await sleep(RETRY * 4);
  assert.equal(h.channel.up, false);
  assert.equal(h.clients.length, 2);
  assert.equal(h.lost.length, 1);
  assert.doesNotMatch(h.lost[0]!, /is back/);
});

// node-postgres resolves a query on ReadyForQuery and keeps parsing the same network chunk: an
// ErrorResponse right behind it (e.g. 57P01, the server shutting down) emits 'error' before the
// awaiting code resumes. The channel must not then count that dead client as listening.
test('a connection that fails as its LISTEN completes is not taken for a listening one (start)', async () => {
  const h = harness([{ onListened: (c) => c.emit('error', new Error('terminating connection due to administrator command')) }]);
  await h.channel.start().catch(() => {});
  await sleep(RETRY * 5);
  const last = h.clients.at(-1)!;
  assert.ok(!h.channel.up || last.ends === 0, `up: ${h.channel.up} on client #${h.clients.length}, which was ended (${last.ends})`);
  await h.channel.close();
});

test('a connection that fails as its LISTEN completes is not taken for a listening one (reconnection)', async () => {
  const h = harness([{}, { onListened: (c) => c.emit('error', new Error('terminating connection due to administrator command')) }]);
  await h.channel.start();
  h.clients[0]!.emit('end');
  // Expected: the second client's loss is noticed and a third one listens.
  await until(() => h.clients.length >= 3 && h.channel.up, 'a third client to listen', 300, 2).catch(() => {});
  const last = h.clients.at(-1)!;
  assert.ok(h.channel.up, 'the channel should listen again');
  assert.equal(last.ends, 0, `up on client #${h.clients.length}, which was already ended`);
  assert.ok(h.clients.length >= 3, `only ${h.clients.length} clients: the failed second one was never replaced`);
  await h.channel.close();
});
