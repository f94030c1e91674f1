import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { Reader } from './bytes.js';
import { MalformedGolixPrimitive } from './errors.js';
import { ALGO_SHA512, Ghid } from './ghid.js';
import { CIPHER_SUITE } from './secret.js';

export const MAGICS = ['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ'] as const;
export type Magic = (typeof MAGICS)[number];

/** The versions each type is read in (golix §3.1). GOBD 15 is read-only. */
export const READ_VERSIONS: Record<Magic, readonly number[]> = {
  GIDC: [2],
  GEOC: [14],
  GOBS: [6],
  GOBD: [16, 15],
  GDXX: [9],
  GARQ: [12],
};

/** The versions this implementation writes. */
export const WRITE_VERSION: Record<Magic, number> = { GIDC: 2, GEOC: 14, GOBS: 6, GOBD: 16, GDXX: 9, GARQ: 12 };

export const HEADER_LENGTH = 9;
export const DIGEST_LENGTH = 64;
export const SIGNATURE_LENGTH = 512;

/** Fields every parsed object shares. */
export interface ObjectBase {
  /** The exact bytes, as stored and sent. */
  readonly raw: Buffer;
  /** The object's own (static or frame) GHID, recomputed and checked. */
  readonly ghid: Ghid;
  readonly version: number;
  readonly cipher: number;
  /** Length of the hashed (and, where signed, signed) prefix: bytes [0 .. address algo] inclusive. */
  readonly hashedLength: number;
}

export function readHeader(r: Reader): { magic: Magic; version: number; cipher: number } {
  const magic = r.take(4).toString('latin1');
  if (!(MAGICS as readonly string[]).includes(magic)) {
    throw new MalformedGolixPrimitive(`Unknown object magic ${JSON.stringify(magic)}`);
  }
  const version = r.u32();
  if (!READ_VERSIONS[magic as Magic].includes(version)) {
    throw new MalformedGolixPrimitive(`Unsupported ${magic} version ${version}`);
  }
  const cipher = r.u8();
  if (cipher !== CIPHER_SUITE) throw new MalformedGolixPrimitive(`Unsupported cipher suite ${cipher}`);
  return { magic: magic as Magic, version, cipher };
}

export function writeHeader(magic: Magic): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH);
  out.write(magic, 0, 'latin1');
  out.writeUInt32BE(WRITE_VERSION[magic], 4);
  out.writeUInt8(CIPHER_SUITE, 8);
  return out;
}

/** One-shot hashing (Node >= 20.12): no Hash object per call, a third of parse time. */
const oneShot = (nodeCrypto as unknown as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

export function sha512(data: Uint8Array): Buffer {
  return oneShot ? oneShot('sha512', data, 'buffer') : createHash('sha512').update(data).digest();
}

/**
 * Reads `algo | digest` at the reader's position and checks it against SHA-512 of every byte
 * before the digest (golix §4.1). A mismatch is malformed, as in the reference.
 */
export function readOwnGhid(r: Reader, what: string, hashLater = false): { ghid: Ghid; hashedLength: number } {
  const algo = r.u8();
  if (algo !== ALGO_SHA512) throw new MalformedGolixPrimitive(`${what}: unsupported address algorithm ${algo}`);
  const hashedLength = r.offset;
  const stored = r.take(DIGEST_LENGTH);
  if (!hashLater && !sha512(r.buf.subarray(0, hashedLength)).equals(stored)) {
    throw new MalformedGolixPrimitive(`${what}: hash mismatch (the content does not match its GHID)`);
  }
  return { ghid: Ghid.view(r.buf.subarray(hashedLength - 1, hashedLength + DIGEST_LENGTH)), hashedLength };
}
