import { Buffer } from 'node:buffer';
import { ALGO_SHA512, Ghid } from '../golix/ghid.js';
import { Secret } from '../golix/index.js';
import { PyDict, PySet, PyTuple, SetMap, ShareLog, SharePair, type PyValue } from './pickle-values.js';

/** A class argument or state that is not what the reference writes; the decoder adds offset and class. */
export class ShapeMismatch extends Error {}

/**
 * How the decoder builds one allowed class from `NEWOBJ(cls, args)` and, for classes with state,
 * the `BUILD(state)` that follows. Nothing of the class is ever imported or called: these
 * functions check the shape and return plain values.
 */
export type ClassSpec =
  | { readonly kind: 'args'; readonly fromArgs: (args: readonly PyValue[]) => PyValue }
  | { readonly kind: 'state'; readonly fromState: (state: PyValue) => PyValue };

const APP_TOKEN_LENGTH = 16;

/** `golix.utils.Ghid`: slots state `(None, {'_algo': 1, '_address': 64 bytes})`. */
const GHID: ClassSpec = {
  kind: 'state',
  fromState(state) {
    const slots = slotState(state, ['_algo', '_address']);
    const algo = slots.get('_algo');
    const address = slots.get('_address');
    if (algo !== ALGO_SHA512) throw new ShapeMismatch(`unsupported GHID algorithm ${String(algo)}`);
    if (!Buffer.isBuffer(address) || address.length !== 64) throw new ShapeMismatch('a GHID address is 64 bytes');
    return Ghid.fromBytes(Buffer.concat([Buffer.of(algo), address]));
  },
};

/** `Secret` (`golix.crypto_utils` at HEAD, `golix.utils` in 2016): slots key, seed, version 2, cipher 1. */
const SECRET: ClassSpec = {
  kind: 'state',
  fromState(state) {
    const slots = slotState(state, ['_key', '_seed', '_version', '_cipher']);
    const [key, seed] = [slots.get('_key'), slots.get('_seed')];
    if (slots.get('_version') !== 2 || slots.get('_cipher') !== 1) {
      throw new ShapeMismatch(`unsupported secret version ${String(slots.get('_version'))} / cipher ${String(slots.get('_cipher'))}`);
    }
    if (!Buffer.isBuffer(key) || key.length !== 32 || !Buffer.isBuffer(seed) || seed.length !== 16) {
      throw new ShapeMismatch('a cipher-1 secret has a 32-byte key and a 16-byte seed');
    }
    return Secret.create(key, seed);
  },
};

/** `hypergolix.utils.AppToken`, a bytes subclass: `NEWOBJ(cls, (16 bytes,))`. Becomes the bytes. */
const APP_TOKEN: ClassSpec = {
  kind: 'args',
  fromArgs(args) {
    const [raw] = args;
    if (args.length !== 1 || !Buffer.isBuffer(raw) || raw.length !== APP_TOKEN_LENGTH) {
      throw new ShapeMismatch(`an app token is built from ${APP_TOKEN_LENGTH} bytes`);
    }
    return raw;
  },
};

/** `hypergolix.utils.SetMap`: dict state `{'_mapping': {key: set}}`. */
const SET_MAP: ClassSpec = {
  kind: 'state',
  fromState(state) {
    if (!(state instanceof PyDict) || state.entries.length !== 1 || !(state.get('_mapping') instanceof PyDict)) {
      throw new ShapeMismatch("a SetMap's state is {'_mapping': dict}");
    }
    const mapping = state.get('_mapping') as PyDict;
    return new SetMap(
      mapping.entries.map(([key, values]) => {
        if (!(values instanceof PySet)) throw new ShapeMismatch("a SetMap's values are sets");
        return [key, values] as const;
      }),
    );
  },
};

/** A two-GHID namedtuple: `NEWOBJ(cls, (Ghid, Ghid))`, no state. */
function ghidPair(make: (a: Ghid, b: Ghid) => PyValue): ClassSpec {
  return {
    kind: 'args',
    fromArgs(args) {
      const [a, b] = args;
      if (args.length !== 2 || !(a instanceof Ghid) || !(b instanceof Ghid)) throw new ShapeMismatch('expected (Ghid, Ghid)');
      return make(a, b);
    },
  };
}
const SHARE_LOG = ghidPair((ghid, origin) => new ShareLog(ghid, origin));
const SHARE_PAIR = ghidPair((ghid, recipient) => new SharePair(ghid, recipient));

/**
 * The allow-list: exactly the classes the reference pickles into account objects, at HEAD
 * (py_hypergolix 0.1.0 on py_golix 0.1.6) and in September 2016. Any other class is refused.
 */
export const REFERENCE_CLASSES: ReadonlyMap<string, ClassSpec> = new Map([
  ['golix.utils.Ghid', GHID],
  ['golix.crypto_utils.Secret', SECRET],
  ['golix.utils.Secret', SECRET],
  ['hypergolix.utils.AppToken', APP_TOKEN],
  ['hypergolix.utils.SetMap', SET_MAP],
  ['hypergolix.dispatch._ShareLog', SHARE_LOG],
  ['hypergolix.ipc._ShareLog', SHARE_LOG],
  ['hypergolix.rolodex._SharePair', SHARE_PAIR],
]);

/** A `__slots__` state, `(None, {name: value})`, with exactly the given names. */
function slotState(state: PyValue, names: readonly string[]): PyDict {
  const [dictState, slots] = state instanceof PyTuple ? state.items : [];
  if (!(state instanceof PyTuple) || state.items.length !== 2 || dictState !== null || !(slots instanceof PyDict)) {
    throw new ShapeMismatch('expected the slots state (None, {…})');
  }
  const keys = slots.entries.map(([k]) => k);
  if (keys.length !== names.length || !names.every((n) => keys.includes(n))) {
    throw new ShapeMismatch(`expected exactly the slots ${names.join(', ')}`);
  }
  return slots;
}
