// The SDK against a daemon that damages what it says, seeded so that a failure replays: a proxy
// between an app's HGXLink and a real daemon damages daemon → app frames at random (answers, and
// the update and share pushes another app causes). Every call must settle with a typed error or
// a result, within its timeout; nothing may escape as an uncaught exception or an unhandled
// rejection; and once the damage stops, the link works again. HGX_FUZZ_REQUESTS and
// HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ApiId, HGXLink, HgxError, JsonObj, UnreadableAnswer, type GhidText } from '../../packages/hgx/src/index.js';
import { decodeFrame, encodeAck } from '../../src/wire/index.js';
import { mutate, pick, rng } from '../fixtures/mutate.js';
import { until, world } from '../fixtures/ipc/world.js';

const CALLS = Number(process.env.HGX_FUZZ_REQUESTS ?? 150);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0x5d4e7a);
/** Longer than any one call may take: its request timeout, plus a reconnect's back-off. */
const SETTLE_MS = 5_000;

/** Forwards an app's WebSocket to the daemon's IPC port, damaging what comes back while `damage()` says so. */
async function damagingProxy(target: number, damage: (frame: Buffer) => Buffer | null) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const sockets = new Set<WebSocket>();
  wss.on('connection', (app) => {
    const daemon = new WebSocket(`ws://127.0.0.1:${target}/`, { perMessageDeflate: false });
    sockets.add(app).add(daemon);
    const early: RawData[] = [];
    app.on('message', (data) => (daemon.readyState === WebSocket.OPEN ? daemon.send(data) : early.push(data)));
    daemon.on('open', () => early.splice(0).forEach((d) => daemon.send(d)));
    daemon.on('message', (data) => {
      const frame = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      const out = damage(frame);
      if (out && app.readyState === WebSocket.OPEN) app.send(out);
    });
    const closeBoth = () => {
      app.terminate();
      daemon.terminate();
    };
    app.on('close', closeBoth).on('error', closeBoth);
    daemon.on('close', closeBoth).on('error', closeBoth);
  });
  return {
    port: (wss.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

test(`${CALLS} calls through a daemon whose answers and pushes are damaged: each settles typed, nothing escapes, the link recovers`, async (t) => {
  const rand = rng(SEED);
  let damaging = false;
  const counts = { passed: 0, damaged: 0, dropped: 0 };
  const w = await world();
  const a = await w.user(0, { offline: true });
  const proxy = await damagingProxy(a.port, (frame) => {
    if (!damaging || rand() < 0.5) return (counts.passed++, frame);
    // A lost frame is what a daemon that never answers looks like.
    if (rand() < 0.1) return (counts.dropped++, null);
    counts.damaged++;
    let out = mutate(frame, rand, 40);
    while (out.equals(frame)) out = mutate(frame, rand, 40);
    return out;
  });
  t.after(() => proxy.close());

  const escaped: unknown[] = [];
  const onEscape = (err: unknown) => void escaped.push(err);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  t.after(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  });

  const warnings: string[] = [];
  const link = await HGXLink.connect({
    port: proxy.port,
    daemonPort: a.port,
    tokenFile: a.tokenFile,
    requestTimeoutMs: 1_000,
    reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    logger: { warn: (m) => void warnings.push(m) },
  });
  // Another app, undamaged, whose writes the daemon pushes to the first as updates and shares.
  const other = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => Promise.all([link.close(), other.close()]));
  const seen: GhidText[] = [];
  await link.registerShareHandler(ApiId.JSON, (ghid) => void seen.push(ghid));
  const mine = await Promise.all([0, 1, 2].map((i) => link.new(JsonObj, { i })));
  const theirs = await Promise.all([0, 1].map((i) => other.new(JsonObj, { theirs: i })));
  const opened = await Promise.all(theirs.map((o) => link.get(JsonObj, o.ghid)));
  for (const o of opened) o.on('update', () => {});

  damaging = true;
  const outcomes = { ok: 0, typed: 0 };
  const kinds = new Map<string, number>();
  for (let i = 0; i < CALLS; i++) {
    const kind = pick(rand, 6);
    const call = (async () => {
      switch (kind) {
        case 0:
          return link.new(JsonObj, { i });
        case 1: {
          const o = mine[pick(rand, mine.length)]!;
          o.state = { i };
          return o.push();
        }
        case 2:
          return link.get(JsonObj, mine[pick(rand, mine.length)]!.ghid);
        case 3:
          return opened[pick(rand, opened.length)]!.sync();
        default: {
          // The other app's write: the daemon pushes it to the damaged link.
          const o = theirs[pick(rand, theirs.length)]!;
          o.state = { theirs: i };
          await o.push();
          return kind === 5 ? link.new(JsonObj, { after: i }) : undefined;
        }
      }
    })();
    const settled = await Promise.race([
      call.then(
        () => 'ok' as const,
        (err: unknown) => err,
      ),
      new Promise((r) => setTimeout(() => r('never settled'), SETTLE_MS)),
    ]);
    if (settled === 'ok') outcomes.ok++;
    else {
      assert.notEqual(settled, 'never settled', `call ${i} (kind ${kind}) never settled`);
      assert.ok(settled instanceof HgxError, `call ${i} (kind ${kind}) failed untyped: ${String(settled)}`);
      outcomes.typed++;
      kinds.set(settled.name, (kinds.get(settled.name) ?? 0) + 1);
    }
  }
  damaging = false;
  t.diagnostic(`frames: ${JSON.stringify(counts)}; calls: ${JSON.stringify(outcomes)} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); warnings: ${warnings.length}`);
  if (process.env.HGX_FUZZ_SHOW) t.diagnostic(warnings.join('\n'));
  assert.ok(counts.damaged > CALLS / 4, 'frames were damaged');
  assert.ok(outcomes.typed > 0, 'some calls failed');

  // Undamaged again: the link (reconnected if it had to) reads and writes.
  await until(() => link.connected, 'the link to be connected', 10_000);
  const after = await link.new(JsonObj, { recovered: true });
  assert.deepEqual((await other.get(JsonObj, after.ghid)).state, { recovered: true });
  assert.deepEqual(escaped, [], 'nothing escaped as an uncaught exception or unhandled rejection');
});

test("an answer that is not what the protocol says (a GHID of 7 bytes) is an UnreadableAnswer naming the verb; the link goes on", async (t) => {
  const w = await world();
  const a = await w.user(0, { offline: true });
  let cut = false;
  const proxy = await damagingProxy(a.port, (frame) => {
    if (!cut) return frame;
    const { code, token, body } = decodeFrame(frame);
    if (code !== 'AK' || body.length !== 65) return frame;
    cut = false;
    return Buffer.from(encodeAck(token, body.subarray(0, 7)));
  });
  t.after(() => proxy.close());
  const link = await HGXLink.connect({ port: proxy.port, daemonPort: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  cut = true;
  await assert.rejects(link.new(JsonObj, { n: 1 }), (err: unknown) => {
    assert.ok(err instanceof UnreadableAnswer, String(err));
    assert.match((err as Error).message, /answer to \+O could not be read: .*65 bytes, got 7/);
    return true;
  });
  assert.deepEqual((await link.new(JsonObj, { n: 2 })).state, { n: 2 });
});
