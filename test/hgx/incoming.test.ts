// Focused tests of four SDK modules that the other test/hgx files reach only through the whole
// SDK and a real daemon:
// - incoming.ts: what the daemon asks of an app (`@O`, `!O`, `XO`, `^S`, `^F`, `D!`), called
//   directly with a recording target, and through a real HGXLink talking to a scripted daemon
//   (a wire Peer on a ws server) that sends what a hostile or buggy daemon would;
// - ids.ts: GHID and API ID parsing;
// - link-options.ts, as checked by checks.ts: connect() and new() options;
// - emitter.ts: the typed emitter behind the link's and the objects' events.
// A test that fails here asserts the correct behaviour; each failing one names a defect.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import vm from 'node:vm';
import { WebSocketServer } from 'ws';
import { ApiId, HGXLink, HgxError, JsonObj, type DaemonStatus, type GhidText, type ShareHandler } from '../../packages/hgx/src/index.js';
import { Emitter, type EventNames } from '../../packages/hgx/src/emitter.js';
import { incomingHandlers, type IncomingTarget } from '../../packages/hgx/src/incoming.js';
import { ObjectTable } from '../../packages/hgx/src/object-table.js';
import { ghidBytes, ghidText } from '../../packages/hgx/src/ids.js';
import { checkConnectOptions, checkNewOptions } from '../../packages/hgx/src/checks.js';
import { APPLY_UPSTREAM, DELETED, FORGET, KILL, LISTENER_ERROR, REQUEST, SHARE_RESULT, type LinkPort, type OpenObject } from '../../packages/hgx/src/port.js';
import type { ConnectOptions, NewOptions } from '../../packages/hgx/src/link-options.js';
import {
  AppVerb,
  HypergolixError,
  IpcVerb,
  ONE,
  Peer,
  StatusVerb,
  encodeAck,
  encodeFrame,
  encodeObjDef,
  encodeProtocolVersion,
  encodeShareNotice,
  encodeShareResult,
  fromHex,
  idText,
  type Nak,
  type RequestContext,
  type RequestHandler,
  type WireSocket,
} from '../../src/wire/index.js';
import { freePort } from '../fixtures/free-port.js';
import { until } from '../fixtures/wait.js';
import { keyProofHandlers } from '../fixtures/hgx/key-proof.js';

// ------------------------------------------------------------------------------------------------
// Identifiers and bodies

/** A distinct 65-byte GHID (algorithm byte 1) per `n`. */
const ghid = (n: number): Uint8Array => Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 1 : (n * 7 + i) & 0xff));
/** A distinct API ID (`0x00` first, not all zeros) per `n`. */
const api = (n: number): Uint8Array => Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 0 : (n * 13 + i) & 0xff));
const text = (bytes: Uint8Array): GhidText => ghidText(bytes);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const FINGERPRINT = ghid(200);
const TOKEN = 'ab'.repeat(32);

/** A whole status, as the daemon sends it. */
function fullStatus(over: Partial<DaemonStatus> = {}): DaemonStatus {
  return {
    fingerprint: text(FINGERPRINT),
    objectsCached: 3,
    storage: { kind: 'ok', path: null, freeBytes: null, message: null },
    remotes: [{ remote: '127.0.0.1:7770', connected: true, waiting: 0, storage: 'ok', registerHint: null, lastFailure: null, lastConnectedAt: 1 }],
    appsConnected: 0,
    sharesWaiting: 0,
    ...over,
  };
}

/** An `!O` / `>O` objdef. */
function objdef(address: Uint8Array | null, state: Uint8Array, o: { dynamic?: boolean; apiId?: Uint8Array } = {}): Uint8Array {
  return encodeObjDef({ address, author: FINGERPRINT, state, dynamic: o.dynamic ?? true, apiId: o.apiId ?? ApiId.bytes(ApiId.JSON) });
}

// ------------------------------------------------------------------------------------------------
// incoming.ts with a recording target

const CTX = {} as RequestContext;

/** An open object that records what the link does to it. */
function recordingObject(g: GhidText) {
  const seen: string[] = [];
  const applied: Uint8Array[] = [];
  const obj = {
    ghid: g,
    author: text(FINGERPRINT),
    apiId: ApiId.JSON,
    dynamic: true,
    private: false,
    legroom: 0,
    isAlive: true,
    state: null,
    stateBytes: new Uint8Array(0),
    [APPLY_UPSTREAM](bytes: Uint8Array) {
      applied.push(bytes);
      seen.push(`update ${new TextDecoder().decode(bytes)}`);
      return true;
    },
    [DELETED]() {
      seen.push('deleted');
    },
    [SHARE_RESULT](recipient: GhidText, ok: boolean) {
      seen.push(`${ok ? 'shared' : 'share-failed'} ${recipient.slice(0, 6)}`);
    },
    [KILL]() {
      seen.push('killed');
    },
  } satisfies OpenObject;
  return { obj, seen, applied };
}

/** The link's request handlers over a target that records every call. */
function recordingTarget(o: { objects?: OpenObject[]; shareHandlers?: [Uint8Array, ShareHandler][] } = {}) {
  const objects = new ObjectTable();
  for (const x of o.objects ?? []) objects.set(x.ghid, x);
  const shareHandlers = new Map((o.shareHandlers ?? []).map(([a, h]) => [ApiId.text(a), h]));
  const calls = {
    shareResults: [] as { ghid: GhidText; recipient: GhidText; ok: boolean }[],
    statuses: [] as unknown[],
    errors: [] as { err: unknown; where: string }[],
  };
  const target: IncomingTarget = {
    object: (g) => objects.get(g),
    upstream: (g, state) => objects.upstream(g, state),
    shareHandler: (a) => shareHandlers.get(a),
    shareResult: (r) => void calls.shareResults.push(r),
    status: (s) => void calls.statuses.push(s),
    listenerError: (err, where) => void calls.errors.push({ err, where }),
  };
  const handlers = incomingHandlers(target);
  /** What the handler of `verb` answers: its body, or the error the peer turns into an `NK`. */
  const answer = async (verb: string, body: Uint8Array): Promise<Uint8Array | void> => {
    const handler = handlers.get(verb);
    assert.ok(handler, `a handler for ${verb}`);
    return handler(body, CTX);
  };
  return { calls, handlers, answer };
}

/** Whether `err` is what a Peer answers with its own wire code (a HypergolixError), and that code is `code`. */
const wireCode = (code: number) => (err: unknown) => err instanceof HypergolixError && err.code === code;

describe('incoming.ts: the daemon → app verbs, with a recording target', () => {
  test('the link answers exactly the verbs of hypergolix-reference §4.4 and D!, nothing else', () => {
    const { handlers } = recordingTarget();
    assert.deepEqual([...handlers.keys()].sort(), [AppVerb.share, AppVerb.update, AppVerb.delete, AppVerb.shareSucceeded, AppVerb.shareFailed, StatusVerb.changed].sort());
  });

  test('each verb reaches its target, answered 01; ids are given as text; the share handler runs after the answer', async () => {
    const o = recordingObject(text(ghid(1)));
    const shares: [GhidText, GhidText, GhidText][] = [];
    const { calls, handlers, answer } = recordingTarget({ objects: [o.obj], shareHandlers: [[api(1), (g, origin, a) => void shares.push([g, origin, a])]] });

    assert.deepEqual(handlers.get(AppVerb.share)!(encodeShareNotice(ghid(2), ghid(3), api(1)), CTX), ONE);
    assert.deepEqual(shares, [], 'not before the answer: the handler usually calls get()');
    await until(() => shares.length === 1, 'the share handler');
    assert.deepEqual(shares[0], [text(ghid(2)), text(ghid(3)), ApiId.text(api(1))]);

    // The state handed to the object is its own copy, not a view into the frame the peer may reuse.
    const update = objdef(ghid(1), utf8('{"v":1}'));
    assert.deepEqual(await answer(AppVerb.update, update), ONE);
    update.fill(0x20, 200);
    assert.equal(new TextDecoder().decode(o.applied[0]), '{"v":1}');

    assert.deepEqual(await answer(AppVerb.shareFailed, encodeShareResult(ghid(9), ghid(4))), ONE, 'the outcome of a share of an object not open here');
    assert.deepEqual(calls.shareResults, [{ ghid: text(ghid(9)), recipient: text(ghid(4)), ok: false }]);
    assert.deepEqual(await answer(StatusVerb.changed, utf8(JSON.stringify(fullStatus({ objectsCached: 7 })))), ONE);
    assert.equal((calls.statuses[0] as DaemonStatus).objectsCached, 7);
    assert.deepEqual(await answer(AppVerb.delete, ghid(1)), ONE);
    // Objects not open here: answered, and nothing happens.
    assert.deepEqual(await answer(AppVerb.update, objdef(ghid(5), utf8('1'))), ONE);
    assert.deepEqual(await answer(AppVerb.delete, ghid(5)), ONE);
    assert.deepEqual(o.seen, ['update {"v":1}', 'deleted']);
    assert.deepEqual(calls.errors, []);
  });

  test('bodies of the wrong size or shape are refused as malformed (wire code 0001) and reach nothing', async () => {
    const o = recordingObject(text(ghid(1)));
    let handled = 0;
    const { calls, answer } = recordingTarget({ objects: [o.obj], shareHandlers: [[api(1), () => void handled++]] });
    const withByte = (b: Uint8Array, at: number, v: number) => {
      const c = b.slice();
      c[at] = v;
      return c;
    };
    const notice = encodeShareNotice(ghid(2), ghid(3), api(1));
    const result = encodeShareResult(ghid(1), ghid(4));
    const update = objdef(ghid(1), utf8('{}'));
    const cases: [string, string, Uint8Array][] = [
      ['@O empty', AppVerb.share, new Uint8Array(0)],
      ['@O one byte short', AppVerb.share, notice.subarray(1)],
      ['@O one byte long', AppVerb.share, Uint8Array.of(...notice, 0)],
      ['@O GHID of algorithm 0', AppVerb.share, withByte(notice, 0, 0)],
      ['@O origin of algorithm 2', AppVerb.share, withByte(notice, 65, 2)],
      ['@O API ID starting with 01', AppVerb.share, withByte(notice, 130, 1)],
      ['@O all-zero API ID', AppVerb.share, Uint8Array.of(...notice.subarray(0, 130), ...new Uint8Array(65))],
      ['@O of 1 MiB', AppVerb.share, new Uint8Array(1 << 20).fill(1)],
      ['!O shorter than the header', AppVerb.update, update.subarray(0, 199)],
      ['!O of version 1', AppVerb.update, withByte(update, 0, 1)],
      ['!O address of algorithm 0', AppVerb.update, withByte(update, 1, 0)],
      ['!O dynamic flag 2', AppVerb.update, withByte(update, 132, 2)],
      ['^S empty', AppVerb.shareSucceeded, new Uint8Array(0)],
      ['^S one byte long', AppVerb.shareSucceeded, Uint8Array.of(...result, 1)],
      ['^F recipient of algorithm 0', AppVerb.shareFailed, withByte(result, 65, 0)],
    ];
    for (const [what, verb, body] of cases) await assert.rejects(answer(verb, body), wireCode(0x0001), what);
    await new Promise((r) => setImmediate(r));
    assert.equal(handled, 0);
    assert.deepEqual(o.seen, []);
    assert.deepEqual(calls.shareResults, []);
  });

  test('an XO whose body is not a GHID is refused as malformed (0001) with what is wrong, like the other verbs', async () => {
    const o = recordingObject(text(ghid(1)));
    const { answer } = recordingTarget({ objects: [o.obj] });
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['64 bytes', ghid(1).subarray(0, 64)],
      ['66 bytes', Uint8Array.of(...ghid(1), 0)],
      ['algorithm 0', Uint8Array.of(0, ...ghid(1).subarray(1))],
    ];
    // Today ghidText() throws a plain HgxError, which the connection answers `NK FFFF "The app
    // failed to handle the request"`: the daemon learns neither that the body was malformed nor why.
    for (const [what, body] of cases) {
      await assert.rejects(answer(AppVerb.delete, body), (err: unknown) => {
        assert.ok(err instanceof HypergolixError, `XO ${what}: refused with ${(err as Error).constructor.name}, which the link answers NK FFFF with a generic message`);
        assert.equal(err.code, 0x0001, `XO ${what}`);
        return true;
      });
    }
    assert.deepEqual(o.seen, []);
  });

  test('an !O that names no object (all-zero address) is refused, not acknowledged as delivered', async () => {
    const o = recordingObject(text(ghid(1)));
    const { answer } = recordingTarget({ objects: [o.obj] });
    await assert.rejects(answer(AppVerb.update, objdef(null, utf8('{"v":9}'))), HypergolixError, 'an update without its address is malformed (the daemon refuses the same from an app)');
    assert.deepEqual(o.seen, []);
  });

  test('a share for an API ID the app has no handler for is refused (IPCError), so the daemon keeps it', async () => {
    const { answer } = recordingTarget({ shareHandlers: [[api(1), () => {}]] });
    await assert.rejects(answer(AppVerb.share, encodeShareNotice(ghid(2), ghid(3), api(2))), (err: unknown) => {
      assert.ok(err instanceof HgxError && 'code' in err && err.code === 0xffff, String(err));
      assert.match(err.message, /no handler for that API ID/);
      return true;
    });
  });

  test("a share handler that throws or rejects is reported as the app's error; nothing escapes", async (t) => {
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => void escaped.push(err);
    process.on('unhandledRejection', onEscape);
    t.after(() => process.off('unhandledRejection', onEscape));
    const thrown = new Error('sync bug');
    const rejected = new Error('async bug');
    const { calls, answer } = recordingTarget({
      shareHandlers: [
        [api(1), () => { throw thrown; }],
        [api(2), async () => { throw rejected; }],
      ],
    });
    assert.deepEqual(await answer(AppVerb.share, encodeShareNotice(ghid(2), ghid(3), api(1))), ONE);
    assert.deepEqual(await answer(AppVerb.share, encodeShareNotice(ghid(2), ghid(3), api(2))), ONE);
    await until(() => calls.errors.length === 2, 'both errors reported');
    assert.deepEqual(calls.errors.map((e) => [e.err, e.where]), [
      [thrown, 'share handler'],
      [rejected, 'share handler'],
    ]);
    assert.deepEqual(escaped, []);
  });

  test('a share handler whose promise comes from another realm (vm, iframe) is still watched: its rejection is reported, not unhandled', async (t) => {
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => void escaped.push(err);
    process.on('unhandledRejection', onEscape);
    t.after(() => process.off('unhandledRejection', onEscape));
    const realm = vm.createContext({});
    const handler = vm.runInContext('(async () => { throw new Error("bug in another realm"); })', realm) as ShareHandler;
    const { calls, answer } = recordingTarget({ shareHandlers: [[api(1), handler]] });
    assert.deepEqual(await answer(AppVerb.share, encodeShareNotice(ghid(2), ghid(3), api(1))), ONE);
    await until(() => calls.errors.length + escaped.length > 0, 'the rejection to be reported or to escape', 5_000);
    // incoming.ts checks `r instanceof Promise`; the emitter checks for a `catch` method and handles it.
    assert.deepEqual(escaped.map(String), [], 'the rejection escaped as an unhandled rejection');
    assert.equal(calls.errors.length, 1);
  });

  test('the outcome of a share of an open object goes to the object only (LinkEvents: share-result is "for an object not open here")', async () => {
    const o = recordingObject(text(ghid(1)));
    const { calls, answer } = recordingTarget({ objects: [o.obj] });
    await answer(AppVerb.shareSucceeded, encodeShareResult(ghid(1), ghid(4)));
    await answer(AppVerb.shareFailed, encodeShareResult(ghid(1), ghid(5)));
    assert.deepEqual(o.seen, [`shared ${text(ghid(4)).slice(0, 6)}`, `share-failed ${text(ghid(5)).slice(0, 6)}`]);
    assert.deepEqual(calls.shareResults, [], "an app listening to both 'shared' and 'share-result' hears each outcome twice");
  });

  test('a D! that is not JSON, or a JSON scalar, is refused and reaches no listener', async () => {
    const { calls, answer } = recordingTarget();
    for (const body of ['', '{', 'null', '5', '"ok"', 'true', '\u00ff']) {
      await assert.rejects(answer(StatusVerb.changed, utf8(body)), (err: unknown) => err instanceof HgxError && /status/i.test((err as Error).message), JSON.stringify(body));
    }
    await assert.rejects(answer(StatusVerb.changed, Uint8Array.of(0xff, 0xfe)), HgxError, 'not UTF-8');
    assert.deepEqual(calls.statuses, []);
  });

  test('a D! that is a JSON array is refused ("A status is a JSON object") and reaches no listener', async () => {
    const { calls, answer } = recordingTarget();
    await assert.rejects(answer(StatusVerb.changed, utf8('[]')), HgxError, '[] passed: typeof [] is "object"');
    await assert.rejects(answer(StatusVerb.changed, utf8(JSON.stringify([fullStatus()]))), HgxError);
    assert.deepEqual(calls.statuses, []);
  });

  test("a D! status without the fields of a status (no remotes array, no fingerprint) is refused, not handed to the app's listener", async () => {
    const { calls, answer } = recordingTarget();
    // The README's own listener, s.remotes.every(...), throws a TypeError on these.
    for (const bad of [{}, { ...fullStatus(), remotes: 'none' }, { ...fullStatus(), remotes: undefined }, { ...fullStatus(), fingerprint: 42 }]) {
      await assert.rejects(answer(StatusVerb.changed, utf8(JSON.stringify(bad))), HgxError, JSON.stringify(bad).slice(0, 60));
    }
    assert.deepEqual(calls.statuses, []);
  });
});

// ------------------------------------------------------------------------------------------------
// A real HGXLink against a scripted daemon

/** What the app answered a request of the daemon: its `AK` body, or its `NK`. */
type Outcome = { ok: true; body: Uint8Array } | { ok: false; code: number | null; message: string };

interface Stored {
  state: Uint8Array;
  dynamic?: boolean;
  apiId?: Uint8Array;
}

/**
 * A daemon speaking the IPC protocol just enough for a link to connect and open objects (`>O`
 * from `objects`), with `extra` handlers of the test's own; `push()` sends the app a request and
 * tells how the app answered.
 */
async function scriptedDaemon(o: { objects?: Map<GhidText, Stored>; extra?: [string, RequestHandler][] } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const objects = o.objects ?? new Map<GhidText, Stored>();
  const peers: Peer[] = [];
  wss.on('connection', (ws) => {
    const handlers = new Map<string, RequestHandler>([
      ...keyProofHandlers(fromHex(TOKEN), () => (wss.address() as { port: number }).port),
      [IpcVerb.version, () => encodeProtocolVersion(1)],
      [IpcVerb.whoami, () => FINGERPRINT],
      [IpcVerb.registerApi, () => ONE],
      [IpcVerb.discardObject, () => ONE],
      [
        IpcVerb.getObject,
        (body) => {
          const s = objects.get(text(body));
          if (!s) throw new HypergolixError('no such object');
          return objdef(body, s.state, s);
        },
      ],
      ...(o.extra ?? []),
    ]);
    // The raw NK (code and message) is what the test looks at, not the error class it maps to.
    const nakError = (nak: Nak) => Object.assign(new Error(nak.message), { nak });
    peers.push(new Peer(ws as unknown as WireSocket, { name: 'scripted daemon', handlers, nakError, requestTimeoutMs: 10_000 }));
  });
  const port = (wss.address() as { port: number }).port;
  const peer = (): Peer => {
    const p = peers.at(-1);
    assert.ok(p, 'the app connected');
    return p;
  };
  const outcomeOf = (answer: Promise<Uint8Array>): Promise<Outcome> =>
    answer.then(
      (body) => ({ ok: true as const, body }),
      (err: Error & { nak?: Nak }) => {
        if (!err.nak) throw err;
        return { ok: false as const, code: err.nak.code, message: err.nak.message };
      },
    );
  return {
    port,
    objects,
    peer,
    outcomeOf,
    push: (verb: string, body: Uint8Array): Promise<Outcome> => outcomeOf(peer().request(verb, body)),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

/** A link to `d`, with its warnings kept; closed after the test. */
async function linkTo(t: { after(fn: () => unknown): void }, d: { port: number }, o: Partial<ConnectOptions> = {}) {
  const warnings: string[] = [];
  const link = await HGXLink.connect({ port: d.port, token: TOKEN, reconnect: false, logger: { warn: (m, ...x) => void warnings.push(`${m} ${x.map(String).join(' ')}`) }, ...o });
  t.after(() => link.close());
  return { link, warnings };
}

describe('incoming.ts through a link: a daemon that says what it should not', () => {
  test('verbs the app does not answer (its own requests, nonsense) get NK 000E; the link goes on', async (t) => {
    const d = await scriptedDaemon({ objects: new Map([[text(ghid(1)), { state: utf8('{"v":0}') }]]) });
    t.after(d.close);
    const { link } = await linkTo(t, d);
    for (const verb of [IpcVerb.whoami, IpcVerb.auth, IpcVerb.newObject, 'ZZ', '\u007e\u007e', 'D?', 'AK'.toLowerCase()]) {
      const out = await d.push(verb, new Uint8Array(70));
      assert.deepEqual(out.ok ? 'AK' : out.code, 0x000e, verb);
    }
    assert.equal(link.connected, true);
    assert.deepEqual((await link.get(JsonObj, text(ghid(1)))).state, { v: 0 });
  });

  test('answers to requests never made, and a second answer to one, are dropped; the next request gets its own answer', async (t) => {
    const d = await scriptedDaemon({
      objects: new Map([
        [text(ghid(1)), { state: utf8('{"v":1}') }],
        [text(ghid(2)), { state: utf8('{"v":2}') }],
      ]),
      extra: [
        [
          IpcVerb.registerApi,
          (_body, ctx) => {
            // After its answer, the same token answered again (AK and NK), and answers for tokens never used.
            ctx.afterResponse(() => {
              const s = ctx.connection as unknown as Peer;
              s.socket.send(encodeAck(ctx.token, ghid(66)));
              s.socket.send(encodeFrame('NK', ctx.token, Uint8Array.of(0, 8)));
              for (const token of [0, 1, 0xffff, (ctx.token + 1) & 0xffff]) s.socket.send(encodeAck(token, objdef(ghid(3), utf8('"forged"'))));
            });
            return ONE;
          },
        ],
      ],
    });
    t.after(d.close);
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => void escaped.push(err);
    process.on('unhandledRejection', onEscape);
    t.after(() => process.off('unhandledRejection', onEscape));
    const { link } = await linkTo(t, d);
    await link.registerShareHandler(api(1), () => {});
    const [one, two] = await Promise.all([link.get(JsonObj, text(ghid(1))), link.get(JsonObj, text(ghid(2)))]);
    assert.deepEqual([one.state, two.state], [{ v: 1 }, { v: 2 }]);
    assert.equal(link.connected, true);
    assert.deepEqual(escaped, []);
  });

  test('an update whose state does not decode for the open object is answered with a refusal (README), never reaches a listener, and leaves the state', async (t) => {
    const d = await scriptedDaemon({ objects: new Map([[text(ghid(1)), { state: utf8('{"v":0}') }]]) });
    t.after(d.close);
    const { link, warnings } = await linkTo(t, d);
    const obj = await link.get(JsonObj, text(ghid(1)));
    const heard: unknown[] = [];
    obj.on('update', (o) => heard.push(o.state));
    for (const bad of [utf8('{"v":'), Uint8Array.of(0xc3, 0x28), utf8('')]) {
      const out = await d.push(AppVerb.update, objdef(ghid(1), bad));
      assert.deepEqual(heard, []);
      assert.deepEqual(obj.state, { v: 0 });
      assert.ok(warnings.some((w) => /does not decode|not UTF-8 JSON/.test(w)), 'logged');
      // README, Errors: "A push from the daemon that does not decode never reaches a listener: the
      // link logs it and answers the daemon with a refusal." Today the daemon gets AK 01.
      assert.equal(out.ok, false, `the daemon was told the update of ${JSON.stringify(new TextDecoder().decode(bad))} was taken`);
    }
    // A good one after them is applied.
    assert.equal((await d.push(AppVerb.update, objdef(ghid(1), utf8('{"v":1}')))).ok, true);
    assert.deepEqual(heard, [{ v: 1 }]);
  });

  test('an update to a static object (which "never changes") is refused and leaves its state', async (t) => {
    const d = await scriptedDaemon({ objects: new Map([[text(ghid(1)), { state: utf8('{"frozen":true}'), dynamic: false }]]) });
    t.after(d.close);
    const { link } = await linkTo(t, d);
    const obj = await link.get(JsonObj, text(ghid(1)));
    assert.equal(obj.dynamic, false);
    const heard: unknown[] = [];
    obj.on('update', (o) => heard.push(o.state));
    const out = await d.push(AppVerb.update, objdef(ghid(1), utf8('{"frozen":false}')));
    assert.deepEqual(obj.state, { frozen: true }, 'a static snapshot changed its state');
    assert.deepEqual(heard, []);
    assert.equal(out.ok, false);
  });

  test('a delete kills the open object and tells its listeners; later updates for it reach nobody; get() opens it afresh', async (t) => {
    const d = await scriptedDaemon({ objects: new Map([[text(ghid(1)), { state: utf8('{"v":0}') }]]) });
    t.after(d.close);
    const { link } = await linkTo(t, d);
    const obj = await link.get(JsonObj, text(ghid(1)));
    const events: string[] = [];
    obj.on('delete', (o) => events.push(`delete ${o.isAlive}`));
    obj.on('update', () => events.push('update'));
    assert.equal((await d.push(AppVerb.delete, ghid(1))).ok, true);
    assert.equal((await d.push(AppVerb.delete, ghid(1))).ok, true, 'a second delete is harmless');
    assert.equal((await d.push(AppVerb.update, objdef(ghid(1), utf8('{"v":1}')))).ok, true);
    assert.deepEqual(events, ['delete false']);
    assert.deepEqual(obj.state, { v: 0 });
    const again = await link.get(JsonObj, text(ghid(1)));
    assert.notEqual(again, obj);
    assert.equal(again.isAlive, true);
  });

  test('an update the daemon sends right after answering >O is not lost (both frames in one read)', async (t) => {
    const objects = new Map<GhidText, Stored>([[text(ghid(1)), { state: utf8('{"v":0}') }]]);
    let pushed: Promise<Outcome> | null = null;
    const d = await scriptedDaemon({
      objects,
      extra: [
        [
          IpcVerb.getObject,
          (body, ctx) => {
            const answer = objdef(body, objects.get(text(body))!.state);
            // Another app pushed meanwhile: the daemon tracks this app now, so it gets the `!O`.
            ctx.afterResponse(() => (pushed = d.outcomeOf(ctx.connection.request(AppVerb.update, objdef(body, utf8('{"v":1}'))))));
            return answer;
          },
        ],
      ],
    });
    t.after(d.close);
    const { link } = await linkTo(t, d);
    const obj = await link.get(JsonObj, text(ghid(1)));
    await until(() => pushed, 'the update sent');
    const out = await pushed!;
    assert.equal(out.ok, true, 'the app acknowledged the update');
    // The `!O` was handled before get() had put the object in the link's map: acknowledged, then dropped.
    assert.deepEqual(obj.state, { v: 1 }, 'the app shows a state older than the one it acknowledged');
  });

  test('a status change the daemon sends right after answering D+ reaches the app', async (t) => {
    let pushed: Promise<Outcome> | null = null;
    const d = await scriptedDaemon({
      extra: [
        [
          StatusVerb.watch,
          (_body, ctx) => {
            ctx.afterResponse(() => (pushed = d.outcomeOf(ctx.connection.request(StatusVerb.changed, utf8(JSON.stringify(fullStatus({ appsConnected: 1 })))))));
            return utf8(JSON.stringify(fullStatus()));
          },
        ],
      ],
    });
    t.after(d.close);
    const { link } = await linkTo(t, d);
    const heard: DaemonStatus[] = [];
    const shown: string[] = [];
    link.on('status', (s) => {
      heard.push(s);
      shown.push(`change: ${s.appsConnected}`);
    });
    const now = await link.watchStatus();
    shown.push(`now: ${now.appsConnected}`);
    assert.equal(now.appsConnected, 0);
    await until(() => pushed, 'the status change sent');
    assert.equal((await pushed!).ok, true);
    // watchStatus() sets its flag only after D+'s answer has been awaited; the D! that came with it
    // was acknowledged and kept, and is told after the app has the answer: never the older one last.
    await until(() => heard.length > 0, 'the change told');
    assert.deepEqual(heard.map((s) => s.appsConnected), [1]);
    assert.deepEqual(shown, ['now: 0', 'change: 1']);
  });

  test("a listener that throws while the app's logger throws too: the other listeners still run and the daemon still gets its AK", async (t) => {
    const d = await scriptedDaemon();
    t.after(d.close);
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => void escaped.push(err);
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
    t.after(() => {
      process.off('unhandledRejection', onEscape);
      process.off('uncaughtException', onEscape);
    });
    const { link } = await linkTo(t, d, {
      logger: {
        warn: () => {
          throw new Error('log file closed');
        },
      },
    });
    const heard: boolean[] = [];
    link.on('share-result', () => {
      throw new Error('app bug');
    });
    link.on('share-result', (r) => heard.push(r.ok));
    const out = await d.push(AppVerb.shareSucceeded, encodeShareResult(ghid(9), ghid(4)));
    assert.deepEqual(heard, [true], "the second 'share-result' listener never ran");
    assert.equal(out.ok, true, `the daemon got ${out.ok ? 'AK' : `NK ${out.code} "${out.message}"`}`);
    assert.deepEqual(escaped, []);
  });

  test("a share handler that throws while the app's logger throws too: nothing escapes as an uncaught exception", async (t) => {
    const d = await scriptedDaemon();
    t.after(d.close);
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => void escaped.push(err);
    process.on('uncaughtException', onEscape);
    t.after(() => process.off('uncaughtException', onEscape));
    let logged = 0;
    const { link } = await linkTo(t, d, {
      logger: {
        warn: () => {
          logged++;
          throw new Error('log file closed');
        },
      },
    });
    await link.registerShareHandler(api(1), () => {
      throw new Error('app bug');
    });
    assert.equal((await d.push(AppVerb.share, encodeShareNotice(ghid(2), ghid(3), api(1)))).ok, true);
    await until(() => logged > 0, 'the failure logged');
    await new Promise((r) => setImmediate(r));
    // incoming.ts calls target.listenerError() in a queueMicrotask callback; when that throws (the
    // link's logger), the throw leaves the microtask: an uncaught exception, which ends a Node app.
    assert.deepEqual(escaped.map(String), []);
    assert.equal(link.connected, true);
  });
});

// ------------------------------------------------------------------------------------------------
// ids.ts

describe('ids.ts: GHIDs and API IDs', () => {
  test('a GHID given as text, bytes, a Buffer or an object with text is the same text; ghidBytes gives its 65 bytes back, a copy', () => {
    const bytes = ghid(1);
    const t = text(bytes);
    assert.equal(t.length, 88);
    assert.match(t, /^[A-Za-z0-9_-]{87}=$/);
    for (const g of [t, bytes, Buffer.from(bytes), { text: t }, new Uint8Array([9, ...bytes]).subarray(1)]) assert.equal(ghidText(g), t);
    const back = ghidBytes(t);
    assert.deepEqual(back, bytes);
    back[5] = 0;
    assert.deepEqual(ghidBytes(t), bytes);
    // Every algorithm-1 GHID, edge bytes included.
    for (const fill of [0x00, 0xff, 0x3e, 0x3f]) {
      const b = new Uint8Array(65).fill(fill);
      b[0] = 1;
      assert.deepEqual(ghidBytes(ghidText(b)), b);
    }
  });

  test('what is not a GHID is an HgxError naming the argument', () => {
    const t = text(ghid(1));
    const apiText = ApiId.text(api(1));
    // The last character before '=' carries 4 bits of the GHID and 2 that must be zero.
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const notCanonical = t.slice(0, 86) + B64[B64.indexOf(t[86]!) ^ 1]! + '=';
    const odd: [string, unknown][] = [
      ['87 characters (no padding)', t.slice(0, 87)],
      ['89 characters', t + '='],
      ['standard base64 alphabet', t.replace(/-/g, '+').replace(/_/g, '/').replace(/^(.)/, '+')],
      ['surrounding spaces', ` ${t.slice(1)}`],
      ['an API ID', apiText],
      ['non-canonical last character (a padding bit set)', notCanonical],
      ['empty', ''],
      ['64 bytes', ghid(1).subarray(0, 64)],
      ['66 bytes', new Uint8Array(66).fill(1)],
      ['65 bytes of algorithm 0', api(1)],
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
      ['an array of 65 numbers', [...ghid(1)]],
      ['{ text: 5 }', { text: 5 }],
      ['{ text: an API ID }', { text: apiText }],
      ['a symbol', Symbol('ghid')],
      ['an object whose text getter throws', { get text(): string { throw new TypeError('getter'); } }],
    ];
    for (const [what, value] of odd) {
      assert.throws(() => ghidText(value as never, 'the recipient'), (err: Error) => (err.constructor as unknown) === HgxError && /^the recipient: /.test(err.message), what);
      assert.throws(() => ghidBytes(value as never), HgxError, what);
    }
  });

  test('a huge string is refused at once, with a short message', () => {
    for (const huge of ['A'.repeat(5_000_000), 'é'.repeat(1_000_000), text(ghid(1)).repeat(10_000)]) {
      assert.throws(() => ghidText(huge), (err: Error) => err instanceof HgxError && err.message.length < 200);
      assert.throws(() => ApiId.text(huge), (err: Error) => err instanceof HgxError && err.message.length < 200);
    }
  });

  test('ApiId.from, text, bytes and hex agree on one API ID in every form', () => {
    const full = api(3);
    const a = ApiId.from(full);
    assert.equal(ApiId.from(full.subarray(1)), a);
    assert.equal(ApiId.from(Buffer.from(full).toString('hex')), a);
    assert.equal(ApiId.from(Buffer.from(full).toString('hex').toUpperCase()), a);
    assert.equal(ApiId.from(Buffer.from(full.subarray(1)).toString('hex')), a);
    assert.equal(ApiId.text(a), a);
    assert.equal(ApiId.text(full), a);
    assert.deepEqual(ApiId.bytes(a), full);
    assert.equal(ApiId.hex(a), Buffer.from(full).toString('hex'));
    assert.equal(ApiId.text(ApiId.bytes(ApiId.JSON)), ApiId.JSON);
    assert.notEqual(ApiId.random(), ApiId.random());
    assert.equal(ApiId.bytes(ApiId.random())[0], 0);
    // Any first bytes after 0x00 are fine, 0xff included.
    assert.equal(ApiId.bytes(ApiId.from(new Uint8Array(64).fill(0xff)))[1], 0xff);
  });

  test('ApiId.text and ApiId.bytes refuse what is not an API ID with an HgxError', () => {
    const zeros = new Uint8Array(65);
    for (const [what, value] of [
      ['a GHID', text(ghid(1))],
      ['GHID bytes', ghid(1)],
      ['all zeros', zeros],
      ['all-zero text', idText(zeros)],
      ['hex given to text()', ApiId.hex(ApiId.JSON)],
      ['64 bytes', new Uint8Array(64)],
      ['null', null],
      ['a number', 3],
    ] as [string, unknown][]) {
      assert.throws(() => ApiId.text(value as never), (err: Error) => err instanceof HgxError, what);
      assert.throws(() => ApiId.bytes(value as never), (err: Error) => err instanceof HgxError, what);
    }
  });

  test('ApiId.from given text that is not hexadecimal, or nothing at all, is an HgxError (README: every error is an HgxError)', () => {
    for (const [what, value] of [
      ['letters that are not hex', 'zz'.repeat(64)],
      ['an odd number of digits', 'a'.repeat(127)],
      ['an 88-character API ID text (not hex)', ApiId.JSON],
      ['null', null],
      ['undefined', undefined],
    ] as [string, unknown][]) {
      assert.throws(
        () => ApiId.from(value as never),
        (err: Error) => {
          assert.ok(err instanceof HgxError, `${what}: ${err.constructor.name}: ${err.message}`);
          return true;
        },
        what,
      );
    }
  });
});

// ------------------------------------------------------------------------------------------------
// link-options.ts, as checks.ts checks them

describe('link options: connect() and new()', () => {
  test('sensible values at the edges of their ranges are taken', () => {
    const good: ConnectOptions[] = [
      {},
      { port: 1 },
      { port: 65535 },
      { host: 'localhost' },
      { host: '::1' },
      { host: 'hypergolix.local' },
      { host: '10.0.0.2' },
      { timeoutMs: 1, requestTimeoutMs: 2 ** 31 - 1 },
      { timeoutMs: 1500.5 },
      { reconnect: true },
      { reconnect: false },
      { reconnect: {} },
      { reconnect: { minDelayMs: 10, maxDelayMs: 10 } },
      { reconnect: { minDelayMs: 10 } },
      { reconnect: { maxDelayMs: 60_000 } },
      { legacy: false, logger: console, tokenFile: '/tmp/ipc-token' },
    ];
    for (const o of good) assert.doesNotThrow(() => checkConnectOptions(o), JSON.stringify(o));
    const goodNew: NewOptions[] = [{}, { legroom: 0 }, { legroom: 1 }, { legroom: 255 }, { dynamic: false, private: true }, { apiId: ApiId.JSON }];
    for (const o of goodNew) assert.doesNotThrow(() => checkNewOptions(o), JSON.stringify(o));
  });

  test('NaN, negative, infinite, fractional and text numbers are refused with a message naming the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ port: -1 }, /^port .* not -1$/],
      [{ port: Infinity }, /^port .* not Infinity$/],
      [{ port: null }, /^port .* not null$/],
      [{ timeoutMs: 0 }, /^timeoutMs .* not 0$/],
      [{ timeoutMs: -Infinity }, /^timeoutMs .* not -Infinity$/],
      [{ timeoutMs: '5000' }, /^timeoutMs .* not "5000"$/],
      [{ timeoutMs: null }, /^timeoutMs .* not null$/],
      [{ requestTimeoutMs: NaN }, /^requestTimeoutMs .* not NaN$/],
      [{ requestTimeoutMs: -1 }, /^requestTimeoutMs .* not -1$/],
      [{ reconnect: { minDelayMs: NaN } }, /^reconnect\.minDelayMs .* not NaN$/],
      [{ reconnect: { maxDelayMs: Infinity } }, /^reconnect\.maxDelayMs .* not Infinity$/],
      [{ reconnect: { minDelayMs: -100 } }, /^reconnect\.minDelayMs .* not -100$/],
      [{ reconnect: null }, /^reconnect is true, false or/],
      [{ reconnect: 1 }, /^reconnect is true, false or/],
    ];
    for (const [o, message] of bad) {
      assert.throws(() => checkConnectOptions(o as ConnectOptions), (err: Error) => (err.constructor as unknown) === HgxError && message.test(err.message), JSON.stringify(o, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
    }
    for (const legroom of [NaN, -1, Infinity, -Infinity, 0.5, '3', null]) {
      assert.throws(() => checkNewOptions({ legroom } as never), (err: Error) => (err.constructor as unknown) === HgxError && /^legroom is 1–255, or 0 for the default, not /.test(err.message), String(legroom));
    }
  });

  test('a host given with its port ("localhost:7772") fails at once naming host, not after the timeout as NotConnected', async () => {
    const port = await freePort();
    for (const host of ['localhost:7772', '127.0.0.1:7772']) {
      assert.throws(() => checkConnectOptions({ host }), (err: Error) => (err.constructor as unknown) === HgxError && /^host /.test(err.message), `${host} was taken as a host`);
      // What the app sees today: the link builds ws://[localhost:7772]:<port>/, which is no URL,
      // retries it until timeoutMs and fails with NotConnected "Invalid URL".
      await assert.rejects(HGXLink.connect({ host, port, token: TOKEN, timeoutMs: 200, reconnect: false }), (err: Error) => (err.constructor as unknown) === HgxError && /host/.test(err.message), host);
    }
  });

  test('reconnect with minDelayMs above maxDelayMs is refused, naming both', () => {
    // Today it is taken and minDelayMs is silently ignored (every delay is capped at maxDelayMs).
    assert.throws(
      () => checkConnectOptions({ reconnect: { minDelayMs: 5_000, maxDelayMs: 100 } }),
      (err: Error) => err instanceof HgxError && /minDelayMs/.test(err.message) && /maxDelayMs/.test(err.message),
    );
  });
});

// ------------------------------------------------------------------------------------------------
// emitter.ts

interface TestEvents {
  ping: [n: number];
  pong: [];
}
const TEST_EVENTS: EventNames<TestEvents> = { ping: true, pong: true };

/** An emitter whose emit() the test calls, and whose listener errors it keeps. */
class TestEmitter extends Emitter<TestEvents> {
  readonly failures: [unknown, string][] = [];
  constructor() {
    super(TEST_EVENTS);
  }
  fire<K extends keyof TestEvents>(event: K, ...args: TestEvents[K]): void {
    this.emit(event, ...args);
  }
  protected override reportListenerError(err: unknown, event: string): void {
    this.failures.push([err, event]);
  }
}

describe('emitter.ts', () => {
  test('on() refuses names the emitter does not have (prototype names included) and listeners that are not functions', () => {
    const e = new TestEmitter();
    for (const name of ['pings', 'toString', '__proto__', 'constructor', 'hasOwnProperty', '', Symbol('ping')]) {
      assert.throws(() => e.on(name as never, () => {}), (err: Error) => (err.constructor as unknown) === HgxError && /^There is no '.*' event; the events are 'ping', 'pong'$/.test(err.message), String(name));
      assert.throws(() => e.once(name as never, () => {}), HgxError, String(name));
    }
    for (const listener of [null, undefined, 'fn', 5, {}]) {
      assert.throws(() => e.on('ping', listener as never), (err: Error) => (err.constructor as unknown) === HgxError && /^The 'ping' listener is a function/.test(err.message));
    }
    assert.equal(e.listenerCount('ping'), 0);
  });

  test('a listener that throws or rejects is reported with its event, and every other listener still runs, in order', async () => {
    const e = new TestEmitter();
    const order: string[] = [];
    const thrown = new Error('sync');
    const rejected = new Error('async');
    e.on('ping', (n) => order.push(`a${n}`));
    e.on('ping', () => {
      throw thrown;
    });
    e.on('ping', async () => {
      throw rejected;
    });
    e.on('ping', (n) => order.push(`d${n}`));
    e.fire('ping', 1);
    e.fire('ping', 2);
    assert.deepEqual(order, ['a1', 'd1', 'a2', 'd2']);
    await until(() => e.failures.length === 4, 'four failures reported');
    assert.deepEqual(
      e.failures.map(([err, ev]) => [(err as Error).message, ev]).sort(),
      [['async', 'ping'], ['async', 'ping'], ['sync', 'ping'], ['sync', 'ping']],
    );
  });

  test('a rejection from a promise of another realm is reported too', async () => {
    const e = new TestEmitter();
    e.on('pong', vm.runInContext('(async () => { throw new Error("other realm"); })', vm.createContext({})) as () => void);
    e.fire('pong');
    await until(() => e.failures.length === 1, 'the rejection reported');
  });

  test('a listener removed by an earlier listener of the same event is not called for that event', () => {
    const e = new TestEmitter();
    const calls: string[] = [];
    const second = () => calls.push('second');
    e.on('ping', () => {
      calls.push('first');
      e.off('ping', second);
    });
    e.on('ping', second);
    e.fire('ping', 1);
    // emit() runs a snapshot of the listeners: 'second' runs once more after its removal (say the
    // app tore down a view in 'first', and 'second' renders into it).
    assert.deepEqual(calls, ['first']);
    e.fire('ping', 2);
    assert.deepEqual(calls, ['first', 'first']);
  });

  test('off(event, listener) removes a listener added with once(event, listener)', () => {
    const e = new TestEmitter();
    const calls: number[] = [];
    const listener = (n: number) => void calls.push(n);
    e.once('ping', listener);
    assert.equal(e.listenerCount('ping'), 1);
    e.off('ping', listener);
    e.fire('ping', 1);
    // once() registers a wrapper, which off() with the app's function does not find.
    assert.deepEqual(calls, [], 'the listener ran after off()');
    assert.equal(e.listenerCount('ping'), 0, 'the once() wrapper is still registered');
  });

  test('once() runs its listener once, even when the event fires again from inside it, and leaves no listener behind', () => {
    const e = new TestEmitter();
    const calls: number[] = [];
    e.once('ping', (n) => {
      calls.push(n);
      e.fire('ping', n + 1);
    });
    e.fire('ping', 1);
    e.fire('ping', 5);
    assert.deepEqual(calls, [1]);
    assert.equal(e.listenerCount('ping'), 0);
    const off = e.once('pong', () => calls.push(-1));
    off();
    e.fire('pong');
    assert.deepEqual(calls, [1]);
    assert.equal(e.listenerCount('pong'), 0);
  });

  test('a listener added during an emit runs from the next one; subscribing and unsubscribing many times leaves nothing', () => {
    const e = new TestEmitter();
    const calls: string[] = [];
    e.once('ping', () => {
      calls.push('first');
      e.on('ping', (n) => calls.push(`late ${n}`));
    });
    e.fire('ping', 1);
    e.fire('ping', 2);
    assert.deepEqual(calls, ['first', 'late 2']);
    const before = e.listenerCount('pong');
    for (let i = 0; i < 10_000; i++) {
      const off = e.on('pong', () => {});
      e.once('pong', () => {});
      off();
    }
    e.fire('pong');
    assert.equal(e.listenerCount('pong'), before);
    // The function on() returned removes only its own listener, and only once.
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const offA = e.on('pong', a);
    e.on('pong', b);
    offA();
    offA();
    e.fire('pong');
    assert.deepEqual(calls.slice(-1), ['b']);
  });

  test("a throwing listener of an object's 'update' does not keep the others from the update", () => {
    // A real JsonObj over a minimal link: only LISTENER_ERROR and FORGET are reached here.
    const errors: string[] = [];
    const linkPort = {
      whoami: text(FINGERPRINT),
      connected: true,
      get: () => Promise.reject(new Error('unused')),
      recast: () => {
        throw new Error('unused');
      },
      [REQUEST]: () => Promise.reject(new Error('unused')),
      [FORGET]: () => {},
      [LISTENER_ERROR]: (err: unknown, where: string) => void errors.push(`${where}: ${(err as Error).message}`),
    } satisfies LinkPort;
    const obj = new JsonObj(linkPort, { ghid: text(ghid(1)), author: text(FINGERPRINT), apiId: ApiId.JSON, dynamic: true, private: false, legroom: 0, bytes: utf8('1') });
    const seen: unknown[] = [];
    obj.on('update', () => {
      throw new Error('render failed');
    });
    obj.on('update', (o) => seen.push(o.state));
    obj[APPLY_UPSTREAM](utf8('{"v":2}'));
    assert.deepEqual(seen, [{ v: 2 }]);
    assert.deepEqual(errors, ['object update: render failed']);
    // And a state that does not decode reaches no 'update' listener.
    obj[APPLY_UPSTREAM](utf8('{'));
    assert.deepEqual(seen, [{ v: 2 }]);
    assert.equal(errors.length, 2);
    assert.match(errors[1]!, /^object update \(state does not decode\)/);
  });
});
