// NetworkIO against a scripted remote: a publish refused for now is held for the NK's
// retryAfterMs field (never for anything read from the message) and resent in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { NetworkIO } from '../../../src/core/daemon/network-io.js';
import { DoesNotExist, RemoteNak, parseObject } from '../../../src/core/golix/index.js';
import { ONE } from '../../../src/core/remote/bodies.js';
import { Connection } from '../../../src/core/remote/connection.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { vectors } from '../../fixtures/remote/setup.js';
import { until } from '../../fixtures/wait.js';

const RETRY_AFTER_MS = 400;

/** A remote that takes every publish, except the one of `refuseOnce` the first time: NK 000A with only the NK fields saying when. */
async function scriptedRemote(refuseOnce: string) {
  const arrivals: { ghid: string; at: number; refused: boolean }[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    new Connection(ws, {
      handlers: {
        PB: (body) => {
          const ghid = parseObject(body).ghid.text;
          const refused = ghid === refuseOnce && !arrivals.some((a) => a.refused);
          arrivals.push({ ghid, at: Date.now(), refused });
          // The message names no time: only the field can tell the daemon when to come back.
          if (refused) throw new RemoteNak('Not now', { retryAfterMs: RETRY_AFTER_MS, reason: 'rate_identity' });
          return ONE;
        },
        GT: () => {
          throw new DoesNotExist('Nothing here');
        },
      },
    });
  });
  return { arrivals, port: (wss.address() as AddressInfo).port, close: () => new Promise<void>((r) => wss.close(() => r())) };
}

test("a publish a remote refuses for now is resent after the NK's retryAfterMs, in order, and not dropped", async (t) => {
  const objects = vectors().gidcs.slice(0, 3).map((o) => o.obj);
  assert.equal(objects.length, 3);
  const remote = await scriptedRemote(objects[1]!.ghid.text);
  const dir = await mkdtemp(join(tmpdir(), 'hgx-netio-'));
  const { engine } = await RulesEngine.open(new MemoryStore());
  const io = await NetworkIO.open({
    engine,
    identity: () => null,
    remotes: [{ host: '127.0.0.1', port: remote.port, tls: false }],
    outboxDir: join(dir, 'outbox'),
    logger: silentLogger,
    client: { heartbeatMs: 0 },
  });
  t.after(async () => {
    await io.close();
    await remote.close();
    await rm(dir, { recursive: true, force: true });
  });
  io.start();
  await io.whenConnected(2000);

  await io.publish(...objects);
  await until(() => io.status()[0]!.pending === 0, 'the outbox to drain', 5000);

  const texts = objects.map((o) => o.ghid.text);
  assert.deepEqual(
    remote.arrivals.map((a) => [texts.indexOf(a.ghid), a.refused]),
    [[0, false], [1, true], [1, false], [2, false]],
    'the refused publish and everything after it waited, in order',
  );
  const waited = remote.arrivals[2]!.at - remote.arrivals[1]!.at;
  // The daemon adds up to 20 % jitter; timers may fire a millisecond early.
  assert.ok(waited >= RETRY_AFTER_MS - 5 && waited < RETRY_AFTER_MS * 1.2 + 500, `resent ${waited} ms after the refusal`);
});
