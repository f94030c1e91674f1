// Seeded damage to what the UI sends the host (the envelope and the request in it), and to what
// the host sends the UI (answers and events): each message parses to one that parses again to
// itself, or is refused with a typed error and words, and nothing throws. HGX_FUZZ_REQUESTS and
// HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, parseRequest, type HostEvent, type Request, type RequestKind } from '../../src/common/contract.js';
import { parseClientMessage, parseServerMessage } from '../../src/common/contract-envelope.js';
import { mutateDeep, pick, rng } from '../fixtures/mutate.js';
import { FakeHost, defaultSettings } from '../fixtures/ui/fake-host.js';

const MESSAGES = Number(process.env.HGX_FUZZ_REQUESTS ?? 5000);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0xc0de);
const fingerprint = 'AXM3t9nuvmo-rTQ3obn0JUMir9d7nAqnfnvAscBkfB2mfOoW_PgyLfdr2U6eRpWcljy2FGXWx4WBMgPPW1XI7qE=';

const requests: Request[] = [
  { kind: 'getState' },
  { kind: 'createAccount', password: 'correct horse' },
  { kind: 'unlock', password: 'pw', rememberOnThisComputer: true },
  { kind: 'saveSettings', settings: defaultSettings() },
  { kind: 'saveSettings', settings: defaultSettings(), base: defaultSettings() },
  { kind: 'retryRestart' },
  { kind: 'checkCache' },
  { kind: 'acceptShare', id: 's1', trust: true },
  { kind: 'declineShare', id: 's1', block: false },
  { kind: 'changeContact', change: { fingerprint, add: true, name: 'Bea', trust: 'trusted', verified: false } },
  { kind: 'removeContact', fingerprint },
  { kind: 'safetyCode', fingerprint },
  { kind: 'registerRemote', remote: 'hgx.example.org:7770' },
  { kind: 'changePassword', current: 'old', next: 'new one' },
  { kind: 'makeRecoveryKit', password: 'pw' },
  { kind: 'recoverAccount', recoveryKey: 'ABCD-EFGH', password: 'pw' },
  { kind: 'disconnectApp', id: 3 },
  { kind: 'signIn', userId: fingerprint, remote: 'hgx.example.org:7770', password: 'pw' },
];

test(`${MESSAGES} damaged UI → host messages: each a request that parses again to itself, or a typed refusal`, (t) => {
  for (const request of requests) assert.deepEqual(parseRequest(request), { ok: true, value: request }, request.kind);
  const rand = rng(SEED);
  const tally = { ok: 0, refused: 0 };
  for (let i = 0; i < MESSAGES; i++) {
    const message = mutateDeep({ id: pick(rand, 1000), request: requests[pick(rand, requests.length)] }, rand);
    const parsed = parseClientMessage(message);
    if (parsed.ok) {
      assert.deepEqual(parseRequest(parsed.value.request), { ok: true, value: parsed.value.request }, `message ${i}: ${JSON.stringify(message).slice(0, 200)}`);
      assert.equal(Object.getPrototypeOf(parsed.value.request), Object.prototype);
      tally.ok++;
    } else {
      assert.ok(['bad-request', 'unknown-request'].includes(parsed.error.code), `message ${i}: code ${parsed.error.code}`);
      assert.ok(parsed.error.message.length > 0);
      tally.refused++;
    }
  }
  t.diagnostic(`seed ${SEED}: ${JSON.stringify(tally)}`);
  assert.ok(tally.ok > 0 && tally.refused > 0, JSON.stringify(tally));
});

/** Genuine host → UI messages: a running FakeHost's answer to every request above, and its events. */
async function hostMessages(): Promise<{ message: unknown; kind: RequestKind | undefined }[]> {
  const host = new FakeHost({ stepMs: 0 });
  host.contacts = [{ fingerprint, name: 'Bea', trust: 'trusted', verified: true }];
  const events: HostEvent[] = [];
  host.subscribe((ev) => void events.push(ev));
  const out: { message: unknown; kind: RequestKind | undefined }[] = [];
  const kinds: Request[] = [...requests, { kind: 'getSettings' }, { kind: 'whoami' }, { kind: 'status' }, { kind: 'listContacts' }, { kind: 'listShares' }, { kind: 'listApps' }, { kind: 'lock' }];
  for (const [id, request] of kinds.entries()) {
    out.push({ message: { id, response: await host.request(request) }, kind: request.kind });
  }
  for (const event of events) out.push({ message: { event }, kind: undefined });
  return out;
}

test(`${MESSAGES} damaged host → UI messages: each an answer or event that parses again to itself, or a typed refusal`, async (t) => {
  const samples = await hostMessages();
  const byId = (message: unknown) => (id: number) => (samples.find((s) => (s.message as { id?: number }).id === id)?.kind);
  for (const { message } of samples) assert.equal(parseServerMessage(message, byId(message)).ok, true, JSON.stringify(message).slice(0, 200));
  assert.ok(samples.some((s) => s.kind === undefined), 'events among the samples');
  const rand = rng(SEED ^ 0x5eed);
  const tally = { ok: 0, refused: 0 };
  const codes = new Set<string>(Object.values(ERROR_CODES));
  for (let i = 0; i < MESSAGES; i++) {
    const sample = samples[pick(rand, samples.length)]!;
    const message = mutateDeep(sample.message, rand);
    const parsed = parseServerMessage(message, byId(message));
    if (parsed.ok) {
      const again = parseServerMessage(JSON.parse(JSON.stringify(parsed.value)), byId(message));
      assert.deepEqual(again, { ok: true, value: parsed.value }, `message ${i}: ${JSON.stringify(message).slice(0, 200)}`);
      tally.ok++;
    } else {
      assert.ok(codes.has(parsed.error.code), `message ${i}: code ${parsed.error.code}`);
      assert.ok(parsed.error.message.length > 0);
      tally.refused++;
    }
  }
  t.diagnostic(`seed ${SEED}: ${JSON.stringify(tally)}`);
  assert.ok(tally.ok > 0 && tally.refused > 0, JSON.stringify(tally));
});
