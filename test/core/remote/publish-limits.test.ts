// PublishLimits on its own (defect 8): the allow-list, the rate per signing identity and the rate
// per connection for objects naming no signer, on a hand-driven clock, with the reference
// vectors' objects and hand-made bodies. No server: limits.test.ts covers them over the wire.
// Every refusal is NK 000A (RemoteNak) whose details say which limit (`reason`) and, for a rate,
// when to retry (`retryAfterMs`) — asserted as data here, the message only where it matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AlreadyDebound,
  HypergolixError,
  InconsistentAuthor,
  InvalidIdentity,
  MalformedGolixPrimitive,
  RemoteNak,
  StorageFull,
  UnboundContainer,
  UnknownToken,
  VerificationFailure,
  signerOf,
} from '../../../src/core/golix/index.js';
import { ServerMetrics } from '../../../src/core/remote/metrics.js';
import { PublishLimits, publishLimitOptions, refuse, type PublishLimitOptions } from '../../../src/core/remote/publish-limits.js';
import { QuotaExceeded } from '../../../src/core/rules/usage.js';
import { v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const at = (i: number) => v16[i]!;
const [gidcA, gidcB, gidcC] = [at(0), at(1), at(2)];
const [alice, bob, carol] = [gidcA.obj.ghid, gidcB.obj.ghid, gidcC.obj.ghid];
const geocAlice = at(3);
const geocBob = at(4);
const gobsAlice = at(11);
const gobdAlice = at(13);
const gdxxAlice = at(32);
const garqToBob = at(35);

function clock(start = 5_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

function limits(o: Partial<PublishLimitOptions> = {}): { limits: PublishLimits<object>; metrics: ServerMetrics } {
  const metrics = new ServerMetrics(() => 0);
  const l = new PublishLimits<object>({
    allowlist: null,
    ratePerIdentity: null,
    burstPerIdentity: null,
    unsignedRatePerConnection: null,
    unsignedBurstPerConnection: null,
    maxObjectBytes: 10 * 1024 * 1024,
    metrics,
    ...o,
  });
  return { limits: l, metrics };
}

/** The refusal `fn` throws, as data. */
function refusalOf(fn: () => unknown): { code: number; reason?: string; retryAfterMs?: number; message: string; hasRetry: boolean } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RemoteNak, `expected a RemoteNak, got ${String(err)}`);
    return { code: err.code, reason: err.reason, retryAfterMs: err.retryAfterMs, message: err.message, hasRetry: Object.hasOwn(err, 'retryAfterMs') };
  }
  assert.fail('expected a refusal');
}

/** A body claiming `signer` (65 bytes) under a signed magic, without being a valid object. */
function claiming(magic: 'GEOC' | 'GOBS' | 'GOBD' | 'GDXX', signer: Buffer, extra = 10): Buffer {
  return Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.from([0, 0, 0, 16, 1]), signer, Buffer.alloc(extra)]);
}

// ───────────────────────────── refuse, publishLimitOptions ─────────────────────────────

test('refuse() counts the refusal under its reason and throws NK 000A carrying reason and retryAfterMs as data', () => {
  const metrics = new ServerMetrics(() => 0);
  const a = refusalOf(() => refuse(metrics, 'rate_identity', 'slow down', 1500));
  assert.deepEqual(a, { code: 0x000a, reason: 'rate_identity', retryAfterMs: 1500, message: 'slow down', hasRetry: true });
  const b = refusalOf(() => refuse(metrics, 'allowlist', 'not you'));
  assert.deepEqual(b, { code: 0x000a, reason: 'allowlist', retryAfterMs: undefined, message: 'not you', hasRetry: false }, 'no retry: no such field at all');
  assert.equal(metrics.refusalsOf('rate_identity'), 1);
  assert.equal(metrics.refusalsOf('allowlist'), 1);
  assert.equal(metrics.refusalsOf('rate_connection'), 0);
});

test('publishLimitOptions: unset options mean no allow-list and no rates; set ones are passed through', () => {
  const metrics = new ServerMetrics();
  const none = publishLimitOptions({ engine: null as never }, 4096, metrics);
  assert.deepEqual(none, {
    allowlist: null,
    ratePerIdentity: null,
    burstPerIdentity: null,
    unsignedRatePerConnection: null,
    unsignedBurstPerConnection: null,
    maxObjectBytes: 4096,
    metrics,
  });
  assert.equal(Object.hasOwn(none, 'now'), false, 'no clock given: the limiter keeps its default (Date.now)');
  const now = () => 42;
  const list = [alice, bob];
  const all = publishLimitOptions(
    {
      engine: null as never,
      publishAllowlist: list,
      publishRatePerIdentity: 0.5,
      publishBurst: 3,
      unsignedPublishRatePerConnection: 2,
      unsignedPublishBurst: 4,
      now,
    },
    1234,
    metrics,
  );
  assert.deepEqual(all, {
    allowlist: list,
    ratePerIdentity: 0.5,
    burstPerIdentity: 3,
    unsignedRatePerConnection: 2,
    unsignedBurstPerConnection: 4,
    maxObjectBytes: 1234,
    metrics,
    now,
  });
  const nulls = publishLimitOptions({ engine: null as never, publishAllowlist: null, publishRatePerIdentity: null, publishBurst: null }, 1, metrics);
  assert.deepEqual([nulls.allowlist, nulls.ratePerIdentity, nulls.burstPerIdentity], [null, null, null]);
});

test('settings: a rate of 0 or null is no limit; a negative or infinite rate, or a burst below 1, is refused at construction', () => {
  for (const rate of [null, 0]) {
    const { limits: l } = limits({ ratePerIdentity: rate, unsignedRatePerConnection: rate });
    assert.equal(l.rateLimitedIdentities, null);
    const conn = {};
    for (let i = 0; i < 50; i++) {
      assert.equal(l.admit(conn, gidcA.raw).signer, null);
      assert.equal(l.admit(conn, geocAlice.raw).signer, null, 'nothing to charge when identities are not limited');
    }
  }
  for (const rate of [-1, Infinity]) {
    assert.throws(() => limits({ ratePerIdentity: rate }), { name: 'RangeError', message: 'ratePerSecond must be a positive number' });
    assert.throws(() => limits({ unsignedRatePerConnection: rate }), { name: 'RangeError', message: 'ratePerSecond must be a positive number' });
  }
  for (const burst of [0, 0.5, -3]) {
    assert.throws(() => limits({ ratePerIdentity: 1, burstPerIdentity: burst }), { name: 'RangeError', message: 'burst must be at least 1' });
    assert.throws(() => limits({ unsignedRatePerConnection: 1, unsignedBurstPerConnection: burst }), { name: 'RangeError', message: 'burst must be at least 1' });
  }
  // A burst without its rate changes nothing.
  const { limits: l } = limits({ burstPerIdentity: 1, unsignedBurstPerConnection: 1 });
  for (let i = 0; i < 5; i++) assert.equal(l.admit({}, gidcA.raw).signer, null);
});

// ───────────────────────────── the allow-list ─────────────────────────────

test('allow-list: GIDCs always pass; signed objects only from listed signers; GARQs only to listed recipients', () => {
  const { limits: l, metrics } = limits({ allowlist: [alice] });
  const conn = {};
  for (const o of [gidcA, gidcB, gidcC]) assert.equal(l.admit(conn, o.raw).signer, null);
  for (const o of [geocAlice, gobsAlice, gobdAlice, gdxxAlice]) assert.equal(l.admit(conn, o.raw).signer, null, o.obj.type);

  const byBob = refusalOf(() => l.admit(conn, geocBob.raw));
  assert.deepEqual([byBob.code, byBob.reason, byBob.hasRetry], [0x000a, 'allowlist', false]);
  assert.equal(byBob.message, `Identity ${bob.short} may not publish on this server`);

  assert.equal(garqToBob.obj.type, 'GARQ');
  const toBob = refusalOf(() => l.admit(conn, garqToBob.raw));
  assert.deepEqual([toBob.code, toBob.reason], [0x000a, 'allowlist']);
  assert.equal(toBob.message, `Requests are accepted only for identities allowed on this server; ${bob.short} is not one`);
  assert.equal(metrics.refusalsOf('allowlist'), 2);

  const open = limits({ allowlist: [bob] }).limits;
  assert.equal(open.admit(conn, garqToBob.raw).signer, null, 'a request to a listed identity passes');
  assert.equal(open.admit(conn, geocBob.raw).signer, null);

  const nobody = limits({ allowlist: [] });
  assert.equal(nobody.limits.admit(conn, gidcA.raw).signer, null, 'an empty list: still every GIDC');
  assert.equal(refusalOf(() => nobody.limits.admit(conn, geocAlice.raw)).reason, 'allowlist');
  assert.equal(refusalOf(() => nobody.limits.admit(conn, garqToBob.raw)).reason, 'allowlist');

  // The list may be any iterable, read once.
  const once = limits({ allowlist: new Set([alice, carol]).values() }).limits;
  assert.equal(once.admit(conn, geocAlice.raw).signer, null);
  assert.equal(once.admit(conn, geocAlice.raw).signer, null);
});

test('allow-list: an unreadable or oversized body is malformed (0001), not an allow-list refusal', () => {
  const { limits: l, metrics } = limits({ allowlist: [alice], maxObjectBytes: 1000 });
  assert.throws(() => l.admit({}, Buffer.from('nonsense')), (err: unknown) => err instanceof MalformedGolixPrimitive && err.code === 0x0001);
  assert.throws(() => l.admit({}, gidcA.raw), (err: unknown) => err instanceof HypergolixError && err.code === 0x0001, 'a 1130-byte GIDC over a 1000-byte limit');
  assert.equal(metrics.refusalsOf('allowlist'), 0);
});

test('allow-list before rates: a refused publish costs its signer nothing', () => {
  const c = clock();
  const { limits: l } = limits({ allowlist: [alice], ratePerIdentity: 1, burstPerIdentity: 1, now: c.now });
  for (let i = 0; i < 3; i++) assert.equal(refusalOf(() => l.admit({}, geocBob.raw)).reason, 'allowlist');
  assert.equal(l.rateLimitedIdentities, 0);
});

/** Admits a publish on `conn` and settles it at once with the engine's verdict (`err` undefined: stored). */
function pass<C>(l: PublishLimits<C>, conn: C, body: Buffer, err?: unknown): void {
  l.settle(conn, l.admit(conn, body), err);
}

// ───────────────────────────── the rate per identity ─────────────────────────────

test('identity rate: the signer read without parsing is the parsed one, for every signed type', () => {
  const { limits: l } = limits({ ratePerIdentity: 1000 });
  let n = 0;
  for (const o of v16) {
    const charge = l.admit({}, o.raw).signer;
    const signer = signerOf(o.obj);
    if (signer === null) {
      assert.equal(charge, null, `${o.obj.type} names no signer`);
      continue;
    }
    assert.ok(charge !== null);
    assert.deepEqual(Buffer.from(charge, 'latin1'), signer.bytes, o.obj.type);
    n++;
  }
  assert.equal(n, 32);
  // Too short to name a signer: not charged to anyone (and the rate per connection, if any, applies).
  assert.equal(l.admit({}, geocAlice.raw.subarray(0, 73)).signer, null);
  assert.equal(l.admit({}, Buffer.alloc(0)).signer, null);
});

test('identity rate: checked on admit, charged on settle; a burst, then NK 000A with retryAfterMs until tokens come back', () => {
  const c = clock();
  const { limits: l, metrics } = limits({ ratePerIdentity: 2, burstPerIdentity: 3, now: c.now });
  const [conn1, conn2] = [{}, {}];
  assert.equal(l.rateLimitedIdentities, 0);
  for (let i = 0; i < 3; i++) {
    const conn = i % 2 ? conn1 : conn2;
    const charge = l.admit(conn, geocAlice.raw);
    assert.notEqual(charge.signer, null);
    l.settle(conn, charge);
  }
  assert.equal(l.rateLimitedIdentities, 1);
  const nk = refusalOf(() => l.admit(conn1, gobsAlice.raw));
  assert.deepEqual([nk.code, nk.reason, nk.retryAfterMs], [0x000a, 'rate_identity', 500]);
  assert.equal(nk.message, `Publishing too fast: identity ${alice.short} may publish 2 object(s) a second on this server (3 at once); retry in 500 ms`);
  assert.equal(refusalOf(() => l.admit(conn2, gobsAlice.raw)).reason, 'rate_identity', 'over all her connections');
  assert.equal(metrics.refusalsOf('rate_identity'), 2);
  // Another identity has its own bucket; GIDCs and GARQs name nobody.
  assert.notEqual(l.admit(conn1, geocBob.raw).signer, null);
  assert.equal(l.admit(conn1, gidcA.raw).signer, null);
  assert.equal(l.admit(conn1, garqToBob.raw).signer, null);

  c.t += 499;
  assert.equal(refusalOf(() => l.admit(conn1, gobsAlice.raw)).retryAfterMs, 1);
  c.t += 1;
  l.settle(conn1, l.admit(conn1, gobsAlice.raw));
  assert.equal(refusalOf(() => l.admit(conn1, gobsAlice.raw)).retryAfterMs, 500);
  // A long quiet spell refills to the burst, never beyond.
  c.t += 3_600_000;
  for (let i = 0; i < 3; i++) pass(l, conn1, geocAlice.raw);
  assert.equal(refusalOf(() => l.admit(conn1, geocAlice.raw)).retryAfterMs, 500);
});

test('identity rate: publishes admitted together all pass, and their settling puts the bucket into debt, waited off later', () => {
  const c = clock();
  const { limits: l } = limits({ ratePerIdentity: 1, burstPerIdentity: 1, now: c.now });
  const conn = {};
  const charges = [1, 2, 3].map(() => l.admit(conn, geocAlice.raw)); // three in flight at once
  assert.ok(charges.every((x) => x.signer !== null));
  for (const x of charges) l.settle(conn, x);
  // One token, three spent: two of debt and one to spend.
  assert.equal(refusalOf(() => l.admit({}, geocAlice.raw)).retryAfterMs, 3000);
  c.t += 3000;
  assert.notEqual(l.admit({}, geocAlice.raw).signer, null);
});

test('identity rate: the default burst is ten seconds’ worth of the rate', () => {
  const c = clock();
  const { limits: l } = limits({ ratePerIdentity: 0.25, now: c.now }); // ceil(2.5) = 3
  for (let i = 0; i < 3; i++) pass(l, {}, geocAlice.raw);
  const nk = refusalOf(() => l.admit({}, geocAlice.raw));
  assert.equal(nk.retryAfterMs, 4000);
  assert.match(nk.message, /may publish 0\.25 object\(s\) a second on this server \(3 at once\); retry in 4\.0 s$/);
});

test('identity rate: the wait is written for people (ms, then tenths of a second, then whole seconds) and given exactly as data', () => {
  const cases: [number, number, string][] = [
    [3, 334, '334 ms'], // 1000 / 3, rounded up
    [1, 1000, '1.0 s'],
    [0.4, 2500, '2.5 s'],
    [0.05, 20_000, '20 s'],
  ];
  for (const [rate, ms, text] of cases) {
    const c = clock();
    const { limits: l } = limits({ ratePerIdentity: rate, burstPerIdentity: 1, now: c.now });
    pass(l, {}, geocAlice.raw);
    const nk = refusalOf(() => l.admit({}, geocAlice.raw));
    assert.equal(nk.retryAfterMs, ms, `rate ${rate}`);
    assert.ok(nk.message.endsWith(`retry in ${text}`), nk.message);
  }
});

test('identity rate: a signer that is no GHID is still limited, and named as unreadable', () => {
  const c = clock();
  const { limits: l } = limits({ ratePerIdentity: 1, burstPerIdentity: 1, now: c.now });
  const body = claiming('GOBS', Buffer.alloc(65, 0x07)); // algo byte 7: not a GHID
  pass(l, {}, body);
  const nk = refusalOf(() => l.admit({}, body));
  assert.match(nk.message, /^Publishing too fast: identity \(unreadable GHID\) may publish/);
});

test('identity rate: settle charges only when the signer really sent it — stored, or refused after its signature checked out', () => {
  const notCharged: unknown[] = [
    new MalformedGolixPrimitive('0001'),
    new VerificationFailure('0002: a forged claim costs the claimed signer nothing'),
    new InvalidIdentity('0003'),
    new UnknownToken('000B'),
    new StorageFull('0010: the server’s fault'),
    new HypergolixError('0000'),
    new Error('not a Hypergolix error'),
    'a string',
  ];
  const charged: unknown[] = [
    undefined, // stored
    new UnboundContainer('0004'),
    new AlreadyDebound('0005'),
    new InconsistentAuthor('0007'),
    new QuotaExceeded('000A: over quota, after verifying'),
  ];
  for (const err of notCharged) {
    const c = clock();
    const { limits: l } = limits({ ratePerIdentity: 1, burstPerIdentity: 1, now: c.now });
    for (let i = 0; i < 5; i++) pass(l, {}, geocAlice.raw, err);
    assert.equal(l.rateLimitedIdentities, 0, String(err));
    assert.notEqual(l.admit({}, geocAlice.raw).signer, null);
  }
  for (const err of charged) {
    const c = clock();
    const { limits: l } = limits({ ratePerIdentity: 1, burstPerIdentity: 1, now: c.now });
    pass(l, {}, geocAlice.raw, err);
    assert.equal(l.rateLimitedIdentities, 1, String(err));
    assert.equal(refusalOf(() => l.admit({}, geocAlice.raw)).retryAfterMs, 1000, String(err));
  }
  // Nothing to charge: settling an unsigned publish is a no-op, whatever the verdict.
  const { limits: l } = limits({ ratePerIdentity: 1, burstPerIdentity: 1 });
  l.settle({}, { signer: null, claimsSigner: false });
  l.settle({}, { signer: null, claimsSigner: false }, new UnboundContainer('x'));
  assert.equal(l.rateLimitedIdentities, 0);
});

// ───────────────────────────── the rate per connection ─────────────────────────────

test('connection rate: objects naming no signer are limited per connection, charged at once; forget() resets a closed one', () => {
  const c = clock();
  const { limits: l, metrics } = limits({ unsignedRatePerConnection: 1, unsignedBurstPerConnection: 2, now: c.now });
  const [a, b] = [{}, {}];
  assert.equal(l.admit(a, gidcA.raw).signer, null);
  assert.equal(l.admit(a, garqToBob.raw).signer, null);
  const nk = refusalOf(() => l.admit(a, gidcB.raw));
  assert.deepEqual([nk.code, nk.reason, nk.retryAfterMs], [0x000a, 'rate_connection', 1000]);
  assert.equal(
    nk.message,
    'Publishing too fast: a connection may publish 1 identity or request object(s) a second on this server (2 at once); retry in 1.0 s',
  );
  assert.equal(refusalOf(() => l.admit(a, Buffer.from('garbage'))).reason, 'rate_connection', 'anything unparseable counts as unsigned');
  assert.equal(l.admit(b, gidcB.raw).signer, null, 'another connection has its own allowance');
  for (let i = 0; i < 5; i++) assert.equal(l.admit(a, geocAlice.raw).signer, null, 'signed objects are not limited per connection');
  assert.equal(l.rateLimitedIdentities, null);
  assert.equal(metrics.refusalsOf('rate_connection'), 2);

  c.t += 500;
  assert.equal(refusalOf(() => l.admit(a, gidcC.raw)).retryAfterMs, 500);
  c.t += 500;
  assert.equal(l.admit(a, gidcC.raw).signer, null);
  assert.equal(refusalOf(() => l.admit(a, gidcC.raw)).retryAfterMs, 1000, 'a refused publish took no token');

  l.forget(a);
  assert.equal(l.admit(a, gidcC.raw).signer, null, 'a forgotten connection starts afresh');
  l.forget({}); // unknown: harmless
});

test('connection rate: the default burst is ten seconds’ worth', () => {
  const c = clock();
  const { limits: l } = limits({ unsignedRatePerConnection: 2, now: c.now });
  const conn = {};
  for (let i = 0; i < 20; i++) assert.equal(l.admit(conn, gidcA.raw).signer, null);
  assert.equal(refusalOf(() => l.admit(conn, gidcA.raw)).retryAfterMs, 500);
});

test('both rates: a signed publish is charged to its identity only, an unsigned one to its connection only', () => {
  const c = clock();
  const { limits: l } = limits({ ratePerIdentity: 1, burstPerIdentity: 1, unsignedRatePerConnection: 1, unsignedBurstPerConnection: 1, now: c.now });
  const conn = {};
  pass(l, conn, geocAlice.raw);
  assert.equal(l.admit(conn, gidcA.raw).signer, null, 'the connection’s allowance untouched by the signed publish');
  assert.equal(refusalOf(() => l.admit(conn, geocAlice.raw)).reason, 'rate_identity');
  assert.equal(refusalOf(() => l.admit(conn, gidcB.raw)).reason, 'rate_connection');
  assert.notEqual(l.admit(conn, geocBob.raw).signer, null);
});

// server-options.ts documents unsignedPublishRatePerConnection as "Publishes per second of objects
// that name no signer (GIDC, GARQ, and anything unparseable) on one connection". A body that merely
// starts with a signed magic claims a signer; it failed verification, nobody's identity pays for it:
// the connection does, at the same rate, in a bucket of its own (so that its requests, GARQs, do not
// hold back its signed objects).
test('connection rate: publishes that claim a signer and do not verify are limited per connection, at the unsigned rate', () => {
  const c = clock();
  const { limits: l } = limits({ ratePerIdentity: 1, burstPerIdentity: 1, unsignedRatePerConnection: 1, unsignedBurstPerConnection: 1, now: c.now });
  const conn = {};
  const junk = Buffer.from('garbage, not an object');
  const junkWithMagic = claiming('GEOC', Buffer.alloc(65, 0x01), 100);
  // Plain junk: limited, as documented.
  assert.equal(l.admit(conn, junk).signer, null);
  assert.equal(refusalOf(() => l.admit(conn, junk)).reason, 'rate_connection');
  // The same junk behind four letters: the engine refuses it as malformed (0001); the burst passes,
  // then the connection waits.
  let admitted = 0;
  for (let i = 0; i < 100; i++) {
    try {
      const charge = l.admit(conn, junkWithMagic);
      admitted++;
      l.settle(conn, charge, new MalformedGolixPrimitive('GEOC: declared payload exceeds the object'));
    } catch (err) {
      assert.ok(err instanceof RemoteNak);
      assert.equal(err.reason, 'rate_connection');
      assert.match(err.message, /object\(s\) that do not verify a second/);
      break;
    }
  }
  assert.equal(admitted, 1, `${admitted} unverifiable publishes passed on one connection whose rate is 1/s`);
  // Forged signatures and unknown signers count the same; another connection has its own allowance.
  const other = {};
  pass(l, other, geocBob.raw, new VerificationFailure('0002'));
  assert.equal(refusalOf(() => l.admit(other, geocBob.raw)).reason, 'rate_connection');
  c.t += 1000;
  assert.notEqual(l.admit(other, geocBob.raw).signer, null, 'waited off');
  // A connection whose requests spent its unsigned allowance still publishes its signed objects.
  const busy = {};
  pass(l, busy, garqToBob.raw);
  assert.equal(refusalOf(() => l.admit(busy, garqToBob.raw)).reason, 'rate_connection');
  assert.notEqual(l.admit(busy, geocBob.raw).signer, null);
  l.forget(conn);
  assert.equal(l.admit(conn, junkWithMagic).claimsSigner, true, 'a forgotten connection starts afresh');
});
