// The IPC verb table alone (verbs.ts): every verb an app may send has a handler; nothing but the
// key's handshakes is answered before the connection is admitted; each verb reaches its concern
// with the asking connection. The verbs' own behaviour is tested with each concern and end to
// end in server.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../../src/core/ipc/session.js';
import { verbHandlers, type VerbParts } from '../../../src/core/ipc/verbs.js';
import { IPC_PROTOCOL_VERSION, IpcVerb, ONE, PeopleVerb, StatusVerb, encodeProtocolVersion } from '../../../src/wire/index.js';

/** A concern that records each call by its name and the connection it was made for. */
function recorder(name: string, calls: string[]) {
  return new Proxy({}, { get: (_t, method) => (s: Session) => (calls.push(`${name}.${String(method)} for ${s.name}`), ONE) });
}

function parts() {
  const calls: string[] = [];
  const warnings: string[] = [];
  const p = {
    daemon: { fingerprint: { bytes: Buffer.alloc(65, 7) }, registrationLink: async (remote?: string) => `https://example.test/register?remote=${remote ?? 'first'}` },
    sharing: {},
    registry: recorder('registry', calls),
    access: recorder('access', calls),
    gate: recorder('gate', calls),
    statusWatch: {},
    statusFor: () => ({}),
    logger: { warn: (m: string) => warnings.push(m), info() {}, debug() {}, error() {} },
    tokenFile: '/home/someone/.hypergolix/ipc-token',
  } as unknown as VerbParts;
  return { p, calls, warnings };
}

const ctx = {} as never;
const NO_BODY = Buffer.alloc(0);

test('every verb an app may send has a handler, the SDK\'s contacts and status verbs too', () => {
  const map = verbHandlers(new Session(1, '127.0.0.1:1'), parts().p);
  const daemonToApp = new Set<string>([StatusVerb.changed]);
  for (const verb of [...Object.values(IpcVerb), ...Object.values(PeopleVerb), ...Object.values(StatusVerb)]) {
    assert.equal(map.has(verb), !daemonToApp.has(verb), `${verb}: ${daemonToApp.has(verb) ? 'sent by the daemon, never answered by it' : 'no handler'}`);
  }
});

test('before admission only the key\'s handshakes are answered; the rest name where the key is', async () => {
  const { p, calls } = parts();
  const s = new Session(2, '127.0.0.1:2');
  const map = verbHandlers(s, p);
  const handshakes = new Set<string>([IpcVerb.auth, IpcVerb.authChallenge, IpcVerb.authProof]);
  for (const [verb, handle] of map) {
    if (handshakes.has(verb)) continue;
    assert.throws(() => handle(NO_BODY, ctx), { name: 'IpcRefusal', message: /Authenticate first: prove the key \(AC, then AP\) from \/home\/someone\/\.hypergolix\/ipc-token/ }, verb);
  }
  assert.deepEqual(calls, [], 'no concern was reached');
  for (const verb of handshakes) map.get(verb)!(Buffer.alloc(32), ctx);
  assert.deepEqual(calls, ['gate.rawKey for app#2', 'gate.challenge for app#2', 'gate.proof for app#2']);
});

test('once admitted, each verb reaches its concern for the asking connection, and marks it active', async () => {
  const { p, calls } = parts();
  const s = new Session(3, '127.0.0.1:3');
  s.admitted = true;
  s.lastActivity = 0;
  const map = verbHandlers(s, p);
  await map.get(IpcVerb.newObject)!(NO_BODY, ctx);
  await map.get(IpcVerb.setToken)!(NO_BODY, ctx);
  await map.get(IpcVerb.deleteObject)!(NO_BODY, ctx);
  assert.deepEqual(calls, ['access.newObject for app#3', 'registry.setToken for app#3', 'access.deleteObject for app#3']);
  assert.ok(s.lastActivity > 0);
  assert.deepEqual(await map.get(IpcVerb.whoami)!(NO_BODY, ctx), Buffer.alloc(65, 7));
});

test('?V answers the daemon\'s protocol version; an app that speaks another one is logged, not refused', async () => {
  const { p, warnings } = parts();
  const s = new Session(4, '127.0.0.1:4');
  s.admitted = true;
  const version = verbHandlers(s, p).get(IpcVerb.version)!;
  assert.deepEqual(await version(Buffer.from(encodeProtocolVersion()), ctx), encodeProtocolVersion(IPC_PROTOCOL_VERSION));
  assert.deepEqual(warnings, []);
  await version(Buffer.from(encodeProtocolVersion(IPC_PROTOCOL_VERSION + 1)), ctx);
  assert.deepEqual(warnings, [`app#4: the app speaks IPC protocol ${IPC_PROTOCOL_VERSION + 1}, this daemon ${IPC_PROTOCOL_VERSION}`]);
});

test('?R is for connections that proved the key: a legacy client admitted without it is refused', async () => {
  const { p } = parts();
  const legacy = new Session(5, '127.0.0.1:5');
  legacy.admitted = true;
  legacy.legacy = true;
  await assert.rejects(async () => verbHandlers(legacy, p).get(IpcVerb.registrationLink)!(NO_BODY, ctx), /Registration links need a connection authenticated with the IPC key/);
  const proved = new Session(6, '127.0.0.1:6');
  proved.admitted = proved.authenticated = true;
  const link = verbHandlers(proved, p).get(IpcVerb.registrationLink)!;
  assert.equal(String(await link(NO_BODY, ctx)), 'https://example.test/register?remote=first');
  assert.equal(String(await link(Buffer.from('hgx.example:7770'), ctx)), 'https://example.test/register?remote=hgx.example:7770');
});
