import { Buffer } from 'node:buffer';
import { Ghid, HypergolixError, PrivateIdentity, Secret } from '../golix/index.js';
import { DamagedAccount } from './errors.js';
import type { IncomingShare, OutstandingShare, PendingRequest } from './legacy-account.js';
import { decodePickle } from './pickle.js';
import { PyDict, PySet, PyTuple, SetMap, ShareLog, SharePair, type PyValue } from './pickle-values.js';

/**
 * Turns the decoded pickles of the reference's account objects into typed values, checking each
 * against the shape the reference writes (hypergolix-reference §2.4, §2.9). Anything else is a
 * DamagedAccount naming the object: the password was right, the content is not.
 */

/** Decodes one account object's plaintext with the restricted decoder. */
export function unpickle(part: string, plaintext: Buffer): PyValue {
  try {
    return decodePickle(plaintext);
  } catch (err) {
    if (err instanceof HypergolixError) throw new DamagedAccount(part, err.message, { cause: err });
    throw err;
  }
}

const IDENTITY_FIELDS = ['ghid', 'signature', 'encryption', 'exchange'];

/** `{'ghid', 'signature', 'encryption', 'exchange'}` → the identity; its GIDC must be the fingerprint. */
export function readIdentity(value: PyValue, fingerprint: Ghid): PrivateIdentity {
  const part = 'identity';
  const dict = expect(part, value, PyDict, 'a dict');
  const keys = dict.entries.map(([k]) => k);
  if (keys.length !== IDENTITY_FIELDS.length || !IDENTITY_FIELDS.every((f) => keys.includes(f))) {
    throw new DamagedAccount(part, `expected exactly the fields ${IDENTITY_FIELDS.join(', ')}`);
  }
  const [ghid, signature, encryption, exchange] = IDENTITY_FIELDS.map((f) => bytes(part, dict.get(f)!));
  if (!ghid!.equals(fingerprint.bytes)) {
    const named = ghid!.length === 65 && ghid![0] === 1 ? Ghid.fromBytes(ghid!).short : `no GHID (${ghid!.length} bytes)`;
    throw new DamagedAccount(part, `it names ${named}, not the account's fingerprint`);
  }
  let identity: PrivateIdentity;
  try {
    identity = PrivateIdentity.fromRaw(signature!, encryption!, exchange!);
  } catch (err) {
    throw new DamagedAccount(part, (err as Error).message, { cause: err });
  }
  if (!identity.ghid.equals(fingerprint)) throw new DamagedAccount(part, `its keys make ${identity.ghid.short}, not the fingerprint`);
  // Keys damaged where their modulus is not still make the fingerprint: found here, not as
  // signatures every server refuses after the account is brought over.
  try {
    identity.checkKeysWork();
  } catch (err) {
    throw new DamagedAccount(part, (err as Error).message, { cause: err });
  }
  return identity;
}

/** A privateer store: dict container GHID → Secret. */
export function readSecrets(part: string, value: PyValue): Map<string, Secret> {
  const out = new Map<string, Secret>();
  for (const [k, v] of expect(part, value, PyDict, 'a dict').entries) {
    out.set(ghid(part, k).text, expect(part, v, Secret, 'a Secret'));
  }
  return out;
}

/** The set of app tokens, without the null token (all zeros), which only reserves itself. */
export function readTokens(part: string, value: PyValue, tokenLength: number): Buffer[] {
  const tokens = expect(part, value, PySet, 'a set').items.map((t) => token(part, t, tokenLength));
  return tokens.filter((t) => t.some((b) => b !== 0));
}

/** HEAD: dict app token → startup GHID. 2016: SetMap app token → {GHID}. */
export function readStartup(part: string, value: PyValue, tokenLength: number): { token: Buffer; ghid: Ghid }[] {
  if (value instanceof SetMap) {
    return value.entries.flatMap(([t, set]) => set.items.map((g) => ({ token: token(part, t, tokenLength), ghid: ghid(part, g) })));
  }
  return expect(part, value, PyDict, 'a dict').entries.map(([t, g]) => ({ token: token(part, t, tokenLength), ghid: ghid(part, g) }));
}

/** dict object GHID → the app token it is private to. */
export function readPrivate(part: string, value: PyValue, tokenLength: number): { ghid: Ghid; token: Buffer }[] {
  return expect(part, value, PyDict, 'a dict').entries.map(([g, t]) => ({ ghid: ghid(part, g), token: token(part, t, tokenLength) }));
}

/** set of `_ShareLog(ghid, origin)`. */
export function readIncoming(part: string, value: PyValue): IncomingShare[] {
  return expect(part, value, PySet, 'a set').items.map((item) => {
    const log = expect(part, item, ShareLog, 'a _ShareLog');
    return { ghid: log.ghid, origin: log.origin };
  });
}

/** dict request GHID → (target, recipient), a tuple or a `_SharePair`. */
export function readPending(part: string, value: PyValue): PendingRequest[] {
  return expect(part, value, PyDict, 'a dict').entries.map(([request, pair]) => ({ request: ghid(part, request), ...ghidPair(part, pair) }));
}

/** SetMap `_SharePair(target, recipient)` → {app tokens}. */
export function readOutstanding(part: string, value: PyValue, tokenLength: number): OutstandingShare[] {
  return expect(part, value, SetMap, 'a SetMap').entries.map(([pair, tokens]) => ({
    ...ghidPair(part, pair),
    tokens: tokens.items.map((t) => token(part, t, tokenLength)),
  }));
}

/** The orphan ack/nak stores: SetMaps the reference creates and never writes; only their type is checked. */
export function readUnusedSetMap(part: string, value: PyValue): void {
  expect(part, value, SetMap, 'a SetMap');
}

/** The 2016 secondary manifest: dict name → GHID with exactly the given names. */
export function readNameMap<N extends string>(part: string, value: PyValue, names: readonly N[]): Map<N, Ghid> {
  const out = new Map<N, Ghid>();
  for (const [name, g] of expect(part, value, PyDict, 'a dict').entries) {
    if (typeof name !== 'string' || !(names as readonly string[]).includes(name)) throw new DamagedAccount(part, `unexpected entry ${JSON.stringify(name)}`);
    out.set(name as N, ghid(part, g));
  }
  if (out.size !== names.length) throw new DamagedAccount(part, `expected the entries ${names.join(', ')}`);
  return out;
}

// ---- shape checks

// `{ prototype }` rather than a constructor type: Ghid and Secret have private constructors.
function expect<T>(part: string, value: PyValue, kind: Function & { prototype: T }, what: string): T {
  if (!(value instanceof kind)) throw new DamagedAccount(part, `expected ${what}, found ${kindOf(value)}`);
  return value as T;
}

function ghid(part: string, value: PyValue): Ghid {
  return expect(part, value, Ghid, 'a Ghid');
}

function bytes(part: string, value: PyValue): Buffer {
  if (!Buffer.isBuffer(value)) throw new DamagedAccount(part, `expected bytes, found ${kindOf(value)}`);
  return value;
}

function token(part: string, value: PyValue, length: number): Buffer {
  const raw = bytes(part, value);
  if (raw.length !== length) throw new DamagedAccount(part, `an app token of ${raw.length} bytes, not ${length}`);
  return raw;
}

function ghidPair(part: string, value: PyValue): { target: Ghid; recipient: Ghid } {
  if (value instanceof SharePair) return { target: value.ghid, recipient: value.recipient };
  const items = expect(part, value, PyTuple, 'a (target, recipient) pair').items;
  if (items.length !== 2) throw new DamagedAccount(part, 'expected a (target, recipient) pair');
  return { target: ghid(part, items[0]!), recipient: ghid(part, items[1]!) };
}

function kindOf(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value !== 'object') return typeof value;
  return Buffer.isBuffer(value) ? 'bytes' : value.constructor.name;
}
