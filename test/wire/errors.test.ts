// The wire's typed errors (src/wire/errors.ts): each class and its two-byte code (hypergolix-reference
// §3.2), how an error travels as an NK body (code | message [| 0x00 | fields]) and comes back as the
// same class, and what happens to unknown codes, malformed bodies, huge messages and odd fields.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AlreadyDebound,
  CommsError,
  ConnectionClosed,
  DispatchError,
  DoesNotExist,
  HypergolixError,
  IPCError,
  IllegalDynamicFrame,
  InconsistentAuthor,
  InvalidIdentity,
  InvalidTarget,
  MAX_NAK_MESSAGE_BYTES,
  MalformedGolixPrimitive,
  MessageTooLarge,
  RegistrationRequired,
  RemoteNak,
  RequestTimeout,
  StorageFull,
  TooManyRequests,
  UnboundContainer,
  UnknownSecret,
  UnknownToken,
  ValueError,
  VerificationFailure,
  codeName,
  codeOf,
  decodeFrame,
  decodeNak,
  encodeNak,
  errorFromCode,
  type HypergolixErrorOptions,
  type NakDetails,
} from '../../src/wire/index.js';

type ErrorClass = new (message: string, options?: HypergolixErrorOptions) => HypergolixError;

/** hypergolix-reference §3.2, plus this project's 0010 and 0011 (docs/formats.md, "NK details"). */
const TABLE: readonly (readonly [number, ErrorClass, string])[] = [
  [0x0000, HypergolixError, 'HypergolixError'],
  [0x0001, MalformedGolixPrimitive, 'MalformedGolixPrimitive'],
  [0x0002, VerificationFailure, 'VerificationFailure'],
  [0x0003, InvalidIdentity, 'InvalidIdentity'],
  [0x0004, UnboundContainer, 'UnboundContainer'],
  [0x0005, AlreadyDebound, 'AlreadyDebound'],
  [0x0006, InvalidTarget, 'InvalidTarget'],
  [0x0007, InconsistentAuthor, 'InconsistentAuthor'],
  [0x0008, DoesNotExist, 'DoesNotExist'],
  [0x0009, IllegalDynamicFrame, 'IllegalDynamicFrame'],
  [0x000a, RemoteNak, 'RemoteNak'],
  [0x000b, UnknownToken, 'UnknownToken'],
  [0x000c, DispatchError, 'DispatchError'],
  [0x000d, UnknownSecret, 'UnknownSecret'],
  [0x000e, CommsError, 'CommsError'],
  [0x000f, IPCError, 'IPCError'],
  [0xfffe, ValueError, 'ValueError'],
  [0x0010, StorageFull, 'StorageFull'],
  [0x0011, RegistrationRequired, 'RegistrationRequired'],
];
const KNOWN = new Set(TABLE.map(([code]) => code));
const TRANSPORT: readonly ErrorClass[] = [ConnectionClosed, RequestTimeout, TooManyRequests, MessageTooLarge];

/** Sends an error as a peer does (peer.ts answerError: its code, message and details) and reads it back. */
function overTheWire(err: HypergolixError, token = 0x1234): HypergolixError {
  const frame = decodeFrame(encodeNak(token, codeOf(err), err.message, err));
  assert.equal(frame.code, 'NK');
  assert.equal(frame.token, token);
  const nak = decodeNak(frame.body);
  assert.notEqual(nak.code, null);
  return errorFromCode(nak.code!, nak.message, nak);
}

/** The NK details an error carries, as its own properties. */
const detailsOf = (err: HypergolixError): NakDetails => {
  const out: Record<string, unknown> = {};
  for (const key of ['retryAfterMs', 'reason', 'used', 'limit'] as const) if (Object.hasOwn(err, key)) out[key] = err[key];
  return out as NakDetails;
};

/** A raw NK body as a reference (or hostile) peer would write it. */
const rawBody = (code: number, ...parts: (string | Uint8Array | number[])[]) =>
  Buffer.concat([Buffer.of(code >> 8, code & 0xff), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))]);

describe('codes and classes', () => {
  test('every class carries the reference code, its own name, and is an Error', () => {
    for (const [code, cls, name] of TABLE) {
      const err = new cls('m');
      assert.equal(err.code, code, name);
      assert.equal(err.name, name);
      assert.equal(err.message, 'm');
      assert.ok(err instanceof HypergolixError && err instanceof Error, name);
      assert.equal(String(err), `${name}: m`);
      assert.match(err.stack ?? '', new RegExp(`^${name}: m`));
    }
  });

  test('codes are distinct, and each known code rebuilds exactly its class', () => {
    assert.equal(KNOWN.size, TABLE.length);
    for (const [code, cls, name] of TABLE) {
      const back = errorFromCode(code, 'x');
      assert.equal(back.constructor, cls, `0x${code.toString(16)} rebuilds ${back.constructor.name}, not ${name}`);
      assert.equal(back.code, code);
      assert.equal(codeName(code), name);
      assert.equal(codeOf(back), code);
    }
  });

  test('the transport failures are CommsErrors (000E) that keep their own names', () => {
    for (const cls of TRANSPORT) {
      const err = new cls('t');
      assert.ok(err instanceof CommsError && err instanceof HypergolixError);
      assert.equal(err.code, 0x000e);
      assert.equal(codeOf(err), 0x000e);
      assert.equal(err.name, cls.name);
      assert.equal(codeName(err.code), 'CommsError');
      // On the wire they are plain CommsErrors: the other end cannot tell them apart.
      const back = overTheWire(err);
      assert.equal(back.constructor, CommsError);
      assert.equal(back.message, 't');
    }
  });

  test('a subclass defined elsewhere keeps its parent code and takes its own name', () => {
    class Gone extends DoesNotExist {}
    const err = new Gone('x');
    assert.equal(err.code, 0x0008);
    assert.equal(err.name, 'Gone');
    assert.ok(overTheWire(err) instanceof DoesNotExist);
  });

  test('codeOf: anything not of the family is 0xFFFF, even when it looks like one', () => {
    for (const v of [new Error('x'), new TypeError('x'), 'DoesNotExist', 8, null, undefined, { code: 8, name: 'DoesNotExist', message: 'x' }]) {
      assert.equal(codeOf(v), 0xffff, String(v));
    }
  });

  test('codeName: the class for known codes, "Exception" for FFFF, four hex digits for the rest', () => {
    assert.equal(codeName(0xffff), 'Exception');
    assert.equal(codeName(0x0012), '0x0012');
    assert.equal(codeName(0xabcd), '0xabcd');
    assert.equal(codeName(0x0100), '0x0100');
    for (let code = 0; code <= 0xffff; code++) {
      const name = codeName(code);
      if (KNOWN.has(code) || code === 0xffff) continue;
      assert.equal(name, `0x${code.toString(16).padStart(4, '0')}`);
    }
  });
});

describe('errors as NK bodies, and back', () => {
  test('every class comes back as the same class, with the same message and details', () => {
    const details: NakDetails[] = [{}, { retryAfterMs: 1500, reason: 'rate_identity' }, { reason: 'unregistered', used: 10_000, limit: 10_485_760 }, { retryAfterMs: 0, used: 0, limit: 0 }];
    for (const [, cls, name] of TABLE) {
      for (const d of details) {
        const err = new cls(`${name} happened: naïve ✓ 😀`, d);
        const back = overTheWire(err);
        assert.equal(back.constructor, cls, name);
        assert.equal(back.message, err.message);
        assert.deepEqual(detailsOf(back), d, `${name} ${JSON.stringify(d)}`);
        assert.equal(back.code, err.code);
      }
    }
  });

  test('an error relayed twice (server → daemon → app) keeps its class and code', () => {
    for (const [code, cls] of TABLE) {
      const twice = overTheWire(overTheWire(new cls('relayed', { retryAfterMs: 7 })));
      assert.equal(twice.constructor, cls);
      assert.equal(twice.code, code);
      assert.equal(twice.retryAfterMs, 7);
    }
  });

  // Fixed (RemoteException): errorFromCode(0xFFFF) builds a HypergolixError, whose code is 0x0000,
  // so a generic failure ("Exception", FFFF in §3.2) read from one peer is re-sent by the next as 0000
  // ("HypergolixException"): a daemon relaying a server's internal error tells the app a different code,
  // and logs/metrics (codeName) name it HypergolixError instead of Exception.
  test('a generic failure (FFFF) keeps its code when read back and relayed', () => {
    const back = errorFromCode(0xffff, 'Internal error');
    assert.ok(back instanceof HypergolixError);
    assert.equal(back.message, 'Internal error');
    assert.equal(codeOf(back), 0xffff, `read back as code 0x${codeOf(back).toString(16).padStart(4, '0')}`);
    const relayed = decodeNak(decodeFrame(encodeNak(1, codeOf(back), back.message, back)).body);
    assert.equal(relayed.code, 0xffff);
    assert.equal(codeName(codeOf(back)), 'Exception');
  });

  test('every u16 code reads back as a HypergolixError; unknown ones as RemoteNak, message kept', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const body = rawBody(code, `m${code}`);
      const nak = decodeNak(body);
      assert.equal(nak.code, code);
      const err = errorFromCode(nak.code!, nak.message, nak);
      assert.ok(err instanceof HypergolixError);
      assert.equal(err.message, `m${code}`);
      if (KNOWN.has(code)) assert.equal(err.code, code);
      else if (code !== 0xffff) {
        assert.ok(err instanceof RemoteNak, `0x${code.toString(16)}`);
        assert.equal(err.code, 0x000a);
      }
    }
  });

  test('a code this version does not know (a newer peer) is a RemoteNak with its details', () => {
    const err = errorFromCode(0x0012, 'some future refusal', decodeNak(rawBody(0x0012, 'some future refusal', [0], '{"retryAfterMs":250,"reason":"future_limit","colour":"red"}')));
    assert.ok(err instanceof RemoteNak);
    assert.equal(err.message, 'some future refusal');
    assert.equal(err.retryAfterMs, 250);
    assert.equal(err.reason, 'future_limit');
    assert.ok(!Object.hasOwn(err, 'colour'));
  });

  test('the details of a decoded NK never override the code or message of the error', () => {
    // peer.ts passes the whole decoded Nak, code and message included, as the details.
    const nak = decodeNak(rawBody(0x0008, 'gone', [0], '{"code":1,"message":"spoofed","name":"X","retryAfterMs":5}'));
    const err = errorFromCode(nak.code!, nak.message, nak);
    assert.ok(err instanceof DoesNotExist);
    assert.equal(err.code, 0x0008);
    assert.equal(err.message, 'gone');
    assert.equal(err.name, 'DoesNotExist');
    assert.equal(err.retryAfterMs, 5);
    const odd = errorFromCode(0x0008, 'kept', { code: 1, message: 'no', name: 'no' } as unknown as NakDetails);
    assert.deepEqual([odd.code, odd.message, odd.name], [0x0008, 'kept', 'DoesNotExist']);
    // A "cause" field in a block is not a detail, so it never reaches the error.
    const caused = decodeNak(rawBody(0x0008, 'gone', [0], '{"cause":"spoofed"}'));
    assert.ok(!Object.hasOwn(errorFromCode(caused.code!, caused.message, caused), 'cause'));
  });

  test('a __proto__ key in details changes nothing', () => {
    const hostile = JSON.parse('{"__proto__":{"retryAfterMs":99,"reason":"evil"}}') as NakDetails;
    const err = errorFromCode(0x000a, 'x', hostile);
    assert.equal(err.retryAfterMs, undefined);
    assert.equal(err.reason, undefined);
    assert.equal(({} as NakDetails).retryAfterMs, undefined, 'Object.prototype untouched');
    const viaWire = errorFromCode(0x000a, 'x', decodeNak(rawBody(0x000a, 'x', [0], '{"__proto__":{"retryAfterMs":99}}')));
    assert.equal(viaWire.retryAfterMs, undefined);
  });
});

describe('malformed, hostile and huge NK bodies', () => {
  test('short and empty bodies are code-less refusals, never a crash', () => {
    for (const body of [new Uint8Array(0), Uint8Array.of(0x00), Uint8Array.of(0xff)]) {
      assert.deepEqual(decodeNak(body), { code: null, message: '' });
    }
    assert.deepEqual(decodeNak(Uint8Array.of(0, 8)), { code: 8, message: '' });
    assert.ok(errorFromCode(8, '') instanceof DoesNotExist);
    // A code-less NK frame (empty body) as encodeNak writes it.
    assert.deepEqual(decodeNak(decodeFrame(encodeNak(9, null)).body), { code: null, message: '' });
  });

  test('invalid UTF-8 in the message reads as replacement characters', () => {
    const nak = decodeNak(rawBody(0x0001, [0x61, 0xff, 0xfe, 0x62, 0xc3]));
    assert.equal(nak.message, 'a\ufffd\ufffdb\ufffd');
    assert.equal(errorFromCode(nak.code!, nak.message, nak).message, 'a\ufffd\ufffdb\ufffd');
  });

  test('a block of wrong-typed fields is dropped as a whole; the error keeps its class and message', () => {
    for (const block of ['{"retryAfterMs":"5"}', '{"reason":5}', '{"used":"10"}', '{"limit":null}', '{"retryAfterMs":[5]}', '{"reason":{"a":1}}', '{"retryAfterMs":5,"reason":"Bad Token"}']) {
      const nak = decodeNak(rawBody(0x0010, 'full', [0], block));
      const err = errorFromCode(nak.code!, nak.message, nak);
      assert.ok(err instanceof StorageFull, block);
      assert.equal(err.message, 'full');
      assert.deepEqual(detailsOf(err), {}, block);
    }
  });

  test('a huge message is cut to the NK limit on a character boundary; details still arrive', () => {
    for (const unit of ['x', 'é', '€', '😀', 'a😀', 'ab€']) {
      const message = unit.repeat(Math.ceil(200_000 / unit.length));
      const err = new RegistrationRequired(message, { reason: 'unregistered', used: 1, limit: 2 });
      const frame = encodeNak(3, err.code, err.message, err);
      assert.ok(frame.length <= 6 + 2 + MAX_NAK_MESSAGE_BYTES + 1 + 256, `frame of ${frame.length} bytes`);
      const back = overTheWire(err);
      assert.ok(back instanceof RegistrationRequired);
      assert.ok(Buffer.byteLength(back.message) <= MAX_NAK_MESSAGE_BYTES);
      assert.ok(Buffer.byteLength(back.message) > MAX_NAK_MESSAGE_BYTES - 4, unit);
      assert.ok(message.startsWith(back.message), `${unit}: the cut message is a prefix of the original`);
      assert.ok(!back.message.includes('\ufffd'), unit);
      assert.deepEqual(detailsOf(back), { reason: 'unregistered', used: 1, limit: 2 });
    }
  });

  test('a message of exactly the limit is kept whole; one byte more is cut', () => {
    const exact = 'y'.repeat(MAX_NAK_MESSAGE_BYTES);
    assert.equal(overTheWire(new DoesNotExist(exact)).message, exact);
    assert.equal(overTheWire(new DoesNotExist(exact + 'z')).message, exact);
    assert.equal(overTheWire(new DoesNotExist('y'.repeat(MAX_NAK_MESSAGE_BYTES - 1) + 'é')).message, 'y'.repeat(MAX_NAK_MESSAGE_BYTES - 1));
  });

  test('a NUL or a lone surrogate in a message does not break the body', () => {
    const back = overTheWire(new DoesNotExist('a\u0000{"retryAfterMs":1}\ud800z', { reason: 'real' }));
    assert.equal(back.message, 'a\ufffd{"retryAfterMs":1}\ufffdz');
    assert.deepEqual(detailsOf(back), { reason: 'real' });
  });

  test('a peer that sends a NUL right after the code gives an empty message and its details', () => {
    const nak = decodeNak(rawBody(0x000a, [0], '{"retryAfterMs":10}'));
    assert.deepEqual(nak, { code: 0x000a, message: '', retryAfterMs: 10 });
  });
});

describe('odd constructor input', () => {
  test('errors without details have no own detail properties; cause only when given', () => {
    const plain = new DoesNotExist('x');
    for (const key of ['retryAfterMs', 'reason', 'used', 'limit', 'cause']) assert.ok(!Object.hasOwn(plain, key), key);
    const withCause = new DoesNotExist('x', { cause: null });
    assert.ok(Object.hasOwn(withCause, 'cause'));
    assert.equal(withCause.cause, null);
    const inner = new Error('inner');
    assert.equal(new CommsError('outer', { cause: inner, retryAfterMs: 3 }).cause, inner);
  });

  test('zero-valued details are kept (0 is a value, not absence)', () => {
    const err = new StorageFull('x', { retryAfterMs: 0, used: 0, limit: 0, reason: '' });
    assert.deepEqual(detailsOf(err), { retryAfterMs: 0, used: 0, limit: 0, reason: '' });
    // An empty reason is not a token, so it is not sent; the zeros are.
    assert.deepEqual(detailsOf(overTheWire(err)), { retryAfterMs: 0, used: 0, limit: 0 });
  });

  test('details that cannot travel are not sent, and the error still arrives', () => {
    const err = new RemoteNak('x', { retryAfterMs: Number.NaN, reason: 'Not A Token', used: -1, limit: 2 ** 53 });
    assert.deepEqual(detailsOf(overTheWire(err)), {});
    const wait = new RemoteNak('x', { retryAfterMs: 1e15 });
    assert.equal(overTheWire(wait).retryAfterMs, 86_400_000);
  });

  test('a non-string message is turned into text as Error does, never thrown on', () => {
    assert.equal(errorFromCode(8, undefined as unknown as string).message, '');
    assert.equal(errorFromCode(8, 42 as unknown as string).message, '42');
    assert.equal(errorFromCode(8, null as unknown as string).message, 'null');
    assert.equal(errorFromCode(8, { toString: () => 'obj' } as unknown as string).message, 'obj');
  });
});
