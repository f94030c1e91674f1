/**
 * The 65-byte identifiers of the IPC protocol as bytes and as text: GHIDs (algorithm byte 1, a
 * SHA-512 address) and API IDs (byte 0 first). Their text is the 88-character URL-safe base64
 * the rest of Hypergolix shows (golix §1).
 */
import { b64urlDecode, b64urlEncode, isAllZero } from './bytes.js';
import { MalformedGolixPrimitive, ValueError } from './errors.js';

export const GHID_BYTES = 65;

/** The 88-character text of a 65-byte GHID or API ID. */
export function idText(bytes: Uint8Array): string {
  if (bytes.length !== GHID_BYTES) throw new MalformedGolixPrimitive(`An identifier is ${GHID_BYTES} bytes, got ${bytes.length}`);
  return b64urlEncode(bytes);
}

/**
 * Parses the canonical 88-character text of a 65-byte identifier. `algo` 1 is a GHID (SHA-512
 * address), 0 an API ID.
 */
export function idBytes(text: string, algo: 0 | 1): Uint8Array {
  const what = algo === 1 ? 'a GHID' : 'an API ID';
  const raw = typeof text === 'string' && text.length === 88 ? b64urlDecode(text) : null;
  if (!raw || raw.length !== GHID_BYTES || b64urlEncode(raw) !== text) {
    throw new ValueError(`Not ${what} (expected 88 characters of URL-safe base64): ${preview(text)}`);
  }
  if (raw[0] !== algo) throw new ValueError(`Not ${what}: its first byte is ${raw[0]}, not ${algo}`);
  return raw;
}

function preview(v: unknown): string {
  const s = String(v);
  return JSON.stringify(s.length > 24 ? s.slice(0, 24) + '…' : s);
}

/** A raw GHID from a body: 65 bytes, algo 1. */
export function checkGhidBytes(raw: Uint8Array, what = 'GHID'): Uint8Array {
  if (raw.length !== GHID_BYTES) throw new MalformedGolixPrimitive(`A ${what} is ${GHID_BYTES} bytes, got ${raw.length}`);
  if (raw[0] !== 1) throw new MalformedGolixPrimitive(`Unsupported ${what} address algorithm ${raw[0]}`);
  return raw;
}

/** A raw API ID from a body: 65 bytes starting with 0x00, not all zeros. */
export function checkApiIdBytes(raw: Uint8Array): Uint8Array {
  if (raw.length !== GHID_BYTES || raw[0] !== 0) throw new MalformedGolixPrimitive(`An API ID is ${GHID_BYTES} bytes starting with 0x00`);
  if (isAllZero(raw)) throw new MalformedGolixPrimitive('The all-zero API ID means "none" and cannot be registered or used');
  return raw;
}
