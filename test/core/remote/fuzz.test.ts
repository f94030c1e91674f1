// Damaged requests to the persistence server, seeded so that a failure replays: mutated objects
// to publish, mutated GHIDs to read, subscribe and list, junk where a body should be empty. Each
// must get an answer (AK, or NK with a code) on a connection that stays open; nothing stored
// before may change, and the store must reopen holding the same. HGX_FUZZ_REQUESTS and
// HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { decodeNak, encodeFrame, type Frame } from '../../../src/wire/index.js';
import { mutate, pick, rng } from '../../fixtures/mutate.js';
import { RawPeer } from '../../fixtures/remote/helpers.js';
import { v16Objects } from '../../fixtures/vectors.js';

const REQUESTS = Number(process.env.HGX_FUZZ_REQUESTS ?? 1500);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0x5e7fe2);

/** A raw connection that answers the server's own requests (`!!`) and waits for its answer to each of ours, one at a time. */
async function connect(port: number) {
  const peer = await RawPeer.connect(`ws://127.0.0.1:${port}/`);
  let token = 0;
  return {
    peer,
    async request(verb: string, body: Uint8Array): Promise<Frame<Buffer>> {
      const mine = (token = (token % 60_000) + 1);
      peer.send(encodeFrame(verb, mine, body));
      for (;;) {
        const f = await peer.next(10_000);
        if (f.code !== 'AK' && f.code !== 'NK') peer.send(encodeFrame('AK', f.token, Uint8Array.of(1)));
        else if (f.token === mine) return f;
      }
    },
  };
}

async function open(dir: string) {
  const { engine } = await RulesEngine.open(new FileStore(dir));
  const server = new PersistenceServer({ engine, port: 0, host: '127.0.0.1' });
  const { port } = await server.listen();
  return { port, close: async () => (await server.close(), await engine.close()) };
}

test(`${REQUESTS} damaged requests to the persistence server: each answered, the connection kept, nothing stored changed, the store reopens the same`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-server-fuzz-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const objects = v16Objects();
  let running = await open(dir);
  let c = await connect(running.port);

  // What is stored before the damage: the identities first, then the rest in manifest order
  // (whatever the rules refuse in that order is simply not stored).
  for (const o of [...objects.filter((x) => x.obj.type === 'GIDC'), ...objects.filter((x) => x.obj.type !== 'GIDC')]) await c.request('PB', o.raw);
  // GARQs are left out of the comparison: one with a damaged MAC keeps its GHID (golix §6.3),
  // and the server keeps such variants beside the genuine one by design.
  const ghids = objects.filter((o) => o.obj.type !== 'GARQ').map((o) => o.obj.ghid.bytes);
  const snapshot = async (conn: typeof c) => {
    const out: string[] = [];
    for (const g of ghids) out.push((await conn.request('GT', g)).body.toString('hex'));
    return out;
  };
  const before = await snapshot(c);

  const rand = rng(SEED);
  const ghidVerbs = ['GT', '?E', '?B', '?D', '+S', '-S'];
  const emptyVerbs = ['??', '?S', 'XX'];
  const tally: Record<string, number> = {};
  for (let i = 0; i < REQUESTS; i++) {
    const which = pick(rand, 10);
    const source = objects[pick(rand, objects.length)]!;
    const [verb, valid, headBytes] =
      which < 6
        ? ['PB', source.raw, 90]
        : which < 9
          ? [ghidVerbs[pick(rand, ghidVerbs.length)]!, source.obj.ghid.bytes, 65]
          : [emptyVerbs[pick(rand, emptyVerbs.length)]!, Buffer.alloc(0), 0];
    // Damaged, never by chance the original: publishing a genuine object again is a change the
    // rules allow (after a debinding of its debinding, golix §10), not damage.
    let body = mutate(valid, rand, headBytes);
    while (body.equals(valid)) body = mutate(valid, rand, headBytes);
    const answer = await c.request(verb, body).catch((err: Error) => assert.fail(`request ${i} (${verb}, ${body.toString('hex').slice(0, 80)}): ${err.message}`));
    if (answer.code === 'NK') {
      const nak = decodeNak(answer.body);
      assert.equal(typeof nak.code, 'number', `request ${i} (${verb}): an NK without a code`);
      assert.ok(nak.message.length > 0, `request ${i} (${verb}): an NK without a message`);
    }
    tally[`${verb} ${answer.code}`] = (tally[`${verb} ${answer.code}`] ?? 0) + 1;
  }
  t.diagnostic(`seed ${SEED}: ${Object.entries(tally).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.ok((tally['PB NK'] ?? 0) > 0, JSON.stringify(tally));
  assert.equal(c.peer.closeInfo, null, 'the connection stayed open');
  assert.deepEqual(await snapshot(c), before, 'nothing stored before the damage changed');

  c.peer.close();
  await running.close();
  running = await open(dir);
  c = await connect(running.port);
  assert.deepEqual(await snapshot(c), before, 'the store reopened holding the same');
  c.peer.close();
  await running.close();
});
