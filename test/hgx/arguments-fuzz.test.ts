// The SDK's public methods called with arguments of every wrong kind, seeded so that a failure
// replays: each call must settle, in time, with a result or an HgxError (never a TypeError from
// inside the SDK, a hang, or an unhandled rejection), and the link must still work afterwards.
// HGX_FUZZ_REQUESTS and HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiId, HGXLink, HgxError, JsonObj, Obj, type AnyObj } from '../../packages/hgx/src/index.js';
import { freePort } from '../fixtures/free-port.js';
import { pick, rng } from '../fixtures/mutate.js';
import { world } from '../fixtures/ipc/world.js';

const CALLS = Number(process.env.HGX_FUZZ_REQUESTS ?? 400);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0xa4c5);
/** Longer than any one call may take here: connect() is given at most 300 ms to find nothing. */
const SETTLE_MS = 5_000;

/** Values of every kind an app in JavaScript, or a value read at run time, might pass. */
function oddValues(o: { ghid: string; fingerprint: string }): unknown[] {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  return [
    undefined, null, true, false, 0, -1, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53, 10n, Symbol('s'),
    '', 'x', '7772', 'update', 'error', 'ab'.repeat(16), 'ab'.repeat(32), 'é'.repeat(1000),
    o.ghid, o.fingerprint, o.ghid.slice(1), ApiId.JSON, ApiId.RAW, ApiId.PICKLE,
    new Uint8Array(0), new Uint8Array(16), new Uint8Array(65), new Uint8Array(65).fill(1), Buffer.from('hi'),
    {}, [], [1, 'two'], { a: [null] }, cycle, new Date(0), new Map([[1, 2]]),
    () => {}, async () => {}, function Named() {}, JsonObj, Obj, class Other {},
  ];
}

test(`SDK methods given arguments of every kind: a result or an HgxError, in time (seed ${SEED}, ${CALLS} calls)`, async (t) => {
  const w = await world();
  const a = await w.user(0);
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));

  let obj: AnyObj = await link.new(JsonObj, { n: 0 });
  const closedPort = await freePort();
  const values = oddValues({ ghid: obj.ghid, fingerprint: link.whoami });
  const rand = rng(SEED);
  const any = () => values[pick(rand, values.length)];
  const maybe = () => (rand() < 0.3 ? undefined : any());
  // connect()'s options: each key present or not, and nothing that would wait long or reach a daemon.
  const connectOptions = () => {
    const o: Record<string, unknown> = { port: closedPort, timeoutMs: 300, token: 'ab'.repeat(32), reconnect: false };
    for (const key of ['port', 'host', 'timeoutMs', 'requestTimeoutMs', 'reconnect', 'legacy', 'logger', 'token', 'tokenFile']) {
      if (rand() < 0.3) o[key] = any();
    }
    if (o.timeoutMs === undefined || (typeof o.timeoutMs === 'number' && o.timeoutMs > 300)) o.timeoutMs = 300;
    if (o.port === undefined) o.port = closedPort;
    if (typeof o.port === 'number' && o.port !== closedPort) o.port = -1;
    // Now and then not an options object at all (undefined would mean the defaults: 5 s on port 7772).
    const instead = any();
    return rand() < 0.05 && instead !== undefined && (typeof instead !== 'object' || instead === null) ? instead : o;
  };

  const calls: [string, () => unknown][] = [
    ['HGXLink.connect', () => HGXLink.connect(connectOptions() as never)],
    ['new', () => link.new(maybe() as never, any() as never, maybe() as never)],
    ['new JsonObj', () => link.new(JsonObj, any() as never, maybe() as never)],
    ['get', () => link.get(maybe() as never, any() as never)],
    ['recast', () => (obj = link.recast(rand() < 0.5 ? obj : (any() as never), any() as never) as AnyObj)],
    ['registerShareHandler', () => link.registerShareHandler(any() as never, any() as never)],
    ['deregisterShareHandler', () => link.deregisterShareHandler(any() as never)],
    ['registerToken', () => link.registerToken(maybe() as never)],
    ['registerStartup', () => link.registerStartup(any() as never)],
    ['link.on', () => link.on(any() as never, any() as never)],
    ['link.once', () => link.once(any() as never, any() as never)],
    ['link.off', () => link.off(any() as never, any() as never)],
    ['obj.on', () => obj.on(any() as never, any() as never)],
    ['obj.share', () => obj.share(any() as never)],
    ['obj.push', () => ((obj.state = any() as never), obj.push())],
  ];
  const outcomes = new Map<string, number>();
  for (let i = 0; i < CALLS; i++) {
    if (!obj.isAlive) obj = await link.new(JsonObj, { n: i });
    const [name, call] = calls[pick(rand, calls.length)]!;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} (call ${i}) did not settle in ${SETTLE_MS} ms`)), SETTLE_MS)));
    try {
      const value = await Promise.race([(async () => call())(), late]);
      if (value instanceof HGXLink) await value.close();
      outcomes.set(`${name} ok`, (outcomes.get(`${name} ok`) ?? 0) + 1);
    } catch (err) {
      assert.ok(err instanceof HgxError, `${name} (call ${i}, seed ${SEED}) failed with ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
      outcomes.set(`${name} ${err.constructor.name}`, (outcomes.get(`${name} ${err.constructor.name}`) ?? 0) + 1);
    } finally {
      clearTimeout(timer);
    }
  }
  t.diagnostic(`seed ${SEED}: ${[...outcomes].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  assert.deepEqual(unhandled, []);

  // The link still works: a new object, an update, and the same state read back.
  const after = await link.new(JsonObj, { done: true });
  after.state = { done: 'yes' };
  await after.push();
  assert.deepEqual((await link.get(JsonObj, after.ghid)).state, { done: 'yes' });
  assert.ok([...outcomes.keys()].some((k) => k.endsWith(' ok')) && [...outcomes.keys()].some((k) => !k.endsWith(' ok')), 'the campaign reached both outcomes');
});
