// The child of crypto-bound.ts: pins its thread pool, then measures what it is asked to, over IPC.
import { constants, createPublicKey, randomBytes, sign as signCb, verify as verifyCb } from 'node:crypto';
import { Secret } from '../../src/core/golix/index.js';
import { describeSpread, spreadThreadPool } from '../../src/core/process/thread-pool.js';
import type { BoundReply, BoundRequest } from './crypto-bound.js';
import { runFor } from './timing.js';
import { manifestPrivateKey } from './vectors.js';

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } as const;
const key = manifestPrivateKey(0);
const pub = createPublicKey(key);
// An update's two signed objects: a container of ~1.3 kB and a frame of ~400 bytes.
const data = [randomBytes(1300), randomBytes(400)];

const sign = (d: Buffer) => new Promise<Buffer>((res, rej) => signCb('sha512', d, { key, ...PSS }, (e, s) => (e ? rej(e) : res(s))));
const verify = (d: Buffer, sig: Buffer) => new Promise<boolean>((res, rej) => verifyCb('sha512', d, { key: pub, ...PSS }, sig, (e, ok) => (e ? rej(e) : res(ok))));

async function timed(count: number, once: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await once();
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await once();
    ms.push(performance.now() - t0);
  }
  return ms;
}

const secret = Secret.random();
const sealed = secret.apply(Buffer.from(JSON.stringify({ n: 0, pad: 'x'.repeat(200) })));

async function answer(request: BoundRequest): Promise<BoundReply> {
  switch (request.kind) {
    case 'sign':
      return { kind: 'run', run: await runFor(request.seconds, request.inFlight, () => sign(data[0]!)) };
    case 'pairs':
      return { kind: 'latencies', ms: await timed(request.count, () => Promise.all(data.map(sign))) };
    case 'path':
      return {
        kind: 'latencies',
        ms: await timed(request.count, async () => {
          const sigs = await Promise.all(data.map(sign));
          // The server verifies both, then B does.
          for (let hop = 0; hop < 2; hop++) await Promise.all(data.map((d, j) => verify(d, sigs[j]!)));
          secret.apply(sealed);
        }),
      };
  }
}

const send = (m: BoundReply) => process.send!(m);
const outcome = await spreadThreadPool();
send({ kind: 'ready', spread: describeSpread(outcome) });
process.on('message', (m) => {
  answer(m as BoundRequest).then(send, (err: unknown) => send({ kind: 'error', message: (err as Error).message }));
});
process.on('disconnect', () => process.exit(0));
