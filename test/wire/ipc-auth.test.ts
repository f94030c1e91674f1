// The IPC key proof (src/wire/ipc-auth.ts) as bytes and as the app's side of the exchange: what a
// proof covers, bodies of the wrong size, and a listener that does not hold the key (or relays
// another port's daemon) learning nothing but a nonce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import {
  AUTH_NONCE_BYTES,
  AUTH_PROOF_BYTES,
  IpcVerb,
  MalformedGolixPrimitive,
  NotThisDaemon,
  ONE,
  bytesEqual,
  decodeAuthChallenge,
  decodeAuthChallengeAnswer,
  decodeAuthProof,
  encodeAuthChallengeAnswer,
  keyProof,
  proofMessage,
  proveKeyToDaemon,
  type AuthRequest,
} from '../../src/wire/index.js';

const KEY = new Uint8Array(randomBytes(32));
const nonce = () => new Uint8Array(randomBytes(AUTH_NONCE_BYTES));

/** A daemon's side made of the wire's functions, holding `key` on `port`; it records what it was sent. */
function daemonSide(key: Uint8Array, port: number) {
  const sent: { verb: string; body: Uint8Array }[] = [];
  let pending: { app: Uint8Array; daemon: Uint8Array } | null = null;
  let admitted = false;
  const request: AuthRequest = async (verb, body) => {
    sent.push({ verb, body: body.slice() });
    if (verb === IpcVerb.authChallenge) {
      const app = decodeAuthChallenge(body);
      const daemon = nonce();
      pending = { app, daemon };
      return encodeAuthChallengeAnswer(daemon, keyProof(key, 'daemon', port, app, daemon));
    }
    admitted = !!pending && bytesEqual(decodeAuthProof(body), keyProof(key, 'app', port, pending.app, pending.daemon));
    if (!admitted) throw new Error('refused');
    return ONE;
  };
  return { request, sent, admitted: () => admitted };
}

test('a proof is the HMAC-SHA-256 of the role label, a zero byte, the port (u16 BE) and both nonces, app first', () => {
  const app = nonce();
  const daemon = nonce();
  const message = proofMessage('daemon', 0x1b44, app, daemon);
  const label = Buffer.from('hypergolix ipc key proof v1 daemon\0');
  assert.deepEqual(Buffer.from(message), Buffer.concat([label, Buffer.of(0x1b, 0x44), app, daemon]));
  assert.deepEqual(Buffer.from(keyProof(KEY, 'daemon', 7000, app, daemon)), createHmac('sha256', KEY).update(proofMessage('daemon', 7000, app, daemon)).digest());
  assert.equal(keyProof(KEY, 'app', 7000, app, daemon).length, AUTH_PROOF_BYTES);
});

test('every input changes the proof: role, port, either nonce, the key', () => {
  const app = nonce();
  const daemon = nonce();
  const base = Buffer.from(keyProof(KEY, 'app', 7772, app, daemon)).toString('hex');
  const variants = [
    keyProof(KEY, 'daemon', 7772, app, daemon),
    keyProof(KEY, 'app', 7773, app, daemon),
    keyProof(KEY, 'app', 7772, daemon, app),
    keyProof(KEY, 'app', 7772, nonce(), daemon),
    keyProof(KEY, 'app', 7772, app, nonce()),
    keyProof(new Uint8Array(randomBytes(32)), 'app', 7772, app, daemon),
  ].map((p) => Buffer.from(p).toString('hex'));
  assert.equal(new Set([base, ...variants]).size, variants.length + 1);
});

test('ports outside 1–65535 and nonces or bodies of the wrong size are MalformedGolixPrimitive', () => {
  for (const port of [0, -1, 65536, 1.5, NaN]) assert.throws(() => proofMessage('app', port, nonce(), nonce()), MalformedGolixPrimitive, String(port));
  assert.throws(() => proofMessage('app', 1, nonce().subarray(1), nonce()), /app nonce is 32 bytes, got 31/);
  assert.throws(() => proofMessage('app', 1, nonce(), new Uint8Array(33)), /daemon nonce is 32 bytes, got 33/);
  assert.throws(() => decodeAuthChallenge(new Uint8Array(0)), /AC body .* is 32 bytes, got 0/);
  assert.throws(() => decodeAuthProof(new Uint8Array(64)), /AP body .* is 32 bytes, got 64/);
  assert.throws(() => decodeAuthChallengeAnswer(new Uint8Array(63)), /answer to AC is 64 bytes, got 63/);
  assert.throws(() => encodeAuthChallengeAnswer(nonce(), new Uint8Array(31)), /daemon proof is 32 bytes/);
  assert.throws(() => proofMessage('app', 1, 'x'.repeat(32) as unknown as Uint8Array, nonce()), /got string/);
});

test('decoded bodies are copies: the caller may reuse its buffer', () => {
  const body = nonce();
  const copy = body.slice();
  const decoded = decodeAuthChallenge(body);
  body.fill(0);
  assert.deepEqual(decoded, copy);
  const answer = encodeAuthChallengeAnswer(nonce(), nonce());
  const { daemonNonce } = decodeAuthChallengeAnswer(answer);
  const before = daemonNonce.slice();
  answer.fill(0);
  assert.deepEqual(daemonNonce, before);
});

test('the app proves the key to a daemon that holds it: AC with a fresh nonce, then AP; the key itself is never sent', async () => {
  const d = daemonSide(KEY, 7772);
  await proveKeyToDaemon(d.request, KEY, 7772);
  assert.equal(d.admitted(), true);
  assert.deepEqual(d.sent.map((s) => s.verb), [IpcVerb.authChallenge, IpcVerb.authProof]);
  for (const { body } of d.sent) assert.equal(Buffer.from(body).includes(Buffer.from(KEY)), false);
  const again = daemonSide(KEY, 7772);
  await proveKeyToDaemon(again.request, KEY, 7772);
  assert.notDeepEqual(again.sent[0]!.body, d.sent[0]!.body, 'a fresh app nonce each time');
});

test('a listener with another key, or a relay to a daemon on another port, gets NotThisDaemon and no proof of ours', async () => {
  for (const [what, listener] of [
    ['another key', daemonSide(new Uint8Array(randomBytes(32)), 7772)],
    ['the daemon on another port, relayed', daemonSide(KEY, 7773)],
  ] as const) {
    await assert.rejects(proveKeyToDaemon(listener.request, KEY, 7772), (err: unknown) => {
      assert.ok(err instanceof NotThisDaemon, `${what}: ${String(err)}`);
      assert.equal(err.port, 7772);
      assert.match(err.message, /could not prove it holds this IPC key \(its proof was not made with this key, or for this port\).*The key was not sent\./);
      return true;
    });
    assert.deepEqual(listener.sent.map((s) => s.verb), [IpcVerb.authChallenge], `${what}: only AC went out`);
  }
});

test('an answer to AC of any other size is NotThisDaemon naming its size; a refusal of AC is the caller\'s to read', async () => {
  for (const size of [0, 1, 32, 63, 65, 4096]) {
    const request: AuthRequest = async () => new Uint8Array(size);
    await assert.rejects(proveKeyToDaemon(request, KEY, 1), (err: unknown) => err instanceof NotThisDaemon && err.why === `its answer to AC was ${size} bytes, not 64`);
  }
  const refusal = new Error('Unknown request code "AC"');
  await assert.rejects(proveKeyToDaemon(async () => Promise.reject(refusal), KEY, 1), (err) => err === refusal);
});

test('the nonce comes from the random source given (Web Crypto by default)', async () => {
  const d = daemonSide(KEY, 9);
  const fixed = new Uint8Array(AUTH_NONCE_BYTES).fill(5);
  await proveKeyToDaemon(d.request, KEY, 9, (b) => (b.set(fixed), b));
  assert.deepEqual(d.sent[0]!.body, fixed);
});
