/**
 * Identifiers as the SDK shows them: GHIDs (objects, fingerprints) and API IDs are strings, the
 * 88-character URL-safe base64 text the rest of Hypergolix uses (config files, logs, the UI),
 * so they can be compared with `===`, used as map keys and handed to a peer out of band.
 */
import { GHID_BYTES, fromHex, idBytes, idText, toHex } from '../../../src/wire/index.js';
import { HgxError } from './errors.js';

/** A GHID in text form (88 characters), e.g. an object's address or a user's fingerprint. */
export type GhidText = string;

/**
 * Anything naming a GHID: its text, its 65 raw bytes, or an object with a `text` property (such
 * as the daemon's own `Ghid` class).
 */
export type GhidLike =
  | string
  | Uint8Array
  | {
      /** The GHID's text form. */
      readonly text: string;
    };

/**
 * Normalizes a GhidLike to its text; throws HgxError when it is not a GHID. `what` names the
 * argument in that error ("share()'s recipient"), so that an app's user learns which value was wrong.
 */
export function ghidText(g: GhidLike, what?: string): GhidText {
  const named = (message: string): HgxError => new HgxError(what ? `${what}: ${message}` : message);
  try {
    if (typeof g === 'string') return idText(idBytes(g, 1));
    if (g instanceof Uint8Array) {
      if (g.length !== GHID_BYTES || g[0] !== 1) throw named(`A GHID is ${GHID_BYTES} bytes starting with 0x01`);
      return idText(g);
    }
    if (g && typeof g.text === 'string') return idText(idBytes(g.text, 1));
  } catch (err) {
    throw err instanceof HgxError ? err : named((err as Error).message);
  }
  throw named(`Not a GHID: ${g === null ? 'null' : typeof g}`);
}

export function ghidBytes(g: GhidLike, what?: string): Uint8Array {
  return idBytes(ghidText(g, what), 1);
}

/**
 * An API ID in text form: 65 bytes, `0x00` then 64 app-chosen bytes, telling apps which schema
 * an object's state follows. Shares are routed to apps by it.
 */
export type ApiIdText = string;

function defaultApiId(n: number): ApiIdText {
  const b = new Uint8Array(GHID_BYTES);
  b[GHID_BYTES - 1] = n;
  return idText(b);
}

/** API ID helpers and the reference's defaults (hypergolix-reference §5.3). */
export const ApiId = {
  /** Raw bytes (`Obj`): `00` + 63×`00` + `01`. */
  RAW: defaultApiId(1),
  /** Python pickles (`PickleObj`): never unpickled by this SDK; open them as `Obj` to see opaque bytes. */
  PICKLE: defaultApiId(2),
  /** Compact UTF-8 JSON (`JsonObj`): … `03`. */
  JSON: defaultApiId(3),

  /** A fresh random API ID, for an app's own schema. */
  random(): ApiIdText {
    const b = new Uint8Array(GHID_BYTES);
    globalThis.crypto.getRandomValues(b.subarray(1));
    return idText(b);
  },

  /** From the 64 bytes after the leading `0x00` (or all 65), as bytes or hex. */
  from(value: Uint8Array | string): ApiIdText {
    let b: Uint8Array;
    try {
      b = typeof value === 'string' ? fromHex(value) : value;
    } catch (err) {
      throw new HgxError(`An API ID in hexadecimal is 128 (or 130) hex digits: ${(err as Error).message}`);
    }
    if (!(b instanceof Uint8Array)) throw new HgxError('ApiId.from() takes the API ID as bytes or hexadecimal text');
    if (b.length === GHID_BYTES - 1) {
      const full = new Uint8Array(GHID_BYTES);
      full.set(b, 1);
      b = full;
    }
    if (b.length !== GHID_BYTES || b[0] !== 0) throw new HgxError('An API ID is 65 bytes starting with 0x00 (or the 64 bytes after it)');
    if (b.every((x) => x === 0)) throw new HgxError('The all-zero API ID means "none"');
    return idText(b);
  },

  /** Normalizes an API ID given as text or bytes; throws HgxError if it is not one. */
  text(value: ApiIdText | Uint8Array): ApiIdText {
    if (value instanceof Uint8Array) return ApiId.from(value);
    try {
      return ApiId.from(idBytes(value, 0));
    } catch (err) {
      throw err instanceof HgxError ? err : new HgxError((err as Error).message);
    }
  },

  /** The 65 bytes of an API ID; throws HgxError if it is not one. */
  bytes(value: ApiIdText | Uint8Array): Uint8Array {
    return idBytes(ApiId.text(value), 0);
  },

  /** The 65 bytes of an API ID in hexadecimal. */
  hex(value: ApiIdText | Uint8Array): string {
    return toHex(ApiId.bytes(value));
  },
} as const;
