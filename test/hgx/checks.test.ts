// What an app passes to the SDK's methods, checked before anything is sent: a wrong kind of
// argument is an HgxError (or StateError) naming it, at once, and the link keeps working after it.
// (connect()'s options: connect.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HGXLink, HgxError, JsonObj, Obj, StateError } from '../../packages/hgx/src/index.js';
import { world } from '../fixtures/ipc/world.js';

/** Rejects (or throws) with exactly `cls` and a message matching `message`. */
async function refuses(what: string, call: () => unknown, cls: typeof HgxError, message: RegExp): Promise<void> {
  await assert.rejects(
    (async () => call())(),
    (err: Error) => message.test(err.message) && err.constructor === cls,
    what,
  );
}

test('new, get and recast refuse what is not a class, options of the wrong kind, and states that are not JSON', async (t) => {
  const w = await world();
  const a = await w.user(0);
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  const obj = await link.new(JsonObj, { n: 1 });
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;

  const cases: [string, () => unknown, typeof HgxError, RegExp][] = [
    ['new(null)', () => link.new(null as never, 1 as never), HgxError, /^new\(\) takes an object class \(JsonObj, Obj or a subclass of HgxObject\), not null$/],
    ['new(a plain function)', () => link.new(function Notes() {} as never, 1 as never), HgxError, /not the function Notes/],
    ['get(a string)', () => link.get('JsonObj' as never, obj.ghid), HgxError, /^get\(\) takes an object class .* not "JsonObj"$/],
    ['recast(obj, undefined)', () => link.recast(obj, undefined as never), HgxError, /^recast\(\) takes an object class/],
    ['recast(a string, Obj)', () => link.recast('obj' as never, Obj), HgxError, /^recast\(\) takes an object opened by a link/],
    ['new options null', () => link.new(JsonObj, 1, null as never), HgxError, /^new\(\) takes an options object/],
    ["dynamic: 'no'", () => link.new(JsonObj, 1, { dynamic: 'no' as never }), HgxError, /^dynamic is true or false, not "no"$/],
    ['private: 1', () => link.new(JsonObj, 1, { private: 1 as never }), HgxError, /^private is true or false, not 1$/],
    ['legroom: 256', () => link.new(JsonObj, 1, { legroom: 256 }), HgxError, /^legroom is 1–255, or 0 for the default, not 256$/],
    ['legroom: 1.5', () => link.new(JsonObj, 1, { legroom: 1.5 }), HgxError, /not 1\.5$/],
    ['a state with a cycle', () => link.new(JsonObj, cycle as never), StateError, /^A JsonObj state must be a JSON value: Converting circular structure to JSON$/],
    ['a BigInt state', () => link.new(JsonObj, 10n as never), StateError, /^A JsonObj state must be a JSON value: Do not know how to serialize a BigInt$/],
    ['push() of a state with a cycle', () => ((obj.state = cycle as never), obj.push()), StateError, /Converting circular structure/],
    // A GHID argument that is not one says which argument it was.
    ['get(cls, a name)', () => link.get(JsonObj, 'notes'), HgxError, /^get\(\)'s ghid: Not a GHID \(expected 88 characters of URL-safe base64\): "notes"$/],
    ['get(cls, null)', () => link.get(JsonObj, null as never), HgxError, /^get\(\)'s ghid: Not a GHID: null$/],
    ['share(a name)', () => obj.share('bob'), HgxError, /^share\(\)'s recipient \(a user's fingerprint\): Not a GHID .*"bob"$/],
    ['share(64 bytes)', () => obj.share(new Uint8Array(64)), HgxError, /^share\(\)'s recipient \(a user's fingerprint\): A GHID is 65 bytes starting with 0x01$/],
    ['registerStartup(a number)', () => link.registerStartup(7 as never), HgxError, /^registerStartup\(\)'s object: Not a GHID: number$/],
  ];
  for (const [what, call, cls, message] of cases) await refuses(what, call, cls, message);

  // Nothing half-made: the link still works, and the refused push left the object as it was upstream.
  obj.state = { n: 2 };
  await obj.push();
  const again = await link.new(JsonObj, { n: 3 }, { dynamic: false });
  assert.equal(again.dynamic, false);
  assert.deepEqual((await link.get(JsonObj, obj.ghid)).state, { n: 2 });
});

test('share handlers, tokens and listeners are checked when given, not when first used', async (t) => {
  const w = await world();
  const a = await w.user(0);
  const link = await HGXLink.connect({ port: a.port, tokenFile: a.tokenFile });
  t.after(() => link.close());
  const obj = await link.new(Obj, new Uint8Array([1]));

  const cases: [string, () => unknown, RegExp][] = [
    ['a share handler that is a number', () => link.registerShareHandler(JsonObj.defaultApiId, 5 as never), /^The share handler is a function, not 5$/],
    ['a token of odd hex', () => link.registerToken('xyz'), /^An app token is 16 bytes \(32 hex digits\)$/],
    ['a token of 31 hex digits', () => link.registerToken('a'.repeat(31)), /^An app token is 16 bytes/],
    ['a token that is a number', () => link.registerToken(5 as never), /^An app token is 16 bytes/],
    ["the link's 'connected' event (there is none)", () => link.on('connected' as never, () => {}), /^There is no 'connected' event; the events are 'disconnected', 'reconnected', 'share-result', 'status', 'error'$/],
    ["an object's 'updated' event (a typo of 'update')", () => obj.on('updated' as never, () => {}), /^There is no 'updated' event; the events are 'update', 'delete', 'shared', 'share-failed'$/],
    ['once() of an unknown event', () => obj.once('changed' as never, () => {}), /^There is no 'changed' event/],
    ['a listener that is a string', () => obj.on('update', 'render' as never), /^The 'update' listener is a function, not "render"$/],
  ];
  for (const [what, call, message] of cases) await refuses(what, call, HgxError, message);

  // The refused handler did not replace anything: a real one still registers, and the link still answers.
  await link.registerShareHandler(JsonObj.defaultApiId, () => {});
  assert.match((await link.registerToken()) ?? 'none', /^none$/);
  assert.equal(obj.listenerCount('update'), 0);
});
