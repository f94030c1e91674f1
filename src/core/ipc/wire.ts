/**
 * The IPC protocol between apps and the app daemon (hypergolix-reference §4), as bytes: verbs,
 * frames, the 200-byte object definition ("objdef") and the fixed-layout bodies.
 *
 * Both ends use this module: the daemon's IPC server (`src/core/ipc/server.ts`) and the `hgx`
 * SDK (`src/hgx`). It is deliberately self-contained — plain `Uint8Array`, `DataView` and
 * `TextEncoder`, no Node built-ins, no `Buffer` — so that the SDK runs in an Electron renderer
 * or a browser as well as in Node. The only import is the error family of `src/core/golix`
 * (plain classes carrying the wire codes).
 *
 * Framing is the remote protocol's (§3.1), byte for byte; `src/core/remote/wire.ts` is the
 * Buffer-based codec the daemon's side uses through `Connection`, and the tests check that the
 * two agree:
 *
 *     version (2 bytes, 00 00) | code (2 ASCII bytes) | token (u16 BE) | body (rest)
 *
 * Responses are `AK | token | body` and `NK | token | error code u16 | UTF-8 message` (or an
 * empty `NK` body: a generic failure).
 */
import { CommsError, MalformedGolixPrimitive, ValueError } from '../golix/errors.js';

// ------------------------------------------------------------------------------------------
// Sizes and defaults

export const GHID_BYTES = 65;
/** App tokens (`+T`) are 16 bytes; all zeros asks for a new one. */
export const APP_TOKEN_BYTES = 16;
/** The per-user IPC key (the `AU` body and the `ipc-token` file, hex-encoded there). */
export const AUTH_TOKEN_BYTES = 32;
/** The fixed part of an objdef; the state follows. */
export const OBJDEF_HEADER_BYTES = 200;
/** Largest IPC message either way (the reference's limit, defect 30). */
export const IPC_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_IPC_PORT = 7772;
/** The name of the IPC key file in the Hypergolix home (the directory of hypergolix.yml). */
export const IPC_TOKEN_FILE = 'ipc-token';
export const FRAME_HEADER_BYTES = 6;
export const ACK = 'AK';
export const NAK = 'NK';

/**
 * NK codes on the IPC wire (§4.1): `0000` any other exception, `0001`–`000A` as in the remote
 * protocol, `FFFF` IPCError. The project also sends `000B` (UnknownToken), `000C`–`000E` and
 * `FFFE` (ValueError) where they say more; reference clients read unknown codes as a failure.
 */
export const IPC_ERROR_CODE = 0xffff;

// ------------------------------------------------------------------------------------------
// Verbs

/** App → daemon requests (§4.3), plus the project's `AU` handshake. */
export const IpcVerb = {
  /**
   * Project extension (defect 1): the first frame of a connection, body = the 32-byte IPC key
   * from `<home>/ipc-token` → `01`. Every other verb is refused until it succeeded (unless the
   * daemon admits legacy clients).
   */
  auth: 'AU',
  /** Empty → own fingerprint (65). */
  whoami: '?I',
  /** 16-byte app token (zeros = issue a new one) → the token (16). */
  setToken: '+T',
  /** Empty → startup GHID, or empty. Needs a token. */
  getStartup: '>$',
  /** GHID → `01`. Needs a token. */
  registerStartup: '+$',
  /** Empty → `01`. Needs a token. */
  deregisterStartup: '-$',
  /** api_id (65) → `01`. */
  registerApi: '+A',
  /** api_id (65) → `01`. */
  deregisterApi: '-A',
  /** objdef → new GHID (65). */
  newObject: '+O',
  /** GHID → objdef. */
  getObject: '>O',
  /** objdef (address = GHID) → `01`. */
  updateObject: '!O',
  /** GHID → `01`. */
  syncObject: '~O',
  /** GHID (65) + recipient fingerprint (65) → `01`. */
  shareObject: '@O',
  /** GHID → frozen (static) GHID (65). */
  freezeObject: '*O',
  /** GHID → `01`. */
  holdObject: '#O',
  /** GHID → `01`. */
  discardObject: '-O',
  /** GHID → `01`. */
  deleteObject: 'XO',
} as const;
export type IpcVerb = (typeof IpcVerb)[keyof typeof IpcVerb];

/** Daemon → app requests (§4.4); the app answers `AK` (`01` or empty). */
export const AppVerb = {
  /** GHID (65) + origin (65) + api_id (65): a share, or another local app's new object. */
  share: '@O',
  /** objdef with the new state. */
  update: '!O',
  /** GHID. */
  delete: 'XO',
  /** GHID (65) + recipient (65). */
  shareSucceeded: '^S',
  /** GHID (65) + recipient (65). */
  shareFailed: '^F',
} as const;
export type AppVerb = (typeof AppVerb)[keyof typeof AppVerb];

// ------------------------------------------------------------------------------------------
// Bytes

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isAllZero(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

export function toHex(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < a.length; i++) s += a[i]!.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new ValueError('Expected an even number of hexadecimal digits');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i] as const));

/** URL-safe base64 with `=` padding: the text form of GHIDs (golix §1) and API IDs. */
export function b64urlEncode(a: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < a.length; i += 3) {
    const n = (a[i]! << 16) | (a[i + 1]! << 8) | a[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  if (a.length - i === 1) {
    const n = a[i]! << 16;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (a.length - i === 2) {
    const n = (a[i]! << 16) | (a[i + 1]! << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return s;
}

/** Decodes padded or unpadded URL-safe base64; null on any other character. */
export function b64urlDecode(text: string): Uint8Array | null {
  const t = text.replace(/=+$/, '');
  if (t.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((t.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const c of t) {
    const v = B64_INDEX.get(c);
    if (v === undefined) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

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
  const what = algo === 1 ? 'GHID' : 'API ID';
  const raw = typeof text === 'string' && text.length === 88 ? b64urlDecode(text) : null;
  if (!raw || raw.length !== GHID_BYTES || b64urlEncode(raw) !== text) {
    throw new ValueError(`Not a ${what} (expected 88 characters of URL-safe base64): ${preview(text)}`);
  }
  if (raw[0] !== algo) throw new ValueError(`Not a ${what}: its first byte is ${raw[0]}, not ${algo}`);
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

// ------------------------------------------------------------------------------------------
// Frames

export interface IpcFrame {
  /** A verb, `AK` or `NK`. */
  readonly code: string;
  readonly token: number;
  /** A view into the message, not a copy. */
  readonly body: Uint8Array;
}

/** A frame that cannot be read; carries what could be salvaged so the receiver can still `NK`. */
export class IpcFrameError extends CommsError {
  constructor(
    message: string,
    readonly reason: 'short' | 'version' | 'code',
    readonly token: number | null,
    readonly verb: string | null,
  ) {
    super(message);
  }
}

const printable = (b: number) => b >= 0x20 && b <= 0x7e;

export function encodeFrame(code: string, token: number, body: Uint8Array = EMPTY): Uint8Array {
  if (code.length !== 2 || !printable(code.charCodeAt(0)) || !printable(code.charCodeAt(1))) {
    throw new CommsError(`A frame code is two printable ASCII characters, got ${JSON.stringify(code)}`);
  }
  if (!Number.isInteger(token) || token < 0 || token > 0xffff) throw new CommsError(`Token out of range: ${token}`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  out[2] = code.charCodeAt(0);
  out[3] = code.charCodeAt(1);
  out[4] = token >> 8;
  out[5] = token & 0xff;
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

export function decodeFrame(data: Uint8Array): IpcFrame {
  if (data.length < FRAME_HEADER_BYTES) {
    throw new IpcFrameError(`Frame of ${data.length} bytes is shorter than the ${FRAME_HEADER_BYTES}-byte header`, 'short', null, null);
  }
  const token = (data[4]! << 8) | data[5]!;
  const code = printable(data[2]!) && printable(data[3]!) ? String.fromCharCode(data[2]!, data[3]!) : null;
  if (data[0] !== 0 || data[1] !== 0) {
    const v = ((data[0]! << 8) | data[1]!).toString(16).padStart(4, '0');
    throw new IpcFrameError(`Unsupported protocol version 0x${v} (expected 0x0000)`, 'version', token, code);
  }
  if (code === null) throw new IpcFrameError('Frame code is not ASCII', 'code', token, null);
  return { code, token, body: data.subarray(FRAME_HEADER_BYTES) };
}

export function encodeAck(token: number, body: Uint8Array = EMPTY): Uint8Array {
  return encodeFrame(ACK, token, body);
}

/** `NK | token | code | message` (message cut to 1 KiB at a character boundary), or code-less. */
export function encodeNak(token: number, code: number | null, message = ''): Uint8Array {
  if (code === null) return encodeFrame(NAK, token);
  let text = utf8.encode(message);
  if (text.length > 1024) {
    let end = 1024;
    while (end > 0 && (text[end]! & 0xc0) === 0x80) end--;
    text = text.subarray(0, end);
  }
  const body = new Uint8Array(2 + text.length);
  body[0] = (code >> 8) & 0xff;
  body[1] = code & 0xff;
  body.set(text, 2);
  return encodeFrame(NAK, token, body);
}

export function decodeNak(body: Uint8Array): { code: number | null; message: string } {
  if (body.length < 2) return { code: null, message: '' };
  return { code: (body[0]! << 8) | body[1]!, message: utf8Decoder.decode(body.subarray(2)) };
}

// ------------------------------------------------------------------------------------------
// Object definitions (§4.2)

/**
 * One object definition. GHIDs and the API ID are raw 65-byte identifiers; null stands for the
 * 65 zero bytes that mean "none" on the wire.
 */
export interface ObjDef {
  address: Uint8Array | null;
  author: Uint8Array | null;
  private: boolean;
  dynamic: boolean;
  /** 0 = the default (7); 1–255 old targets kept per frame. */
  legroom: number;
  apiId: Uint8Array | null;
  /** Linked objects are not supported: a daemon refuses `isLink` up front (defect 17/33). */
  isLink: boolean;
  state: Uint8Array;
}

const ZERO_ID = new Uint8Array(GHID_BYTES);

export function encodeObjDef(d: Partial<ObjDef> & { state: Uint8Array }): Uint8Array {
  const legroom = d.legroom ?? 0;
  if (!Number.isInteger(legroom) || legroom < 0 || legroom > 255) throw new ValueError('legroom must be 0..255 (0 = default)');
  const out = new Uint8Array(OBJDEF_HEADER_BYTES + d.state.length);
  out[0] = 0;
  out.set(idOrZero(d.address, 'address'), 1);
  out.set(idOrZero(d.author, 'author'), 66);
  out[131] = d.private ? 1 : 0;
  out[132] = d.dynamic ? 1 : 0;
  out[133] = legroom;
  out.set(idOrZero(d.apiId, 'api_id'), 134);
  out[199] = d.isLink ? 1 : 0;
  out.set(d.state, OBJDEF_HEADER_BYTES);
  return out;
}

function idOrZero(id: Uint8Array | null | undefined, what: string): Uint8Array {
  if (!id) return ZERO_ID;
  if (id.length !== GHID_BYTES) throw new ValueError(`The objdef ${what} is ${GHID_BYTES} bytes, got ${id.length}`);
  return id;
}

/**
 * Reads an objdef. Structural problems are MalformedGolixPrimitive (`NK 0001`); the meaning of
 * the fields (is_link, legroom range, …) is for the receiver to judge. Identifiers are copies;
 * the state is a view into `data`.
 */
export function decodeObjDef(data: Uint8Array): ObjDef {
  if (data.length < OBJDEF_HEADER_BYTES) {
    throw new MalformedGolixPrimitive(`An object definition is at least ${OBJDEF_HEADER_BYTES} bytes, got ${data.length}`);
  }
  if (data[0] !== 0) throw new MalformedGolixPrimitive(`Unsupported object definition version ${data[0]}`);
  const id = (at: number, what: string, algo: number): Uint8Array | null => {
    const raw = data.subarray(at, at + GHID_BYTES);
    if (isAllZero(raw)) return null;
    if (raw[0] !== algo) throw new MalformedGolixPrimitive(`The objdef ${what} starts with ${raw[0]}, expected ${algo}`);
    return raw.slice();
  };
  const flag = (at: number, what: string): boolean => {
    const v = data[at]!;
    if (v > 1) throw new MalformedGolixPrimitive(`The objdef ${what} flag is ${v}, not 0 or 1`);
    return v === 1;
  };
  return {
    address: id(1, 'address', 1),
    author: id(66, 'author', 1),
    private: flag(131, 'private'),
    dynamic: flag(132, 'dynamic'),
    legroom: data[133]!,
    apiId: id(134, 'api_id', 0),
    isLink: flag(199, 'is_link'),
    state: data.subarray(OBJDEF_HEADER_BYTES),
  };
}

// ------------------------------------------------------------------------------------------
// Fixed-layout bodies

function split(body: Uint8Array, parts: number, what: string): Uint8Array[] {
  if (body.length !== parts * GHID_BYTES) {
    throw new MalformedGolixPrimitive(`A ${what} body is ${parts * GHID_BYTES} bytes, got ${body.length}`);
  }
  return Array.from({ length: parts }, (_, i) => body.slice(i * GHID_BYTES, (i + 1) * GHID_BYTES));
}

/** `@O` app → daemon: GHID + recipient fingerprint. */
export function encodeShareRequest(ghid: Uint8Array, recipient: Uint8Array): Uint8Array {
  return concatBytes(ghid, recipient);
}

export function decodeShareRequest(body: Uint8Array): { ghid: Uint8Array; recipient: Uint8Array } {
  const [ghid, recipient] = split(body, 2, 'share request');
  return { ghid: checkGhidBytes(ghid!), recipient: checkGhidBytes(recipient!, 'recipient') };
}

/** `@O` daemon → app: GHID + origin fingerprint + api_id. */
export function encodeShareNotice(ghid: Uint8Array, origin: Uint8Array, apiId: Uint8Array): Uint8Array {
  return concatBytes(ghid, origin, apiId);
}

export function decodeShareNotice(body: Uint8Array): { ghid: Uint8Array; origin: Uint8Array; apiId: Uint8Array } {
  const [ghid, origin, apiId] = split(body, 3, 'share notice');
  return { ghid: checkGhidBytes(ghid!), origin: checkGhidBytes(origin!, 'origin'), apiId: checkApiIdBytes(apiId!) };
}

/** `^S` / `^F`: GHID + recipient. */
export const encodeShareResult = encodeShareRequest;
export const decodeShareResult = decodeShareRequest;

/** The `01` result most verbs answer. */
export const ONE: Uint8Array = Uint8Array.of(1);
