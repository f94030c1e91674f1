import { Reader, u16, u64 } from './bytes.js';
import { MalformedGolixPrimitive, ValueError } from './errors.js';
import { ALGO_SHA512, Ghid } from './ghid.js';
import {
  DIGEST_LENGTH,
  SIGNATURE_LENGTH,
  readHeader,
  readOwnGhid,
  sha512,
  writeHeader,
  type ObjectBase,
} from './header.js';

/** Default cap on one object, the reference's 10 MiB message limit (defect 30). */
export const DEFAULT_MAX_OBJECT_BYTES = 10 * 1024 * 1024;
const MODULUS_LENGTH = 512;
const X25519_LENGTH = 32;
const GARQ_PAYLOAD_LENGTH = 512;
const MAC_LENGTH = 64;

export interface Gidc extends ObjectBase {
  readonly type: 'GIDC';
  readonly signingModulus: Buffer;
  readonly encryptionModulus: Buffer;
  readonly exchangePublic: Buffer;
}
export interface Geoc extends ObjectBase {
  readonly type: 'GEOC';
  readonly author: Ghid;
  readonly payload: Buffer;
  readonly signature: Buffer;
}
export interface Gobs extends ObjectBase {
  readonly type: 'GOBS';
  readonly binder: Ghid;
  readonly target: Ghid;
  readonly signature: Buffer;
}
export interface Gobd extends ObjectBase {
  readonly type: 'GOBD';
  readonly binder: Ghid;
  /** Frame counter (v16); null for v15 frames, which have none. */
  readonly counter: bigint | null;
  /** Targets, newest first; element 0 is the current target. A v15 frame has exactly one. */
  readonly targets: readonly Ghid[];
  /** v15 only: previous frame GHIDs, newest first. Empty for v16. */
  readonly history: readonly Ghid[];
  /** The dynamic GHID, which names the binding everywhere except storage. */
  readonly dynamic: Ghid;
  /** Whether the dynamic address was checkable by hashing (first frame form) and checked. */
  readonly dynamicVerified: boolean;
  readonly signature: Buffer;
}
export interface Gdxx extends ObjectBase {
  readonly type: 'GDXX';
  readonly debinder: Ghid;
  readonly target: Ghid;
  readonly signature: Buffer;
}
export interface Garq extends ObjectBase {
  readonly type: 'GARQ';
  readonly recipient: Ghid;
  readonly payload: Buffer;
  readonly mac: Buffer;
}

export type GolixObject = Gidc | Geoc | Gobs | Gobd | Gdxx | Garq;
export type SignedObject = Geoc | Gobs | Gobd | Gdxx;
export type ObjectType = GolixObject['type'];

export interface ParseOptions {
  /** Refuse anything larger before looking inside (defect 30). */
  maxBytes?: number;
  /** Skip the hash recomputation; used only by parseObjectAsync, which hashes off-thread. */
  skipHash?: boolean;
}

/**
 * Parses one packed Golix object strictly (golix §3.9): exact lengths, known magic/version,
 * cipher 1, algo-1 GHIDs, 4096-bit moduli, every hash recomputed. Any defect is a
 * MalformedGolixPrimitive; nothing else is ever thrown.
 */
export function parseObject(input: Uint8Array, options: ParseOptions = {}): GolixObject {
  // Callers from JSON or IPC may hand anything: it is malformed, not a TypeError.
  if (!(input instanceof Uint8Array)) throw new MalformedGolixPrimitive('An object is bytes');
  const raw = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const max = options.maxBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  if (raw.length > max) throw new MalformedGolixPrimitive(`Object of ${raw.length} bytes exceeds the ${max}-byte limit`);
  try {
    return decode(raw, options.skipHash ?? false);
  } catch (err) {
    if (err instanceof MalformedGolixPrimitive) throw err;
    throw new MalformedGolixPrimitive(`Unparseable object: ${(err as Error).message}`);
  }
}

/** Objects above this size are hashed with Web Crypto, off the event loop. */
const ASYNC_HASH_THRESHOLD = 256 * 1024;

/** Like parseObject, but large objects are hashed on the thread pool. */
export async function parseObjectAsync(input: Uint8Array, options: ParseOptions = {}): Promise<GolixObject> {
  if (input.length < ASYNC_HASH_THRESHOLD) return parseObject(input, options);
  const obj = parseObject(input, { ...options, skipHash: true });
  const digest = Buffer.from(await globalThis.crypto.subtle.digest('SHA-512', obj.raw.subarray(0, obj.hashedLength)));
  if (!digest.equals(obj.ghid.address)) {
    throw new MalformedGolixPrimitive(`${obj.type}: hash mismatch (the content does not match its GHID)`);
  }
  return obj;
}

function decode(raw: Buffer, skipHash: boolean): GolixObject {
  const r = new Reader(raw, 'object');
  const { magic, version, cipher } = readHeader(r);
  const what = magic;
  switch (magic) {
    case 'GIDC': {
      const signingModulus = modulus(r.take(MODULUS_LENGTH), 'signing');
      const encryptionModulus = modulus(r.take(MODULUS_LENGTH), 'encryption');
      const exchangePublic = r.take(X25519_LENGTH);
      const own = readOwnGhid(r, what, skipHash);
      r.end();
      return { type: 'GIDC', raw, version, cipher, ...own, signingModulus, encryptionModulus, exchangePublic };
    }
    case 'GEOC': {
      const author = r.ghid();
      const length = r.u64();
      if (length > BigInt(r.remaining)) {
        throw new MalformedGolixPrimitive(`GEOC: declared payload of ${length} bytes exceeds the object`);
      }
      const payload = r.take(Number(length));
      const own = readOwnGhid(r, what, skipHash);
      const signature = r.take(SIGNATURE_LENGTH);
      r.end();
      return { type: 'GEOC', raw, version, cipher, ...own, author, payload, signature };
    }
    case 'GOBS':
    case 'GDXX': {
      const signer = r.ghid();
      const target = r.ghid();
      const own = readOwnGhid(r, what, skipHash);
      const signature = r.take(SIGNATURE_LENGTH);
      r.end();
      return magic === 'GOBS'
        ? { type: 'GOBS', raw, version, cipher, ...own, binder: signer, target, signature }
        : { type: 'GDXX', raw, version, cipher, ...own, debinder: signer, target, signature };
    }
    case 'GOBD':
      return version === 16 ? decodeGobd16(r, raw, cipher, skipHash) : decodeGobd15(r, raw, cipher, skipHash);
    case 'GARQ': {
      const recipient = r.ghid();
      const payload = r.take(GARQ_PAYLOAD_LENGTH);
      const own = readOwnGhid(r, what, skipHash);
      const mac = r.take(MAC_LENGTH);
      r.end();
      return { type: 'GARQ', raw, version, cipher, ...own, recipient, payload, mac };
    }
  }
}

function decodeGobd16(r: Reader, raw: Buffer, cipher: number, skipHash: boolean): Gobd {
  const binder = r.ghid();
  const counter = r.u64();
  const vectorLength = r.u16();
  if (vectorLength === 0) throw new MalformedGolixPrimitive('GOBD: empty target vector');
  const targets = r.ghidList(vectorLength);
  const { dynamic, dynamicVerified } = readDynamic(r, targets.length === 1, skipHash);
  const own = readOwnGhid(r, 'GOBD', skipHash);
  const signature = r.take(SIGNATURE_LENGTH);
  r.end();
  return { type: 'GOBD', raw, version: 16, cipher, ...own, binder, counter, targets, history: [], dynamic, dynamicVerified, signature };
}

function decodeGobd15(r: Reader, raw: Buffer, cipher: number, skipHash: boolean): Gobd {
  const binder = r.ghid();
  const historyLength = r.u16();
  const history = r.ghidList(historyLength);
  const target = r.ghid();
  const { dynamic, dynamicVerified } = readDynamic(r, history.length === 0, skipHash);
  const own = readOwnGhid(r, 'GOBD', skipHash);
  const signature = r.take(SIGNATURE_LENGTH);
  r.end();
  return { type: 'GOBD', raw, version: 15, cipher, ...own, binder, counter: null, targets: [target], history, dynamic, dynamicVerified, signature };
}

/**
 * The dynamic GHID is hash-checkable only in first-frame form (golix §4.4): a one-entry v16
 * vector or an empty v15 history. That is exactly when py_golix checks it.
 */
function readDynamic(r: Reader, checkable: boolean, skipHash: boolean): { dynamic: Ghid; dynamicVerified: boolean } {
  const algo = r.u8();
  if (algo !== ALGO_SHA512) throw new MalformedGolixPrimitive(`GOBD: unsupported dynamic address algorithm ${algo}`);
  const end = r.offset;
  const address = r.take(DIGEST_LENGTH);
  if (checkable && !skipHash && !sha512(r.buf.subarray(0, end)).equals(address)) {
    throw new MalformedGolixPrimitive('GOBD: dynamic address does not match the first frame');
  }
  return { dynamic: Ghid.fromDigest(address), dynamicVerified: checkable && !skipHash };
}

function modulus(bytes: Buffer, which: string): Buffer {
  if (bytes[0] === 0) throw new MalformedGolixPrimitive(`GIDC: ${which} key is not a 4096-bit modulus`);
  // An RSA modulus is a product of two odd primes; an even one makes OpenSSL fail untyped later.
  if ((bytes[bytes.length - 1]! & 1) === 0) throw new MalformedGolixPrimitive(`GIDC: ${which} key's modulus is even, so not an RSA modulus`);
  return bytes;
}

/** The GHID that signed the object (author, binder or debinder), or null for GIDC/GARQ. */
export function signerOf(obj: GolixObject): Ghid | null {
  switch (obj.type) {
    case 'GEOC':
      return obj.author;
    case 'GOBS':
    case 'GOBD':
      return obj.binder;
    case 'GDXX':
      return obj.debinder;
    default:
      return null;
  }
}

export function isSigned(obj: GolixObject): obj is SignedObject {
  return obj.type === 'GEOC' || obj.type === 'GOBS' || obj.type === 'GOBD' || obj.type === 'GDXX';
}

/** The GHID other objects use to name this one: the dynamic GHID for a GOBD, else its own. */
export function addressOf(obj: GolixObject): Ghid {
  return obj.type === 'GOBD' ? obj.dynamic : obj.ghid;
}

// ---- packing: everything before the file digest. Signing (sign.ts) appends digest + signature.

/**
 * The unsigned prefix of an object: every byte up to and including its own address algo byte.
 * Its SHA-512 is the file hash; a signature covers exactly these bytes.
 */
export type Unsigned = Buffer & { readonly __unsigned: true };

const ALGO = Buffer.of(ALGO_SHA512);

export function packGidc(signingModulus: Buffer, encryptionModulus: Buffer, exchangePublic: Buffer): Buffer {
  if (signingModulus.length !== MODULUS_LENGTH || encryptionModulus.length !== MODULUS_LENGTH) {
    throw new ValueError('GIDC moduli are 512 bytes');
  }
  // As parseObject checks them (golix §3.9): a full 4096 bits, odd. Packed otherwise, no peer would take it.
  for (const m of [signingModulus, encryptionModulus]) {
    if (m[0] === 0 || (m[MODULUS_LENGTH - 1]! & 1) === 0) throw new ValueError('GIDC moduli are odd numbers of a full 4096 bits');
  }
  if (exchangePublic.length !== X25519_LENGTH) throw new ValueError('An X25519 public key is 32 bytes');
  const body = Buffer.concat([writeHeader('GIDC'), signingModulus, encryptionModulus, exchangePublic, ALGO]);
  return Buffer.concat([body, sha512(body)]);
}

export function packGeoc(author: Ghid, ciphertext: Buffer): Unsigned {
  if (ciphertext.length === 0) throw new ValueError('py_golix cannot read an empty GEOC payload; refusing to make one');
  return Buffer.concat([writeHeader('GEOC'), author.bytes, u64(BigInt(ciphertext.length)), ciphertext, ALGO]) as Unsigned;
}

export function packGobs(binder: Ghid, target: Ghid): Unsigned {
  return Buffer.concat([writeHeader('GOBS'), binder.bytes, target.bytes, ALGO]) as Unsigned;
}

export function packGdxx(debinder: Ghid, target: Ghid): Unsigned {
  return Buffer.concat([writeHeader('GDXX'), debinder.bytes, target.bytes, ALGO]) as Unsigned;
}

/**
 * A v16 GOBD frame. For the first frame (`dynamic` omitted) the vector must have one entry and
 * the dynamic GHID is computed; later frames copy it and must carry ≥ 2 targets (golix §4.4).
 */
export function packGobd(binder: Ghid, counter: bigint, targets: readonly Ghid[], dynamic?: Ghid): { unsigned: Unsigned; dynamic: Ghid } {
  if (targets.length === 0) throw new ValueError('A GOBD needs at least one target');
  if (dynamic === undefined && targets.length !== 1) throw new ValueError('A first frame has exactly one target');
  if (dynamic !== undefined && targets.length < 2) {
    throw new ValueError('Every frame after the first must carry at least two targets (golix §4.4)');
  }
  if (counter < 0n || counter >= 2n ** 64n) throw new ValueError('A GOBD counter is a u64 (a frame after counter 2^64 - 1 cannot be made)');
  const vector = Buffer.concat(targets.map((t) => t.bytes));
  if (vector.length > 0xffff) throw new ValueError('GOBD target vector too long');
  const head = Buffer.concat([writeHeader('GOBD'), binder.bytes, u64(counter), u16(vector.length), vector, ALGO]);
  const dyn = dynamic ?? Ghid.fromDigest(sha512(head));
  return { unsigned: Buffer.concat([head, dyn.address, ALGO]) as Unsigned, dynamic: dyn };
}

/** Appends the file digest to an unsigned prefix (for GARQ, whose MAC follows; see requests.ts). */
export function withDigest(unsigned: Buffer): { body: Buffer; digest: Buffer } {
  const digest = sha512(unsigned);
  return { body: Buffer.concat([unsigned, digest]), digest };
}

