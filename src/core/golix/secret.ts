import { createCipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { MalformedGolixPrimitive, ValueError } from './errors.js';
import { b64url, fromB64url, type Ghid } from './ghid.js';

/** Cipher suite 1: AES-256-CTR, 32-byte key, 16-byte seed (golix §2, §7). */
export const CIPHER_SUITE = 1;
const SECRET_VERSION = 2;
const KEY_LENGTH = 32;
const SEED_LENGTH = 16;
/** "SH" | version u16 | cipher u8 | key | seed. */
export const SECRET_RECORD_LENGTH = 2 + 2 + 1 + KEY_LENGTH + SEED_LENGTH;

/**
 * A container secret (golix §7): the AES-256-CTR key and the whole initial counter block.
 * Immutable; serialized as the 53-byte `SH` record.
 */
export class Secret {
  private constructor(
    readonly key: Buffer,
    readonly seed: Buffer,
  ) {}

  readonly cipher = CIPHER_SUITE;
  readonly version = SECRET_VERSION;

  static create(key: Uint8Array, seed: Uint8Array): Secret {
    if (key.length !== KEY_LENGTH || seed.length !== SEED_LENGTH) {
      throw new ValueError(`A suite-1 secret has a ${KEY_LENGTH}-byte key and a ${SEED_LENGTH}-byte seed`);
    }
    return new Secret(Buffer.from(key), Buffer.from(seed));
  }

  /** A fresh secret from the CSPRNG. Every new container gets one (or a ratcheted one). */
  static random(): Secret {
    return new Secret(randomBytes(KEY_LENGTH), randomBytes(SEED_LENGTH));
  }

  /** The 53-byte SH record. */
  toRecord(): Buffer {
    const out = Buffer.alloc(SECRET_RECORD_LENGTH);
    out.write('SH', 0, 'latin1');
    out.writeUInt16BE(SECRET_VERSION, 2);
    out.writeUInt8(CIPHER_SUITE, 4);
    this.key.copy(out, 5);
    this.seed.copy(out, 5 + KEY_LENGTH);
    return out;
  }

  static fromRecord(record: Uint8Array): Secret {
    const buf = Buffer.from(record);
    if (buf.length !== SECRET_RECORD_LENGTH) {
      throw new MalformedGolixPrimitive(`A secret record is ${SECRET_RECORD_LENGTH} bytes, got ${buf.length}`);
    }
    if (buf.toString('latin1', 0, 2) !== 'SH') throw new MalformedGolixPrimitive('Secret record lacks the "SH" magic');
    const version = buf.readUInt16BE(2);
    if (version !== SECRET_VERSION) throw new MalformedGolixPrimitive(`Unsupported secret version ${version}`);
    const cipher = buf.readUInt8(4);
    if (cipher !== CIPHER_SUITE) throw new MalformedGolixPrimitive(`Unsupported cipher suite ${cipher}`);
    return new Secret(buf.subarray(5, 5 + KEY_LENGTH), buf.subarray(5 + KEY_LENGTH));
  }

  /** URL-safe base64 with padding (72 characters), as in configs and the vectors' manifest. */
  get text(): string {
    return b64url(this.toRecord());
  }

  static fromText(text: string): Secret {
    if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{71}=$/.test(text)) {
      throw new ValueError('A secret is 72 characters of URL-safe base64');
    }
    const record = fromB64url(text);
    // The 71st character carries two spare bits: four spellings would decode to one secret.
    if (b64url(record) !== text) throw new ValueError('A secret is 72 characters of URL-safe base64 in canonical form');
    return Secret.fromRecord(record);
  }

  equals(other: Secret): boolean {
    return timingSafeEqual(this.toRecord(), other.toRecord());
  }

  /**
   * The Hypergolix ratchet (golix §8): HKDF-SHA512 with IKM = seed‖key (seed first),
   * salt and info the full 65-byte GHIDs, L = 48; output is key‖seed.
   */
  ratchet(dynamic: Ghid, salt: Ghid): Secret {
    const ikm = Buffer.concat([this.seed, this.key]);
    const out = Buffer.from(hkdfSync('sha512', ikm, salt.bytes, dynamic.bytes, KEY_LENGTH + SEED_LENGTH));
    return new Secret(out.subarray(0, KEY_LENGTH), out.subarray(KEY_LENGTH));
  }

  /** AES-256-CTR with the seed as the whole initial counter block. Encrypting and decrypting are the same. */
  apply(data: Uint8Array): Buffer {
    const cipher = createCipheriv('aes-256-ctr', this.key, this.seed);
    return Buffer.concat([cipher.update(data), cipher.final()]);
  }

  toJSON(): string {
    return '<secret>';
  }

  /** What util.inspect (the logger, console.log) shows: never the key or the seed. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret <hidden>';
  }
}
