/**
 * The body of an `NK` (hypergolix-reference §3.1): an error code and a message for people, and,
 * as this project's extension, NK details — facts for programs (see `NakDetails`), so that
 * nobody has to parse the English:
 *
 *     code (u16 BE) | message (UTF-8, no 0x00) [ | 0x00 | field block ]
 *
 * The field block is one JSON object in printable ASCII, at most MAX_NAK_FIELDS_BYTES long. The
 * reference decodes everything after the code as UTF-8 and shows it, so it still reads such an
 * `NK` without error (the block shows after the message); an empty body is a code-less failure.
 *
 * Reading is strict about the block and forgiving about the rest: a block that is not ASCII, too
 * long, not a JSON object, or holds a known field of the wrong type or range is ignored as a
 * whole (the message is kept); fields this version does not know are skipped, so that later
 * versions may add some.
 */
import type { NakDetails } from './errors.js';

/** `NK` messages are for people; a peer that sends a novel gets it cut. */
export const MAX_NAK_MESSAGE_BYTES = 1024;
/** The largest field block this end sends or reads. */
export const MAX_NAK_FIELDS_BYTES = 256;
/** The longest wait an `NK` can ask for: a day. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

const SEPARATOR = 0x00;
/** Byte counts an `NK` may carry (`used` of `limit`): whole numbers from 0 to 2^53 − 1. */
const BYTE_FIELDS = ['used', 'limit'] as const;
const REASON = /^[a-z][a-z0-9_]{0,31}$/;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A decoded `NK` body. The detail fields are present only when the `NK` carried them. */
export interface Nak extends NakDetails {
  /** The error code, or null for an empty (code-less) `NK`. */
  readonly code: number | null;
  readonly message: string;
}

/** The detail fields worth sending: valid ones only, in a fixed order. */
function fieldsOf(details: NakDetails): Record<string, number | string> | null {
  const out: Record<string, number | string> = {};
  let any = false;
  const wait = details.retryAfterMs;
  if (typeof wait === 'number' && Number.isFinite(wait) && wait >= 0) {
    out.retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Math.ceil(wait));
    any = true;
  }
  if (typeof details.reason === 'string' && REASON.test(details.reason)) {
    out.reason = details.reason;
    any = true;
  }
  for (const key of BYTE_FIELDS) {
    const value = details[key];
    if (isByteCount(value)) {
      out[key] = value;
      any = true;
    }
  }
  return any ? out : null;
}

/**
 * `code | message [| 0x00 | fields]`. The message is cut to MAX_NAK_MESSAGE_BYTES at a character
 * boundary, and any U+0000 in it becomes U+FFFD so that the first 0x00 always starts the block.
 */
export function encodeNakBody(code: number, message: string, details: NakDetails = {}): Uint8Array {
  const text = truncateUtf8(utf8.encode(message.includes('\0') ? message.replaceAll('\0', '\ufffd') : message), MAX_NAK_MESSAGE_BYTES);
  const fields = fieldsOf(details);
  // Only known fields with checked values go in, so the block is ASCII and short by construction.
  const block = fields ? utf8.encode(JSON.stringify(fields)) : null;
  const body = new Uint8Array(2 + text.length + (block ? 1 + block.length : 0));
  body[0] = (code >> 8) & 0xff;
  body[1] = code & 0xff;
  body.set(text, 2);
  if (block) {
    body[2 + text.length] = SEPARATOR;
    body.set(block, 3 + text.length);
  }
  return body;
}

/** Reads an `NK` body. A one-byte body is not valid; it is read as a code-less failure. */
export function decodeNak(body: Uint8Array): Nak {
  if (body.length < 2) return { code: null, message: '' };
  const code = (body[0]! << 8) | body[1]!;
  const end = body.indexOf(SEPARATOR, 2);
  if (end < 0) return { code, message: utf8Decoder.decode(body.subarray(2)) };
  return { code, message: utf8Decoder.decode(body.subarray(2, end)), ...parseFields(body.subarray(end + 1)) };
}

/** The known fields of a field block, or none at all when the block is not well-formed. */
export function parseFields(block: Uint8Array): NakDetails {
  if (block.length === 0 || block.length > MAX_NAK_FIELDS_BYTES) return {};
  for (const byte of block) if (byte < 0x20 || byte > 0x7e) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(String.fromCharCode(...block));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const fields = parsed as Record<string, unknown>;
  const out: { -readonly [K in keyof NakDetails]: NakDetails[K] } = {};
  if (Object.hasOwn(fields, 'retryAfterMs')) {
    const wait = fields.retryAfterMs;
    if (typeof wait !== 'number' || !Number.isInteger(wait) || wait < 0 || wait > MAX_RETRY_AFTER_MS) return {};
    out.retryAfterMs = wait;
  }
  if (Object.hasOwn(fields, 'reason')) {
    const reason = fields.reason;
    if (typeof reason !== 'string' || !REASON.test(reason)) return {};
    out.reason = reason;
  }
  for (const key of BYTE_FIELDS) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (!isByteCount(value)) return {};
    out[key] = value;
  }
  return out;
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function truncateUtf8(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Step back over continuation bytes so the cut never splits a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
