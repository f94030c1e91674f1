// The runtime-neutral codecs and options under the IPC protocol, at their edges and under hostile
// input: the objdef codec (hypergolix-reference §4.2), the byte helpers (hex, URL-safe base64),
// what a Peer accepts as options (peer-options.ts), and the heartbeat's timing on a fake clock.
// ipc.test.ts covers the nominal layouts; this file covers what they leave out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  FRAME_HEADER_BYTES,
  MalformedGolixPrimitive,
  MessageTooLarge,
  OBJDEF_HEADER_BYTES,
  Peer,
  RequestTimeout,
  TooManyRequests,
  ValueError,
  b64urlDecode,
  b64urlEncode,
  bytesEqual,
  concatBytes,
  decodeFrame,
  decodeNak,
  decodeObjDef,
  encodeFrame,
  encodeObjDef,
  fromHex,
  idBytes,
  isAllZero,
  toHex,
  type ObjDef,
  type PeerOptions,
  type SocketEventMap,
  type SocketExtras,
  type WireSocket,
} from '../../src/wire/index.js';
import { Heartbeat } from '../../src/wire/heartbeat.js';

// ------------------------------------------------------------------------------------------
// Helpers

const GHID = 65;
const EMPTY = new Uint8Array(0);

/** A GHID: algorithm byte 1, then 64 random bytes. */
const ghid = (): Uint8Array => concatBytes(Uint8Array.of(1), new Uint8Array(randomBytes(64)));
/** An API ID: byte 0, then 64 random bytes (not all zero). */
const apiId = (): Uint8Array => {
  const b = concatBytes(Uint8Array.of(0), new Uint8Array(randomBytes(64)));
  b[64] = b[64]! | 1;
  return b;
};

/** A valid objdef with every field set, as bytes. */
function fullObjDef(state: Uint8Array = Uint8Array.of(1, 2, 3)): Uint8Array {
  return encodeObjDef({ address: ghid(), author: ghid(), private: true, dynamic: true, legroom: 7, apiId: apiId(), isLink: false, state });
}

/** True when `fn` throws a MalformedGolixPrimitive (NK 0001). */
function malformed(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    return err instanceof MalformedGolixPrimitive && err.code === 0x0001;
  }
  return false;
}

/** What `fn` throws (or 'returned' when it does not). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return 'returned';
}

/** A refusal of a caller's value: ValueError (FFFE), or the TypeError/RangeError a constructor may use. */
function isOptionRefusal(err: unknown): boolean {
  return err instanceof ValueError || err instanceof TypeError || err instanceof RangeError;
}

/** A WHATWG-shaped socket in memory: records what is sent, delivers what a test injects. */
class FakeSocket implements WireSocket {
  binaryType = 'arraybuffer';
  readyState: number = 1;
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  private readonly listeners: { [K in keyof SocketEventMap]: ((event: SocketEventMap[K]) => void)[] } = { message: [], close: [], error: [] };

  send(data: Uint8Array): void {
    this.sent.push(data.slice());
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    for (const l of this.listeners.close) l({ code, reason });
  }

  addEventListener<K extends keyof SocketEventMap>(type: K, listener: (event: SocketEventMap[K]) => void): void {
    (this.listeners[type] as ((event: SocketEventMap[K]) => void)[]).push(listener);
  }

  /** The other end sends `data`. */
  deliver(data: Uint8Array): void {
    for (const l of this.listeners.message) l({ data });
  }
}

/** Ping/pong/terminate that a test drives: counts pings and terminations, sends pongs on demand. */
class FakeExtras implements SocketExtras {
  pings = 0;
  terminations = 0;
  failPing: Error | null = null;
  private pongListeners: (() => void)[] = [];
  constructor(private readonly onTerminate: () => void = () => {}) {}

  ping(): void {
    if (this.failPing) throw this.failPing;
    this.pings++;
  }

  onPong(listener: () => void): void {
    this.pongListeners.push(listener);
  }

  terminate(): void {
    this.terminations++;
    this.onTerminate();
  }

  pong(): void {
    for (const l of this.pongListeners) l();
  }
}

// ------------------------------------------------------------------------------------------
// objdef.ts

describe('objdef codec', () => {
  test('every field survives a round trip at its edges: 0- and 1-byte states, legroom 0/1/255, every flag combination', () => {
    for (const state of [EMPTY, Uint8Array.of(0), Uint8Array.of(0xff), new Uint8Array(randomBytes(1000))]) {
      for (const legroom of [0, 1, 254, 255]) {
        for (let flags = 0; flags < 4; flags++) {
          const def: ObjDef = {
            address: flags & 1 ? ghid() : null,
            author: flags & 2 ? ghid() : null,
            private: (flags & 1) === 1,
            dynamic: (flags & 2) === 2,
            legroom,
            apiId: flags === 3 ? null : apiId(),
            isLink: flags === 2,
            state,
          };
          const raw = encodeObjDef(def);
          assert.equal(raw.length, OBJDEF_HEADER_BYTES + state.length);
          const back = decodeObjDef(raw);
          assert.deepEqual({ ...back, state: [...back.state] }, { ...def, state: [...state] });
        }
      }
    }
  });

  test('an identifier that only starts like one (algorithm byte, then zeros) is kept, not read as none', () => {
    const address = new Uint8Array(GHID);
    address[0] = 1;
    const api = new Uint8Array(GHID);
    api[64] = 1;
    const back = decodeObjDef(encodeObjDef({ address, author: address, apiId: api, state: EMPTY }));
    assert.deepEqual(back.address, address);
    assert.deepEqual(back.author, address);
    assert.deepEqual(back.apiId, api);
  });

  test('every input shorter than the 200-byte header is MalformedGolixPrimitive, never a crash or a default', () => {
    const full = fullObjDef(EMPTY);
    for (let n = 0; n < OBJDEF_HEADER_BYTES; n++) {
      assert.ok(malformed(() => decodeObjDef(full.subarray(0, n))), `${n} bytes`);
    }
    assert.ok(!malformed(() => decodeObjDef(full)), 'exactly 200 bytes is an objdef with an empty state');
    assert.equal(decodeObjDef(full).state.length, 0);
  });

  test('every version byte but 0 is refused', () => {
    for (let v = 1; v < 256; v++) {
      const raw = fullObjDef();
      raw[0] = v;
      assert.ok(malformed(() => decodeObjDef(raw)), `version ${v}`);
    }
  });

  test('each flag byte (private, dynamic, is_link) other than 0/1 is refused', () => {
    for (const at of [131, 132, 199]) {
      for (const v of [2, 0x7f, 0x80, 0xff]) {
        const raw = fullObjDef();
        raw[at] = v;
        assert.ok(malformed(() => decodeObjDef(raw)), `byte ${at} = ${v}`);
      }
    }
  });

  test('an address or author whose algorithm byte is not 1, or an api_id whose first byte is not 0, is refused', () => {
    for (const [at, good] of [
      [1, 1],
      [66, 1],
      [134, 0],
    ] as const) {
      for (const v of [0, 1, 2, 0xff]) {
        if (v === good) continue;
        const raw = fullObjDef();
        raw[at] = v;
        // Byte 0 with a non-zero tail is not "none": it is an identifier of the wrong kind.
        assert.ok(malformed(() => decodeObjDef(raw)), `byte ${at} = ${v}`);
      }
    }
  });

  test('legroom is reported as sent, every value 0..255 (its meaning is for the receiver)', () => {
    const raw = fullObjDef();
    for (let v = 0; v < 256; v++) {
      raw[133] = v;
      assert.equal(decodeObjDef(raw).legroom, v);
    }
  });

  test('everything after the header is the state, byte for byte, also from a view at an offset', () => {
    const state = new Uint8Array(randomBytes(37));
    const raw = fullObjDef(state);
    const big = new Uint8Array(raw.length + 20).fill(0xee);
    big.set(raw, 11);
    const view = big.subarray(11, 11 + raw.length);
    const back = decodeObjDef(view);
    assert.ok(bytesEqual(back.state, state));
    assert.equal(back.state.byteOffset, 11 + OBJDEF_HEADER_BYTES, 'the state is a view of the input');
  });

  test('decoded identifiers are copies of a Uint8Array input: changing the input later does not change them', () => {
    const raw = fullObjDef();
    const back = decodeObjDef(raw);
    const before = [back.address!.slice(), back.author!.slice(), back.apiId!.slice()];
    raw.fill(0x5a, 1, OBJDEF_HEADER_BYTES);
    assert.deepEqual([back.address, back.author, back.apiId], before);
  });

  test('decoded identifiers are copies of a Buffer input too (the daemon decodes Buffers)', () => {
    // objdef.ts promises "Identifiers are copies". Peer bodies in the daemon are Buffers (views of
    // the received message); Buffer#slice is a view, not a copy.
    const raw = Buffer.from(fullObjDef());
    const back = decodeObjDef(raw);
    const ids = () => [toHex(back.address!), toHex(back.author!), toHex(back.apiId!)];
    const before = ids();
    raw.fill(0x5a, 1, OBJDEF_HEADER_BYTES);
    assert.deepEqual(ids(), before, 'identifiers changed with the input buffer');
    assert.notEqual(back.address!.buffer, raw.buffer, 'the address shares memory with the message');
  });

  test('the encoder copies: changing the inputs afterwards does not change the encoded bytes', () => {
    const address = ghid();
    const state = Uint8Array.of(1, 2, 3);
    const raw = encodeObjDef({ address, state });
    const copy = raw.slice();
    address.fill(9);
    state.fill(9);
    assert.deepEqual(raw, copy);
  });

  test('the encoder refuses legroom outside 0..255 and non-integers with ValueError', () => {
    for (const legroom of [-1, 256, 1.5, NaN, Infinity, -Infinity, 2 ** 32 - 1, 2 ** 32]) {
      const err = thrown(() => encodeObjDef({ state: EMPTY, legroom }));
      assert.ok(err instanceof ValueError, `legroom ${legroom}: ${String(err)}`);
    }
    // -0 is 0.
    assert.equal(decodeObjDef(encodeObjDef({ state: EMPTY, legroom: -0 })).legroom, 0);
  });

  test('the encoder refuses identifiers of any length but 65, naming the field', () => {
    for (const [field, name] of [
      ['address', 'address'],
      ['author', 'author'],
      ['apiId', 'api_id'],
    ] as const) {
      for (const n of [0, 1, 64, 66, 130]) {
        const err = thrown(() => encodeObjDef({ state: EMPTY, [field]: new Uint8Array(n).fill(n === 0 ? 0 : 1) }));
        // A zero-length array is a value, not "none" (that is null or undefined).
        assert.ok(err instanceof ValueError, `${field} of ${n} bytes: ${String(err)}`);
        assert.match((err as Error).message, new RegExp(name));
      }
    }
  });

  test('the encoder never produces an objdef its own decoder refuses (wrong algorithm bytes are refused up front)', () => {
    // A GHID where the api_id goes, or an API ID where a GHID goes: the encoder checks only the
    // length, so the daemon (or the SDK) sends bytes that the other end answers with NK 0001.
    const cases: [string, Partial<ObjDef>][] = [
      ['address starting 0', { address: apiId() }],
      ['author starting 2', { author: concatBytes(Uint8Array.of(2), new Uint8Array(64).fill(1)) }],
      ['api_id starting 1 (a GHID)', { apiId: ghid() }],
    ];
    const accepted: string[] = [];
    for (const [what, fields] of cases) {
      let raw: Uint8Array;
      try {
        raw = encodeObjDef({ ...fields, state: EMPTY });
      } catch (err) {
        assert.ok(err instanceof ValueError, `${what}: ${String(err)}`);
        continue;
      }
      if (malformed(() => decodeObjDef(raw))) accepted.push(what);
    }
    assert.deepEqual(accepted, [], 'encoded, then refused by decodeObjDef');
  });
});

// ------------------------------------------------------------------------------------------
// bytes.ts

describe('byte helpers', () => {
  test('hex: every byte value round-trips, lower-case out, either case in; empty is empty', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const text = toHex(all);
    assert.equal(text, Buffer.from(all).toString('hex'));
    assert.deepEqual(fromHex(text), all);
    assert.deepEqual(fromHex(text.toUpperCase()), all);
    assert.equal(toHex(EMPTY), '');
    assert.deepEqual(fromHex(''), EMPTY);
    assert.equal(toHex(all.subarray(250, 252)), 'fafb', 'a view at an offset');
  });

  test('hex: odd lengths, non-hex characters, prefixes, whitespace and non-strings are ValueError (FFFE)', () => {
    const bad: unknown[] = ['a', 'abc', '0x00', ' 00', '00 ', '00\n', '\n00', 'zz', '+1', '-1', 'é0', '٠١', '０１', 'a\u0000', null, undefined, 12, ['00'], Uint8Array.of(0)];
    for (const text of bad) {
      const err = thrown(() => fromHex(text as string));
      assert.ok(err instanceof ValueError && err.code === 0xfffe, `${JSON.stringify(String(text))}: ${String(err)}`);
    }
  });

  test('base64url: every length 0..70 round-trips, padded or not, and matches Node', () => {
    for (let n = 0; n <= 70; n++) {
      const raw = new Uint8Array(randomBytes(n));
      const text = b64urlEncode(raw);
      const node = Buffer.from(raw).toString('base64url');
      assert.equal(text.replace(/=+$/, ''), node, `length ${n}`);
      assert.equal(text.length % 4, 0, 'padded');
      assert.deepEqual(b64urlDecode(text), raw);
      assert.deepEqual(b64urlDecode(node), raw, 'unpadded');
    }
    assert.deepEqual(b64urlDecode(''), EMPTY);
  });

  test('base64url: the bytes that stress the bit arithmetic (all 0xff, all 0x00, long inputs) decode exactly', () => {
    for (const fill of [0x00, 0xff, 0x80, 0x7f]) {
      for (const n of [1, 2, 3, 65, 3000]) {
        const raw = new Uint8Array(n).fill(fill);
        assert.deepEqual(b64urlDecode(b64urlEncode(raw)), raw, `${n} × ${fill}`);
      }
    }
  });

  test('base64url: anything not URL-safe base64 decodes to null, never throws', () => {
    const bad = ['A', 'AAAAA', 'AA+A', 'AA/A', 'AA A', 'AA\nA', 'A=AA', 'AA=A', '=AAA', 'AAé=', 'AA😀', 'AA\uD800', '\u0000AAA', 'AA.A'];
    for (const text of bad) {
      let out: Uint8Array | null | 'threw';
      try {
        out = b64urlDecode(text);
      } catch {
        out = 'threw';
      }
      assert.equal(out, null, JSON.stringify(text));
    }
  });

  test('identifiers as text: unicode, look-alike and wrong-length API IDs are ValueError, not a crash', () => {
    const good = b64urlEncode(apiId());
    assert.equal(good.length, 88);
    const variants = [
      good.slice(0, 87) + 'é',
      good.slice(0, 86) + '😀', // 88 UTF-16 units, 87 code points
      good.slice(0, 87) + '\uD800',
      good.slice(0, 87) + '\u0000',
      'Ａ' + good.slice(1), // fullwidth A
      good.slice(0, 87),
      good + '=',
      good.slice(0, 84) + '+/A=', // the standard alphabet
      ' '.repeat(88),
      '='.repeat(88),
    ];
    for (const text of variants) {
      const err = thrown(() => idBytes(text, 0));
      assert.ok(err instanceof ValueError, `${JSON.stringify(text)}: ${String(err)}`);
    }
    for (const v of [null, undefined, 88, {}]) {
      assert.ok(thrown(() => idBytes(v as unknown as string, 0)) instanceof ValueError, String(v));
    }
  });

  test('concat, equality and zero checks at their edges', () => {
    assert.deepEqual(concatBytes(), EMPTY);
    assert.deepEqual(concatBytes(EMPTY, EMPTY), EMPTY);
    const base = Uint8Array.of(9, 1, 2, 3, 9);
    assert.deepEqual(concatBytes(base.subarray(1, 3), EMPTY, base.subarray(3, 4)), Uint8Array.of(1, 2, 3));
    assert.ok(bytesEqual(EMPTY, new Uint8Array(0)));
    assert.ok(!bytesEqual(Uint8Array.of(0), EMPTY));
    assert.ok(!bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
    assert.ok(isAllZero(EMPTY));
    assert.ok(isAllZero(new Uint8Array(65)));
    const last = new Uint8Array(65);
    last[64] = 1;
    assert.ok(!isAllZero(last));
  });
});

// ------------------------------------------------------------------------------------------
// peer-options.ts (checked by the Peer constructor and request())

describe('peer options', () => {
  /** Builds a Peer on a fresh open fake socket; closes it again (stopping any heartbeat). */
  function build(options: PeerOptions): unknown {
    const socket = new FakeSocket();
    try {
      new Peer(socket, options);
    } catch (err) {
      return err;
    } finally {
      socket.close();
    }
    return 'accepted';
  }

  test('sensible values are accepted, including the edges', () => {
    const extras = new FakeExtras();
    const good: PeerOptions[] = [
      {},
      { requestTimeoutMs: 1 },
      { requestTimeoutMs: 2 ** 31 - 1 },
      { heartbeatMs: 0 },
      { heartbeatMs: 1, extras },
      { heartbeatMs: 2 ** 31 - 1, extras },
      { maxOutstandingRequests: 1 },
      { maxOutstandingRequests: 32768 },
      { maxConcurrentHandlers: 1 },
      { maxQueuedRequests: 0 },
      { maxQueuedBytes: 0 },
      { maxMessageBytes: FRAME_HEADER_BYTES },
      { maxBufferedBytes: 0 },
    ];
    for (const o of good) assert.equal(build(o), 'accepted', JSON.stringify(o, (k, v) => (k === 'extras' ? 'extras' : v)));
  });

  test('timeouts and heartbeat periods that are not a usable timer delay are refused, not clamped to 1 ms or ignored', () => {
    // Node runs a timer of NaN, <= 0, Infinity or > 2^31-1 ms after 1 ms: every request would time
    // out at once, and a heartbeat of Infinity ("never") would ping every millisecond and drop the
    // peer after 2 ms. A heartbeat of NaN or -1 is silently no heartbeat.
    const extras = new FakeExtras();
    const accepted: string[] = [];
    for (const v of [NaN, -1, 0, 0.5, Infinity, 2 ** 31]) {
      if (!isOptionRefusal(build({ requestTimeoutMs: v }))) accepted.push(`requestTimeoutMs ${v}`);
    }
    for (const v of [NaN, -1, 0.5, Infinity, 2 ** 31]) {
      if (!isOptionRefusal(build({ heartbeatMs: v, extras }))) accepted.push(`heartbeatMs ${v}`);
    }
    assert.deepEqual(accepted, []);
  });

  test("a request's own timeoutMs that is not a usable delay is refused up front, and nothing is sent", async () => {
    for (const timeoutMs of [NaN, -1, 0, Infinity, 2 ** 31]) {
      const socket = new FakeSocket();
      const peer = new Peer(socket, {});
      const answer = peer.request('SL', EMPTY, { timeoutMs });
      const sent = socket.sent.length;
      socket.close(); // settles anything still pending, so nothing waits on a real clock
      const err = await answer.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      assert.equal(sent, 0, `timeoutMs ${timeoutMs}: the request was sent`);
      assert.ok(isOptionRefusal(err) && !(err instanceof RequestTimeout), `timeoutMs ${timeoutMs}: ${String(err)}`);
    }
  });

  test('maxConcurrentHandlers NaN is refused, or requests still run (never queued forever)', () => {
    const socket = new FakeSocket();
    let handled = 0;
    let peer: Peer | null = null;
    try {
      peer = new Peer(socket, { maxConcurrentHandlers: NaN, handlers: { QQ: () => void handled++ } });
    } catch (err) {
      assert.ok(isOptionRefusal(err), String(err));
    }
    if (peer) {
      socket.deliver(encodeFrame('QQ', 1));
      // A handler starts synchronously when a slot is free.
      assert.equal(handled, 1, 'with maxConcurrentHandlers NaN the request was queued and never handled');
      assert.equal(peer.busy, 1);
    }
    socket.close();
  });

  test('maxQueuedRequests NaN is refused, or the queue is still bounded', () => {
    const socket = new FakeSocket();
    let peer: Peer | null = null;
    try {
      peer = new Peer(socket, { maxConcurrentHandlers: 1, maxQueuedRequests: NaN, handlers: { QQ: () => new Promise<void>(() => {}) } });
    } catch (err) {
      assert.ok(isOptionRefusal(err), String(err));
    }
    if (peer) {
      for (let t = 1; t <= 2000; t++) socket.deliver(encodeFrame('QQ', t));
      const busy = socket.sent.filter((f) => decodeFrame(f).code === 'NK' && decodeNak(decodeFrame(f).body).code === 0x000a).length;
      assert.ok(busy > 0, `with maxQueuedRequests NaN, ${peer.busy} requests wait and none was refused`);
    }
    socket.close();
  });

  test('maxOutstandingRequests NaN is refused, or own requests are still bounded', async () => {
    const socket = new FakeSocket();
    let peer: Peer | null = null;
    try {
      peer = new Peer(socket, { maxOutstandingRequests: NaN });
    } catch (err) {
      assert.ok(isOptionRefusal(err), String(err));
    }
    if (peer) {
      const answers: Promise<unknown>[] = [];
      for (let i = 0; i < 2000; i++) answers.push(peer.request('SL').catch((e: unknown) => e));
      const outstanding = peer.outstanding;
      socket.close();
      const outcomes = await Promise.all(answers);
      assert.ok(
        outcomes.some((e) => e instanceof TooManyRequests),
        `with maxOutstandingRequests NaN, ${outstanding} requests were outstanding and none was refused`,
      );
    }
  });

  test('maxMessageBytes NaN is refused, or the message limit still holds', async () => {
    const socket = new FakeSocket();
    let peer: Peer | null = null;
    try {
      peer = new Peer(socket, { maxMessageBytes: NaN });
    } catch (err) {
      assert.ok(isOptionRefusal(err), String(err));
    }
    if (peer) {
      const answer = peer.request('SL', new Uint8Array(11 * 1024 * 1024)).catch((e: unknown) => e);
      const sent = socket.sent.length;
      socket.close();
      const err = await answer;
      assert.ok(sent === 0 && err instanceof MessageTooLarge, `with maxMessageBytes NaN an 11 MiB request was ${sent ? 'sent' : 'refused'}: ${String(err)}`);
    }
  });
});

// ------------------------------------------------------------------------------------------
// heartbeat.ts, on mocked interval timers

describe('heartbeat', () => {
  const T = 1000;

  function start(isOpen: () => boolean = () => true, extras = new FakeExtras()) {
    const events = { silent: 0, pingErrors: [] as Error[] };
    const hb = new Heartbeat({
      periodMs: T,
      extras,
      isOpen,
      onSilent: () => void events.silent++,
      onPingError: (err) => void events.pingErrors.push(err),
    });
    return { hb, extras, events };
  }

  test('one ping per period; a peer that answers every ping is never silent', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { hb, extras, events } = start();
    t.mock.timers.tick(T - 1);
    assert.equal(extras.pings, 0, 'no ping before a whole period');
    t.mock.timers.tick(1);
    assert.equal(extras.pings, 1);
    for (let i = 2; i <= 10; i++) {
      extras.pong();
      t.mock.timers.tick(T);
      assert.equal(extras.pings, i);
    }
    assert.equal(events.silent, 0);
    hb.stop();
  });

  test('a peer silent after the first ping is reported at the end of the next period, not before', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { hb, extras, events } = start();
    t.mock.timers.tick(T);
    assert.equal(extras.pings, 1);
    t.mock.timers.tick(T - 1);
    assert.equal(events.silent, 0, 'not before the period is over');
    t.mock.timers.tick(1);
    assert.equal(events.silent, 1);
    assert.equal(extras.pings, 1, 'no further ping to a peer reported silent');
    hb.stop();
  });

  test('any traffic counts like a pong, even just before the beat', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { hb, extras, events } = start();
    t.mock.timers.tick(T);
    t.mock.timers.tick(T - 1);
    hb.heardFrom();
    t.mock.timers.tick(1);
    assert.equal(events.silent, 0);
    assert.equal(extras.pings, 2);
    hb.stop();
  });

  test('the silence of one period is reported once, not again every period after', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { hb, events } = start();
    t.mock.timers.tick(T); // ping
    t.mock.timers.tick(T); // silent
    t.mock.timers.tick(3 * T); // whoever got onSilent has not stopped us yet
    assert.equal(events.silent, 1, `onSilent called ${events.silent} times for one silence`);
    hb.stop();
  });

  test('a period in which the socket was not open (still connecting) does not count as silence: it was never pinged', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let open = false;
    const { hb, extras, events } = start(() => open);
    t.mock.timers.tick(T); // connecting: no ping possible
    assert.equal(extras.pings, 0);
    open = true;
    t.mock.timers.tick(T); // first beat with an open socket: a ping, not a verdict
    assert.equal(events.silent, 0, 'declared silent without ever having been pinged');
    assert.equal(extras.pings, 1);
    hb.stop();
  });

  test('a ping that throws is reported to onPingError and never escapes the timer', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const extras = new FakeExtras();
    extras.failPing = new Error('socket gone');
    const { hb, events } = start(() => true, extras);
    assert.doesNotThrow(() => t.mock.timers.tick(T));
    assert.deepEqual(
      events.pingErrors.map((e) => e.message),
      ['socket gone'],
    );
    hb.stop();
  });

  test('after stop(): no pings, no verdicts; a late pong and a second stop() are harmless', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { hb, extras, events } = start();
    t.mock.timers.tick(T);
    hb.stop();
    hb.stop();
    extras.pong();
    t.mock.timers.tick(10 * T);
    assert.deepEqual([extras.pings, events.silent], [1, 0]);
  });

  test('through a Peer: incoming messages keep a peer alive; a silent one is terminated after two periods', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const socket = new FakeSocket();
    // Like `ws`, the socket reports the close after terminate() returns. (Also: Node 20's mock
    // timers ignore a clearInterval made inside the interval's own callback, which a synchronous
    // close would do; real timers honour it.)
    const extras = new FakeExtras(() => queueMicrotask(() => socket.close(1006, '')));
    const peer = new Peer(socket, { heartbeatMs: T, extras, handlers: { QQ: () => Uint8Array.of(1) } });
    t.mock.timers.tick(T);
    assert.equal(extras.pings, 1);
    t.mock.timers.tick(T / 2);
    socket.deliver(encodeFrame('QQ', 7)); // a request is traffic too
    t.mock.timers.tick(T / 2);
    assert.equal(extras.terminations, 0, 'a peer that sent a request is alive');
    assert.equal(extras.pings, 2);
    t.mock.timers.tick(T);
    assert.equal(extras.terminations, 1, 'silent for the whole period after the second ping');
    await Promise.resolve(); // the close microtask
    assert.equal(peer.isOpen, false);
    t.mock.timers.tick(5 * T);
    assert.deepEqual([extras.pings, extras.terminations], [2, 1], 'the heartbeat stops with the socket');
  });
});
