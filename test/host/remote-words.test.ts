// A remote's failure in plain words, from the socket error's code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { WebSocket } from 'ws';
import { remoteProblemWords } from '../../src/host/remote-words.js';

/** The error a real socket gives when connecting to `url`. */
function failureOf(url: string): Promise<{ code: string | null; message: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code ?? null, message: err.message }));
  });
}

test('a refused port and an unknown host read as what the user can do about them', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  assert.match(remoteProblemWords(await failureOf(`ws://127.0.0.1:${port}/`))!, /Connection refused: nothing listens on that port/);
  assert.match(remoteProblemWords(await failureOf('ws://no-such-host.invalid:7770/'))!, /Host not found/);
  assert.equal(remoteProblemWords(null), 'Connecting…');
  assert.match(remoteProblemWords({ code: null, message: 'Unexpected server response: 403' })!, /refused the connection \(HTTP 403\)/);
  assert.equal(remoteProblemWords({ code: 'EWHATEVER', message: 'something odd' }), 'something odd');
});
