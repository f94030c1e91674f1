// The heartbeat's probe (wire/heartbeat.ts): a ping now, and the answer is whether anything is
// heard from the peer in time. A fake socket adapter whose pongs the test sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Heartbeat } from '../../src/wire/heartbeat.js';

function beat(o: { pingThrows?: boolean } = {}) {
  const seen = { pings: 0, silent: 0, pingErrors: [] as string[] };
  let pong: () => void = () => {};
  const hb = new Heartbeat({
    periodMs: 60_000,
    extras: {
      ping: () => {
        seen.pings++;
        if (o.pingThrows) throw new Error('socket gone');
      },
      onPong: (listener) => (pong = listener),
      terminate: () => {},
    },
    isOpen: () => true,
    onSilent: () => seen.silent++,
    onPingError: (err) => seen.pingErrors.push(err.message),
  });
  return { hb, seen, pong: () => pong() };
}

test('a probe pings at once and is true at the pong; two probes share what is heard', async () => {
  const { hb, seen, pong } = beat();
  const probes = [hb.probe(5_000), hb.probe(5_000)];
  assert.equal(seen.pings, 2, 'each probe pings now, not at the next beat');
  pong();
  assert.deepEqual(await Promise.all(probes), [true, true]);
  // Any message heard is as good as a pong.
  const third = hb.probe(5_000);
  hb.heardFrom();
  assert.equal(await third, true);
  hb.stop();
});

test('a probe that hears nothing in time is false, without calling the peer silent; a stop ends probes as false', async () => {
  const { hb, seen } = beat();
  const started = Date.now();
  assert.equal(await hb.probe(40), false);
  assert.ok(Date.now() - started >= 35, 'waited its time');
  assert.equal(seen.silent, 0, 'what to do about it is the caller’s');
  const waiting = hb.probe(60_000);
  hb.stop();
  assert.equal(await waiting, false, 'a stopped heartbeat hears nothing more');
});

test('a ping that throws is reported and the probe still waits its time', async () => {
  const { hb, seen } = beat({ pingThrows: true });
  assert.equal(await hb.probe(20), false);
  assert.deepEqual(seen.pingErrors, ['socket gone']);
  hb.stop();
});
