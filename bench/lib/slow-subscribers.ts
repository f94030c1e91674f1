// The slow-subscriber phase of bench/server: hundreds of WebSocket subscribers that subscribe to
// the identity the load's GARQs are addressed to and then never read another byte (their TCP
// sockets paused), while clients publish. The server's memory must stay bounded by its push
// budget (server.push_budget_bytes), not grow with the number of slow peers, and come back once
// they are gone.
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { RemoteClient } from '../../src/core/remote/client.js';
import { encodeFrame } from '../../src/wire/index.js';

export interface SlowSubscribers {
  /** Sockets the server has closed so far (it disconnected them for falling behind). */
  closedByServer(): number;
  /** Closes (destroys) every socket still open. */
  close(): void;
}

/** `n` subscribers to `recipient` that stop reading once their `+S` is acknowledged. */
export async function connectSlowSubscribers(port: number, recipient: Uint8Array, n: number): Promise<SlowSubscribers> {
  const sockets: WebSocket[] = [];
  let closed = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      ws.on('error', () => {});
      ws.once('close', () => closed++);
      ws.once('open', () => {
        ws.once('message', () => {
          // Acknowledged: from now on this subscriber reads nothing at all.
          (ws as unknown as { _socket: Socket })._socket.pause();
          resolve();
        });
        ws.send(encodeFrame('+S', 1, recipient));
      });
      ws.once('unexpected-response', () => reject(new Error('subscriber refused')));
      sockets.push(ws);
    });
  // In groups, so the server's connection handling is not the thing measured.
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, one));
  return {
    closedByServer: () => closed,
    close: () => sockets.forEach((ws) => ws.terminate()),
  };
}

/** Publishes `raws` over `clients` connections with `window` in flight each; resolves with the count refused. */
export async function publishAll(port: number, raws: Buffer[], clients: number, window: number): Promise<{ seconds: number; errors: number }> {
  const conns = Array.from({ length: clients }, () => new RemoteClient({ host: '127.0.0.1', port, requestTimeoutMs: 120_000 }));
  for (const c of conns) c.start();
  await Promise.all(conns.map((c) => c.whenConnected(10_000)));
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    conns.flatMap((c) =>
      Array.from({ length: window }, async () => {
        while (next < raws.length) {
          const raw = raws[next++]!;
          await c.publish(raw).catch(() => errors++);
        }
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(conns.map((c) => c.close()));
  return { seconds, errors };
}
