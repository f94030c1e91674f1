// The parser-combinator kit for values that arrive over a wire (src/common/wire-check.ts): each
// check returns a fresh value holding only the keys it knows, refuses with a WireError naming the
// bad path, and tryParse never throws, whatever arrives (JSON, or a structured clone over IPC).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  WireError,
  arr,
  bool,
  byKind,
  dict,
  nullable,
  num,
  obj,
  oneOf,
  optional,
  str,
  tryParse,
  uint,
  type Check,
} from '../../src/common/wire-check.js';

const ok = <T>(check: Check<T>, v: unknown): T => {
  const r = tryParse(check, v);
  assert.ok(r.ok, r.ok ? '' : `refused: ${r.error.message}`);
  return r.value;
};
const label = (v: unknown): string => {
  try {
    return JSON.stringify(v)?.slice(0, 80) ?? String(v);
  } catch {
    return typeof v;
  }
};
const refused = (check: Check<unknown>, v: unknown): WireError => {
  const r = tryParse(check, v);
  assert.equal(r.ok, false, r.ok ? `accepted ${label(v)}` : '');
  assert.ok(!r.ok && r.error instanceof WireError);
  return (r as { ok: false; error: WireError }).error;
};

describe('WireError', () => {
  test('carries a stable code, its name and the message', () => {
    const e = new WireError('unknown-request', 'message: unknown kind "x"');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'WireError');
    assert.equal(e.code, 'unknown-request');
    assert.equal(e.message, 'message: unknown kind "x"');
    assert.equal(String(e), 'WireError: message: unknown kind "x"');
  });

  test('the module imports nothing, so it runs in the browser as in Node', () => {
    const src = readFileSync(fileURLToPath(new URL('../../src/common/wire-check.ts', import.meta.url)), 'utf8');
    assert.doesNotMatch(src, /^\s*import\s/m);
    assert.doesNotMatch(src, /\brequire\(/);
  });
});

describe('scalars', () => {
  test('str: strings within [min, max] UTF-16 units; anything else refused with the bounds', () => {
    const s = str({ min: 2, max: 4 });
    assert.equal(ok(s, 'ab'), 'ab');
    assert.equal(ok(s, 'abcd'), 'abcd');
    assert.equal(ok(str({ max: 0 }), ''), '');
    assert.equal(ok(str({ max: 3 }), ''), '', 'min defaults to 0');
    for (const bad of ['a', 'abcde', 5, null, undefined, true, ['ab'], { toString: () => 'ab' }, new String('ab')]) refused(s, bad);
    assert.equal(refused(s, 'a').message, 'message: expected a string of 2–4 characters');
    assert.equal(refused(s, 5).message, 'message: expected a string');
    // Length is in UTF-16 units: one emoji is two.
    assert.equal(ok(str({ max: 2 }), '😀'), '😀');
    refused(str({ max: 1 }), '😀');
  });

  test('str keeps every character as sent, control characters and lone surrogates included', () => {
    for (const v of ['\u0000', '\ud800', 'a\nb', '\u202e', ' x ']) assert.equal(ok(str({ max: 10 }), v), v);
  });

  test('bool: only true and false', () => {
    assert.equal(ok(bool, true), true);
    assert.equal(ok(bool, false), false);
    for (const bad of [0, 1, 'true', 'false', null, undefined, new Boolean(true)]) assert.equal(refused(bool, bad).message, 'message: expected true or false');
  });

  test('num: any finite number, nothing else', () => {
    for (const v of [0, -1, 1.5, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 60]) assert.equal(ok(num, v), v);
    for (const bad of [Number.NaN, Infinity, -Infinity, '1', 1n, null, undefined, new Number(1), [1]]) assert.equal(refused(num, bad).message, 'message: expected a number');
  });

  test('uint: non-negative safe integers', () => {
    for (const v of [0, 1, 65535, Number.MAX_SAFE_INTEGER]) assert.equal(ok(uint, v), v);
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity, '1', 1n, null, true]) {
      assert.equal(refused(uint, bad).message, 'message: expected a non-negative integer');
    }
  });

  test('oneOf: exactly one of the listed values, compared strictly', () => {
    const c = oneOf(['a', 'b', true] as const);
    assert.equal(ok(c, 'a'), 'a');
    assert.equal(ok(c, true), true);
    for (const bad of ['A', ' a', 'true', 1, false, null, undefined, ['a'], new String('a')]) refused(c, bad);
    assert.equal(refused(c, 'z').message, 'message: expected one of a, b, true');
  });

  test('nullable and optional admit only their own absence', () => {
    assert.equal(ok(nullable(num), null), null);
    assert.equal(ok(nullable(num), 3), 3);
    refused(nullable(num), undefined);
    assert.equal(ok(optional(num), undefined), undefined);
    assert.equal(ok(optional(num), 3), 3);
    refused(optional(num), null);
    assert.equal(ok(optional(nullable(num)), null), null);
    assert.equal(ok(optional(nullable(num)), undefined), undefined);
  });
});

describe('arr', () => {
  test('each item checked, in order, into a fresh array', () => {
    const input = [1, 2, 3];
    const out = ok(arr(num, 3), input);
    assert.deepEqual(out, [1, 2, 3]);
    assert.notEqual(out, input);
    assert.deepEqual(ok(arr(num, 0), []), []);
  });

  test('more than max items is refused before any item is looked at', () => {
    let looked = 0;
    const counting: Check<number> = (v, p) => {
      looked++;
      return num(v, p);
    };
    assert.equal(refused(arr(counting, 2), [1, 2, 3]).message, 'message: expected at most 2 items');
    assert.equal(looked, 0);
    // A sparse array of huge length costs nothing.
    refused(arr(num, 10), new Array(2 ** 31));
  });

  test('a bad item names its index under the field path', () => {
    const c = obj<{ list: number[] }>({ list: arr(num, 5) });
    assert.equal(refused(c, { list: [1, 'x'] }).message, 'list.1: expected a number');
  });

  test('non-arrays are refused, array-likes included', () => {
    for (const bad of [{ length: 1, 0: 1 }, 'ab', new Set([1]), new Uint8Array(1), null, undefined, 1]) {
      assert.equal(refused(arr(num, 5), bad).message, 'message: expected a list');
    }
  });

  test('extra properties of an array are dropped', () => {
    const input = Object.assign([1], { extra: 'x' });
    const out = ok(arr(num, 5), input);
    assert.ok(!Object.hasOwn(out, 'extra'));
    assert.equal(Object.getPrototypeOf(out), Array.prototype);
  });

  // Fixed: arr() checks items with Array.prototype.map, which skips holes,
  // so a sparse array ([, 'x']) passes unchecked and the result keeps the hole: a value typed string[]
  // holds undefined. JSON cannot carry holes, but a structured clone (postMessage, Electron's ipcRenderer)
  // keeps them, so a check that promises "every item checked" lets an unchecked undefined through to
  // code typed for a string or a remote (settings.remotes, contacts, shares are arr() lists).
  test('a hole in a list is refused like any other bad item (structured clones keep holes)', () => {
    const sparse = structuredClone([, 'x'] as unknown[]);
    assert.ok(!(0 in sparse), 'the clone keeps the hole');
    const r = tryParse(arr(str({ max: 5 }), 5), sparse);
    assert.equal(r.ok, false, `accepted ${r.ok ? JSON.stringify(r.value) : ''} with ${r.ok ? r.value.filter(() => true).length : 0} real items of ${r.ok ? r.value.length : 0}`);
  });

  // Fixed: at the top level (path '') the item path
  // is built as `${path}.${i}`, so the message reads ".0: expected a string" instead of naming the
  // message like every other top-level refusal ("message: …", and obj() which avoids the leading dot).
  test('a bad item of a top-level list or map is named without a stray leading dot', () => {
    assert.doesNotMatch(refused(arr(num, 5), ['x']).message, /^\./);
    assert.doesNotMatch(refused(dict(num, 5), { a: 'x' }).message, /^\./);
  });
});

describe('dict', () => {
  test('own enumerable string keys, each value checked, into a plain object', () => {
    const out = ok(dict(num, 3), { a: 1, b: 2 });
    assert.deepEqual(out, { a: 1, b: 2 });
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(ok(dict(num, 0), {}), {});
  });

  test('too many entries, or a key too long, is refused', () => {
    assert.equal(refused(dict(num, 1), { a: 1, b: 2 }).message, 'message: expected at most 1 entries');
    assert.equal(ok(dict(num, 1, 4), { abcd: 1 }).abcd, 1);
    assert.equal(refused(dict(num, 1, 4), { abcde: 1 }).message, 'message: expected keys of at most 4 characters');
    assert.equal(refused(obj<{ m: Record<string, number> }>({ m: dict(num, 5) }), { m: { k: 'v' } }).message, 'm.k: expected a number');
  });

  test('a __proto__ key stays a plain key: no prototype changes, nothing polluted', () => {
    const hostile = JSON.parse('{"__proto__":"x","constructor":"y","a":"z"}') as unknown;
    const out = ok(dict(str({ max: 5 }), 5), hostile);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out).sort(), ['__proto__', 'a', 'constructor']);
    assert.equal(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, 'x');
    assert.equal(({} as Record<string, unknown>).a, undefined, 'Object.prototype untouched');
  });

  test('arrays, null and scalars are not maps; symbol and non-enumerable keys are ignored', () => {
    for (const bad of [[], [1], null, undefined, 'a', 1, true]) assert.equal(refused(dict(num, 5), bad).message, 'message: expected an object');
    const sym = Symbol('s');
    const v = Object.defineProperty({ [sym]: 'bad', a: 1 }, 'hidden', { value: 'bad', enumerable: false });
    assert.deepEqual(ok(dict(num, 5), v), { a: 1 });
  });
});

describe('obj', () => {
  interface Shape {
    name: string;
    age?: number;
    tags: string[];
  }
  const shape = obj<Shape>({ name: str({ min: 1, max: 10 }), age: optional(uint), tags: arr(str({ max: 5 }), 3) });

  test('exactly the known keys come out: extras dropped, absent optional keys left out', () => {
    assert.deepEqual(ok(shape, { name: 'Bea', tags: [], extra: 1, __proto__x: 2 }), { name: 'Bea', tags: [] });
    const withAge = ok(shape, { name: 'Bea', age: 3, tags: ['a'] });
    assert.deepEqual(withAge, { name: 'Bea', age: 3, tags: ['a'] });
    assert.ok(!Object.hasOwn(ok(shape, { name: 'Bea', age: undefined, tags: [] }), 'age'));
  });

  test('a missing required key is refused under its name; inherited values do not count', () => {
    assert.equal(refused(shape, { tags: [] }).message, 'name: expected a string');
    assert.equal(refused(shape, Object.create({ name: 'Bea', tags: [] })).message, 'name: expected a string');
  });

  test('paths nest: a.b.1', () => {
    const c = obj<{ a: { b: string[] } }>({ a: obj<{ b: string[] }>({ b: arr(str({ max: 1 }), 3) }) });
    assert.equal(refused(c, { a: { b: ['x', 'yy'] } }).message, 'a.b.1: expected a string of 0–1 characters');
  });

  test('a hostile __proto__ never reaches the result or Object.prototype', () => {
    const hostile = JSON.parse('{"name":"Bea","tags":[],"__proto__":{"admin":true}}') as unknown;
    const out = ok(shape, hostile) as Shape & { admin?: boolean };
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(out.admin, undefined);
    assert.equal(({} as { admin?: boolean }).admin, undefined);
  });

  test('non-objects are refused, arrays included', () => {
    for (const bad of [null, undefined, [], 'x', 1]) assert.equal(refused(shape, bad).message, 'message: expected an object');
  });

  test('getters that throw, or proxies that trap, are "unreadable", never a crash', () => {
    const getter = { get name(): string { throw new Error('boom'); }, tags: [] };
    assert.deepEqual(tryParse(shape, getter), { ok: false, error: new WireError('bad-request', 'message: unreadable') });
    const trap = new Proxy({}, { getOwnPropertyDescriptor() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); }, get() { throw new Error('trap'); } });
    const r = tryParse(shape, trap);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'bad-request');
  });

  test('the result parses again to itself (idempotent)', () => {
    const once = ok(shape, { name: 'Bea', age: 0, tags: ['a', 'b'], junk: {} });
    assert.deepEqual(ok(shape, once), once);
  });
});

describe('byKind', () => {
  type Msg = { kind: 'ping' } | { kind: 'say'; text: string };
  const msg = byKind<Msg>({
    ping: obj<{ kind: 'ping' }>({ kind: oneOf(['ping'] as const) }),
    say: obj<{ kind: 'say'; text: string }>({ kind: oneOf(['say'] as const), text: str({ max: 10 }) }),
  });

  test('each kind by its own check; extras dropped', () => {
    assert.deepEqual(ok(msg, { kind: 'ping', x: 1 }), { kind: 'ping' });
    assert.deepEqual(ok(msg, { kind: 'say', text: 'hi' }), { kind: 'say', text: 'hi' });
    assert.equal(refused(msg, { kind: 'say', text: 5 }).message, 'text: expected a string');
  });

  test('an unknown kind is its own code, and Object.prototype names are unknown kinds', () => {
    for (const kind of ['pong', 'toString', '__proto__', 'constructor', 'hasOwnProperty', '']) {
      const e = refused(msg, { kind });
      assert.equal(e.code, 'unknown-request', kind);
    }
    assert.equal(refused(msg, { kind: 'pong' }).message, 'message: unknown kind "pong"');
  });

  test('no kind, or a kind that is not a string, is a bad request', () => {
    for (const bad of [{}, { kind: 1 }, { kind: null }, { kind: ['ping'] }, [{ kind: 'ping' }], null, 'ping']) {
      const e = refused(msg, bad);
      assert.equal(e.code, 'bad-request');
      assert.equal(e.message, 'message: expected an object with a "kind"');
    }
  });

  test('a long unknown kind is cut in the message', () => {
    const e = refused(msg, { kind: 'k'.repeat(10_000) });
    assert.ok(e.message.length < 100, `${e.message.length} characters`);
  });
});

describe('tryParse', () => {
  test('returns the WireError a check threw, and turns any other throw into "unreadable"', () => {
    const r = tryParse(num, 'x');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.message, 'message: expected a number');
    const boom: Check<never> = () => {
      throw new TypeError('not a wire error');
    };
    assert.deepEqual(tryParse(boom, 1), { ok: false, error: new WireError('bad-request', 'message: unreadable') });
    const notAnError: Check<never> = () => {
      throw 'a string';
    };
    assert.equal(tryParse(notAnError, 1).ok, false);
  });

  test('a check that recurses without end is "unreadable", not a crash', () => {
    const loop: Check<unknown> = (v, p) => loop(v, p);
    const r = tryParse(loop, 1);
    assert.equal(r.ok, false);
  });

  test('deep but bounded nesting parses', () => {
    type Node = { child: Node | null };
    const node: Check<Node> = (v, p) => obj<Node>({ child: nullable(node) })(v, p);
    let value: Node = { child: null };
    for (let i = 0; i < 200; i++) value = { child: value };
    assert.deepEqual(ok(node, value), value);
  });
});
