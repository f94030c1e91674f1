/**
 * The frame codec shared by the remote protocol and the IPC protocol (hypergolix-reference §3.1,
 * §4.1): one binary WebSocket message per frame,
 *
 *     version (2 bytes, 00 00) | code (2 ASCII bytes) | token (u16 BE) | body (rest)
 *
 * This module knows only the framing and the `AK`/`NK` responses; which request codes exist is
 * each protocol's business (see `verbs.ts` for the remote one).
 */
import { CommsError, GHID_LENGTH, Ghid, MalformedGolixPrimitive } from '../golix/index.js';

export const PROTOCOL_VERSION = 0x0000;
/** version + code + token. */
export const HEADER_LENGTH = 6;
/** Success response code. */
export const ACK = 'AK';
/** Failure response code. */
export const NAK = 'NK';
/**
 * The largest token. Tokens are u16; the connection never picks 0 itself, so that an `NK` for a
 * frame too short to carry a token can be sent with token 0 without answering a real request.
 */
export const MAX_TOKEN = 0xffff;
export const UNATTRIBUTED_TOKEN = 0;
/** `NK` messages are for people; a peer that sends a novel gets it cut. */
export const MAX_NAK_MESSAGE_BYTES = 1024;

const EMPTY = Buffer.alloc(0);

export interface Frame {
  /** A request verb, `AK` or `NK`. Always two printable ASCII characters. */
  readonly code: string;
  readonly token: number;
  /** A view into the received message, not a copy. */
  readonly body: Buffer;
}

export type MalformedFrameReason = 'short' | 'version' | 'code';

/**
 * A frame that cannot be read. It carries whatever could be salvaged, so the receiver can still
 * answer `NK` to the right token (reference defect 16: answer instead of dropping).
 */
export class MalformedFrame extends CommsError {
  constructor(
    message: string,
    readonly reason: MalformedFrameReason,
    /** The frame's token, or null when the frame is too short to hold one. */
    readonly token: number | null,
    /** The frame's code when it is readable ASCII, else null. */
    readonly verb: string | null,
  ) {
    super(message);
  }
}

function isPrintableAscii(byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e;
}

function checkCode(code: string): void {
  if (code.length !== 2 || !isPrintableAscii(code.charCodeAt(0)) || !isPrintableAscii(code.charCodeAt(1))) {
    throw new CommsError(`A frame code is two printable ASCII characters, got ${JSON.stringify(code)}`);
  }
}

function checkToken(token: number): void {
  if (!Number.isInteger(token) || token < 0 || token > MAX_TOKEN) throw new CommsError(`Token out of range: ${token}`);
}

/** Packs one frame. `code` is a verb, `AK` or `NK`. */
export function encodeFrame(code: string, token: number, body: Uint8Array = EMPTY): Buffer {
  checkCode(code);
  checkToken(token);
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out.writeUInt16BE(PROTOCOL_VERSION, 0);
  out.write(code, 2, 'latin1');
  out.writeUInt16BE(token, 4);
  out.set(body, HEADER_LENGTH);
  return out;
}

/** Reads one frame; throws MalformedFrame. The body is a view into `data`. */
export function decodeFrame(data: Buffer): Frame {
  if (data.length < HEADER_LENGTH) {
    throw new MalformedFrame(`Frame of ${data.length} bytes is shorter than the ${HEADER_LENGTH}-byte header`, 'short', null, null);
  }
  const token = data.readUInt16BE(4);
  const printable = isPrintableAscii(data[2]!) && isPrintableAscii(data[3]!);
  const code = printable ? data.toString('latin1', 2, 4) : null;
  const version = data.readUInt16BE(0);
  if (version !== PROTOCOL_VERSION) {
    throw new MalformedFrame(`Unsupported protocol version 0x${hex4(version)} (expected 0x0000)`, 'version', token, code);
  }
  if (code === null) {
    throw new MalformedFrame(`Frame code 0x${data.toString('hex', 2, 4)} is not ASCII`, 'code', token, null);
  }
  return { code, token, body: data.subarray(HEADER_LENGTH) };
}

/** `AK | token | body`. */
export function encodeAck(token: number, body: Uint8Array = EMPTY): Buffer {
  return encodeFrame(ACK, token, body);
}

/**
 * `NK | token | code u16 | UTF-8 message`, or an empty body for `code` null (generic failure).
 * Long messages are cut at a character boundary.
 */
export function encodeNak(token: number, code: number | null, message = ''): Buffer {
  if (code === null) return encodeFrame(NAK, token);
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new CommsError(`NK code out of range: ${code}`);
  const text = truncateUtf8(message, MAX_NAK_MESSAGE_BYTES);
  const body = Buffer.allocUnsafe(2 + text.length);
  body.writeUInt16BE(code, 0);
  text.copy(body, 2);
  return encodeFrame(NAK, token, body);
}

export interface NakBody {
  /** The error code, or null for an empty (code-less) `NK`. */
  readonly code: number | null;
  readonly message: string;
}

/** Reads an `NK` body. A one-byte body is not valid; it is read as a code-less failure. */
export function decodeNak(body: Buffer): NakBody {
  if (body.length < 2) return { code: null, message: '' };
  return { code: body.readUInt16BE(0), message: body.toString('utf8', 2) };
}

function truncateUtf8(text: string, maxBytes: number): Buffer {
  const full = Buffer.from(text, 'utf8');
  if (full.length <= maxBytes) return full;
  let end = maxBytes;
  // Step back over continuation bytes so the cut never splits a character.
  while (end > 0 && (full[end]! & 0xc0) === 0x80) end--;
  return full.subarray(0, end);
}

/** The one-byte `01`/`00` results of `PB`, `-S`, `?E`, … */
export const ONE: Buffer = Buffer.of(1);
export const ZERO: Buffer = Buffer.of(0);

export function encodeBool(value: boolean): Buffer {
  return value ? ONE : ZERO;
}

/** Reads a `01`/`00` result; anything else is a CommsError (the peer broke the protocol). */
export function decodeBool(body: Buffer): boolean {
  if (body.length === 1 && (body[0] === 0 || body[0] === 1)) return body[0] === 1;
  throw new CommsError(`Expected a 01/00 result, got ${body.length} bytes`);
}

/** A request body that is exactly one raw GHID; anything else is MalformedGolixPrimitive (0001). */
export function decodeGhid(body: Buffer): Ghid {
  return Ghid.fromBytes(body);
}

/** GHIDs back to back, no count (reference §3.3). */
export function encodeGhidList(ghids: Iterable<Ghid>): Buffer {
  const parts: Buffer[] = [];
  for (const g of ghids) parts.push(g.bytes);
  return Buffer.concat(parts);
}

export function decodeGhidList(body: Buffer): Ghid[] {
  if (body.length % GHID_LENGTH !== 0) {
    throw new MalformedGolixPrimitive(`A GHID list is a multiple of ${GHID_LENGTH} bytes, got ${body.length}`);
  }
  const out: Ghid[] = [];
  for (let at = 0; at < body.length; at += GHID_LENGTH) out.push(Ghid.fromBytes(body.subarray(at, at + GHID_LENGTH)));
  return out;
}

/** One line for frame logs, e.g. `PB #1a2b 716 B` or `NK #1a2b 0x0008 "…"`. Never the body itself. */
export function summarizeFrame(data: Buffer): string {
  if (data.length < HEADER_LENGTH) return `(short frame, ${data.length} B)`;
  const version = data.readUInt16BE(0);
  const code = isPrintableAscii(data[2]!) && isPrintableAscii(data[3]!) ? data.toString('latin1', 2, 4) : `0x${data.toString('hex', 2, 4)}`;
  const token = hex4(data.readUInt16BE(4));
  const body = data.subarray(HEADER_LENGTH);
  const v = version === PROTOCOL_VERSION ? '' : ` (version 0x${hex4(version)})`;
  if (code === NAK && version === PROTOCOL_VERSION) {
    const nak = decodeNak(body);
    const what = nak.code === null ? 'no code' : `0x${hex4(nak.code)}`;
    const msg = nak.message.length > 80 ? nak.message.slice(0, 80) + '…' : nak.message;
    return `NK #${token} ${what} ${JSON.stringify(msg)}`;
  }
  return `${code} #${token} ${body.length} B${v}`;
}

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
