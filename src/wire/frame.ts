/**
 * The frame codec of the remote protocol and the IPC protocol (hypergolix-reference §3.1, §4.1):
 * one binary WebSocket message per frame,
 *
 *     version (2 bytes, 00 00) | code (2 ASCII bytes) | token (u16 BE) | body (rest)
 *
 * Responses are `AK | token | body` and `NK | token | NK body` (see `nak.ts`). This module knows
 * only the framing; which request codes exist is each protocol's business.
 */
import { CommsError, type NakDetails } from './errors.js';
import { decodeNak, encodeNakBody } from './nak.js';

export const PROTOCOL_VERSION = 0x0000;
/** version + code + token. */
export const FRAME_HEADER_BYTES = 6;
/** Success response code. */
export const ACK = 'AK';
/** Failure response code. */
export const NAK = 'NK';
/**
 * The largest token. Tokens are u16; a peer never picks 0 itself, so that an `NK` for a frame
 * too short to carry a token can be sent with token 0 without answering a real request.
 */
export const MAX_TOKEN = 0xffff;
export const UNATTRIBUTED_TOKEN = 0;

const EMPTY = new Uint8Array(0);

export interface Frame<B extends Uint8Array = Uint8Array> {
  /** A request verb, `AK` or `NK`. Always two printable ASCII characters. */
  readonly code: string;
  readonly token: number;
  /** A view into the received message, not a copy (of the message's own class: a Buffer's body is a Buffer). */
  readonly body: B;
}

/** What is wrong with a frame: too short for the header, another protocol version, a code that is not ASCII. */
export type MalformedFrameFlaw = 'short' | 'version' | 'code';

/**
 * A frame that cannot be read. It carries whatever could be salvaged, so the receiver can still
 * answer `NK` to the right token (reference defect 16: answer instead of dropping).
 */
export class MalformedFrame extends CommsError {
  constructor(
    message: string,
    readonly flaw: MalformedFrameFlaw,
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

/** Packs one frame. `code` is a verb, `AK` or `NK`. */
export function encodeFrame(code: string, token: number, body: Uint8Array = EMPTY): Uint8Array {
  if (code.length !== 2 || !isPrintableAscii(code.charCodeAt(0)) || !isPrintableAscii(code.charCodeAt(1))) {
    throw new CommsError(`A frame code is two printable ASCII characters, got ${JSON.stringify(code)}`);
  }
  if (!Number.isInteger(token) || token < 0 || token > MAX_TOKEN) throw new CommsError(`Token out of range: ${token}`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  // Bytes 0–1 stay 00 00: PROTOCOL_VERSION.
  out[2] = code.charCodeAt(0);
  out[3] = code.charCodeAt(1);
  out[4] = token >> 8;
  out[5] = token & 0xff;
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Reads one frame; throws MalformedFrame. The body is a view into `data` made by `subarray`,
 * which keeps the class of `data` (typed-array species): a Buffer in gives a Buffer body.
 */
export function decodeFrame<B extends Uint8Array>(data: B): Frame<B> {
  if (data.length < FRAME_HEADER_BYTES) {
    throw new MalformedFrame(`Frame of ${data.length} bytes is shorter than the ${FRAME_HEADER_BYTES}-byte header`, 'short', null, null);
  }
  const token = (data[4]! << 8) | data[5]!;
  const code = isPrintableAscii(data[2]!) && isPrintableAscii(data[3]!) ? String.fromCharCode(data[2]!, data[3]!) : null;
  const version = (data[0]! << 8) | data[1]!;
  if (version !== PROTOCOL_VERSION) {
    throw new MalformedFrame(`Unsupported protocol version 0x${hex4(version)} (expected 0x0000)`, 'version', token, code);
  }
  if (code === null) {
    throw new MalformedFrame(`Frame code 0x${hex2(data[2]!)}${hex2(data[3]!)} is not ASCII`, 'code', token, null);
  }
  return { code, token, body: data.subarray(FRAME_HEADER_BYTES) as B };
}

/** `AK | token | body`. */
export function encodeAck(token: number, body: Uint8Array = EMPTY): Uint8Array {
  return encodeFrame(ACK, token, body);
}

/**
 * `NK | token | code u16 | UTF-8 message [| 0x00 | fields]`, or an empty body for `code` null
 * (generic failure). See `nak.ts` for the message limit and the field block.
 */
export function encodeNak(token: number, code: number | null, message = '', details: NakDetails = {}): Uint8Array {
  if (code === null) return encodeFrame(NAK, token);
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new CommsError(`NK code out of range: ${code}`);
  return encodeFrame(NAK, token, encodeNakBody(code, message, details));
}

/** One line for frame logs, e.g. `PB #1a2b 716 B` or `NK #1a2b 0x0008 "…"`. Never the body itself. */
export function summarizeFrame(data: Uint8Array): string {
  if (data.length < FRAME_HEADER_BYTES) return `(short frame, ${data.length} B)`;
  const version = (data[0]! << 8) | data[1]!;
  const code = isPrintableAscii(data[2]!) && isPrintableAscii(data[3]!) ? String.fromCharCode(data[2]!, data[3]!) : `0x${hex2(data[2]!)}${hex2(data[3]!)}`;
  const token = hex4((data[4]! << 8) | data[5]!);
  const body = data.subarray(FRAME_HEADER_BYTES);
  const v = version === PROTOCOL_VERSION ? '' : ` (version 0x${hex4(version)})`;
  if (code === NAK && version === PROTOCOL_VERSION) {
    const nak = decodeNak(body);
    const what = nak.code === null ? 'no code' : `0x${hex4(nak.code)}`;
    const msg = nak.message.length > 80 ? nak.message.slice(0, 80) + '…' : nak.message;
    const wait = nak.retryAfterMs === undefined ? '' : ` retry after ${nak.retryAfterMs} ms`;
    return `NK #${token} ${what} ${JSON.stringify(msg)}${wait}`;
  }
  return `${code} #${token} ${body.length} B${v}`;
}

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
