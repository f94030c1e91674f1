// Damaged request bodies for every app verb, seeded so that a failure replays: each request must
// get an answer (AK, or NK with a code), the connection must stay open, and afterwards the daemon
// must still serve an app through the SDK. HGX_FUZZ_REQUESTS and HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_ID_JSON, API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { decodeNak, encodeObjDef, encodeShareRequest, PeopleVerb } from '../../../src/wire/index.js';
import { HGXLink, JsonObj } from '../../../packages/hgx/src/index.js';
import { RawClient, world } from '../../fixtures/ipc/world.js';
import { mutate, mutateJson, pick, rng } from '../../fixtures/mutate.js';

const REQUESTS = Number(process.env.HGX_FUZZ_REQUESTS ?? 1500);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0x1bcf022);
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test(`${REQUESTS} damaged request bodies over IPC: each answered AK or NK, the connection kept, the daemon still serving`, async (t) => {
  const w = await world();
  const [a, b] = [await w.user(0), await w.user(1)];
  const c = await RawClient.open(a.port);
  await c.ok('AU', a.key);
  await c.ok('+T', Buffer.alloc(16));
  await c.ok('+A', API_ID_JSON);
  const dynamic = await c.ok('+O', encodeObjDef({ state: json({ v: 1 }), apiId: API_ID_JSON, dynamic: true, legroom: 3 }));
  const frozen = await c.ok('+O', encodeObjDef({ state: json('static'), apiId: API_ID_RAW }));
  const fingerprint = Buffer.from(b.daemon.fingerprint.bytes);
  const fingerprintText = b.daemon.fingerprint.text;

  // Every verb an authenticated app may send, with a body the daemon accepts. Left out: AU (a
  // wrong key closes the connection by design) and ?R (it fetches a page from the named remote).
  const binary: [verb: string, body: Uint8Array][] = [
    ['?V', Buffer.of(0, 1)],
    ['?I', Buffer.alloc(0)],
    ['+T', Buffer.alloc(16)],
    ['>$', Buffer.alloc(0)],
    ['+$', dynamic],
    ['-$', Buffer.alloc(0)],
    ['+A', API_ID_RAW],
    ['-A', API_ID_RAW],
    ['+O', encodeObjDef({ state: json({ n: 1 }), apiId: API_ID_JSON, dynamic: true })],
    ['+O', encodeObjDef({ state: Buffer.from('raw'), apiId: API_ID_RAW, private: true, legroom: 7 })],
    ['>O', dynamic],
    ['>O', frozen],
    ['!O', encodeObjDef({ address: dynamic, state: json({ v: 2 }) })],
    ['~O', dynamic],
    ['@O', encodeShareRequest(dynamic, fingerprint)],
    ['*O', dynamic],
    ['#O', dynamic],
    ['-O', frozen],
    ['XO', frozen],
  ];
  const people: [verb: string, body: Record<string, unknown>][] = [
    [PeopleVerb.setContact, { fingerprint: fingerprintText, add: true, name: 'Bob', trust: 'trusted', verified: false }],
    [PeopleVerb.removeContact, { fingerprint: fingerprintText }],
    [PeopleVerb.safetyCode, { fingerprint: fingerprintText }],
    [PeopleVerb.acceptShare, { id: fingerprintText, trust: true }],
    [PeopleVerb.declineShare, { id: fingerprintText, block: false }],
  ];
  const emptyBodied = [PeopleVerb.listContacts, PeopleVerb.listShares];

  const rand = rng(SEED);
  const tally: Record<string, number> = {};
  for (let i = 0; i < REQUESTS; i++) {
    let verb: string;
    let body: Uint8Array;
    const which = pick(rand, 10);
    if (which < 7) {
      const [v, valid] = binary[pick(rand, binary.length)]!;
      [verb, body] = [v, mutate(valid, rand, 140)];
      while (Buffer.from(body).equals(valid)) body = mutate(valid, rand, 140);
    } else if (which < 9) {
      const [v, valid] = people[pick(rand, people.length)]!;
      [verb, body] = [v, rand() < 0.5 ? mutateJson(valid, rand) : mutate(json(valid), rand)];
    } else {
      [verb, body] = [emptyBodied[pick(rand, emptyBodied.length)]!, mutate(Buffer.alloc(0), rand)];
    }
    const answer = await c.request(verb, body).catch((err: Error) => assert.fail(`request ${i} (${verb}, ${Buffer.from(body).toString('hex').slice(0, 80)}): ${err.message}`));
    if (answer.code === 'NK') {
      const nak = decodeNak(answer.body);
      assert.equal(typeof nak.code, 'number', `request ${i} (${verb}): an NK without a code`);
      assert.ok(nak.message.length > 0, `request ${i} (${verb}): an NK without a message`);
    } else {
      assert.equal(answer.code, 'AK', `request ${i} (${verb})`);
    }
    tally[`${verb} ${answer.code}`] = (tally[`${verb} ${answer.code}`] ?? 0) + 1;
  }
  t.diagnostic(`seed ${SEED}: ${Object.entries(tally).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.ok(Object.keys(tally).some((k) => k.endsWith('NK')), JSON.stringify(tally));

  // The same connection still works, and so does a new app through the SDK.
  assert.deepEqual(await c.ok('?I'), Buffer.from(a.daemon.fingerprint.bytes));
  const link = await HGXLink.connect({ port: a.port, token: a.key });
  try {
    const obj = await link.new(JsonObj, { after: 'the fuzz' });
    obj.state = { after: 'the fuzz', n: 2 };
    await obj.push();
    const again = await link.get(JsonObj, obj.ghid);
    assert.deepEqual(again.state, { after: 'the fuzz', n: 2 });
  } finally {
    await link.close();
    c.close();
  }
});
