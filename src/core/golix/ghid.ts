import { MalformedGolixPrimitive, ValueError } from './errors.js';

/** SHA-512, the only address algorithm real objects use (golix §1). */
export const ALGO_SHA512 = 1;
export const GHID_LENGTH = 65;
const TEXT_LENGTH = 88;

/**
 * A Golix hash identifier: `algo u8 | address(64)`. Immutable value type; use `.text`
 * (the padded base64url form) as the key in maps and sets.
 */
export class Ghid {
  private textCache: string | undefined;
  private constructor(
    /** The 65 raw bytes. Never mutate. */
    readonly bytes: Buffer,
    text?: string,
  ) {
    this.textCache = text;
  }

  /** URL-safe base64 with `=` padding: 88 characters, as in file names and configs. */
  get text(): string {
    return (this.textCache ??= encodeText(this.bytes));
  }

  /** Parser use: wraps 65 bytes of an object's own buffer without copying them. */
  static view(raw: Buffer): Ghid {
    if (raw.length !== GHID_LENGTH) throw new MalformedGolixPrimitive(`A GHID is ${GHID_LENGTH} bytes, got ${raw.length}`);
    if (raw[0] !== ALGO_SHA512) throw new MalformedGolixPrimitive(`Unsupported GHID address algorithm ${raw[0]}`);
    return new Ghid(raw);
  }

  get algo(): number {
    return this.bytes[0]!;
  }

  /** The 64-byte digest without the algo byte. */
  get address(): Buffer {
    return this.bytes.subarray(1);
  }

  /** Parses 65 raw bytes (copied). Only algo 1 is accepted. */
  static fromBytes(raw: Uint8Array): Ghid {
    if (raw.length !== GHID_LENGTH) {
      throw new MalformedGolixPrimitive(`A GHID is ${GHID_LENGTH} bytes, got ${raw.length}`);
    }
    if (raw[0] !== ALGO_SHA512) {
      throw new MalformedGolixPrimitive(`Unsupported GHID address algorithm ${raw[0]}`);
    }
    return new Ghid(Buffer.from(raw));
  }

  /** Builds a GHID from a SHA-512 digest. */
  static fromDigest(digest: Uint8Array): Ghid {
    if (digest.length !== GHID_LENGTH - 1) throw new ValueError('A SHA-512 digest is 64 bytes');
    const bytes = Buffer.allocUnsafe(GHID_LENGTH);
    bytes[0] = ALGO_SHA512;
    bytes.set(digest, 1);
    return new Ghid(bytes);
  }

  /** Parses the 88-character text form, strictly (canonical encoding only). */
  static fromText(text: string): Ghid {
    if (typeof text !== 'string' || text.length !== TEXT_LENGTH || !/^[A-Za-z0-9_-]+=*$/.test(text)) {
      throw new ValueError(`Not a GHID (expected 88 characters of URL-safe base64): ${preview(text)}`);
    }
    const raw = Buffer.from(text, 'base64url');
    if (raw.length !== GHID_LENGTH || encodeText(raw) !== text) {
      throw new ValueError(`Not a canonical GHID text: ${preview(text)}`);
    }
    if (raw[0] !== ALGO_SHA512) throw new ValueError(`Unsupported GHID address algorithm ${raw[0]}`);
    return new Ghid(raw, text);
  }

  /** Like fromText, but returns null instead of throwing. */
  static tryText(text: unknown): Ghid | null {
    try {
      return typeof text === 'string' ? Ghid.fromText(text) : null;
    } catch {
      return null;
    }
  }

  equals(other: Ghid | null | undefined): boolean {
    return other != null && (this === other || this.bytes.equals(other.bytes));
  }

  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }

  /** A short form for logs: the first 12 characters, unique within any realistic set. */
  get short(): string {
    return this.text.slice(0, 12) + '…';
  }
}

function encodeText(raw: Buffer): string {
  const s = raw.toString('base64url');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

function preview(v: unknown): string {
  const s = String(v);
  return JSON.stringify(s.length > 24 ? s.slice(0, 24) + '…' : s);
}

/** Encodes arbitrary bytes in the padded URL-safe base64 used for GHIDs and secrets. */
export function b64url(raw: Uint8Array): string {
  return encodeText(Buffer.from(raw));
}

/** Decodes padded or unpadded URL-safe base64. */
export function fromB64url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}
