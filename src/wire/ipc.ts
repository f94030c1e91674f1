/**
 * The IPC protocol between apps and the app daemon (hypergolix-reference §4): sizes, verbs and
 * the fixed-layout bodies. Framing is the remote protocol's (`frame.ts`); the object definition
 * is in `objdef.ts`. Both ends use this module: the daemon's IPC server and the `hgx` SDK.
 */
import { DEFAULT_MAX_MESSAGE_BYTES } from './defaults.js';
import { concatBytes } from './bytes.js';
import { MalformedGolixPrimitive } from './errors.js';
import { GHID_BYTES, checkApiIdBytes, checkGhidBytes } from './ids.js';

// ------------------------------------------------------------------------------------------
// Sizes and defaults

/** App tokens (`+T`) are 16 bytes; all zeros asks for a new one. */
export const APP_TOKEN_BYTES = 16;
/** The per-user IPC key (the `AU` body and the `ipc-token` file, hex-encoded there). */
export const AUTH_TOKEN_BYTES = 32;
/** Largest IPC message either way (the reference's limit, defect 30). */
export const IPC_MAX_MESSAGE_BYTES = DEFAULT_MAX_MESSAGE_BYTES;
/** The name of the IPC key file in the Hypergolix home (the directory of hypergolix.yml). */
export const IPC_TOKEN_FILE = 'ipc-token';

/**
 * NK codes on the IPC wire (§4.1): `0000` any other exception, `0001`–`000A` as in the remote
 * protocol, `FFFF` IPCError. The project also sends `000B` (UnknownToken), `000C`–`000E` and
 * `FFFE` (ValueError) where they say more; reference clients read unknown codes as a failure.
 */
export const IPC_ERROR_CODE = 0xffff;

/**
 * The IPC protocol version this code speaks, exchanged with `?V` right after `AU`: 1 is
 * hypergolix-reference §4 with the project's `AU` and `?V`. It changes only when a verb or a body
 * changes incompatibly; a new verb that old peers may ignore does not change it. The SDK checks
 * it at connect time and names both versions when daemon and SDK disagree.
 */
export const IPC_PROTOCOL_VERSION = 1;
/** `?V` bodies: one u16, big-endian. */
export const PROTOCOL_VERSION_BYTES = 2;

// ------------------------------------------------------------------------------------------
// Verbs

/** App → daemon requests (§4.3), plus the project's handshakes (`AU`, `AC`/`AP`). */
export const IpcVerb = {
  /**
   * Project extension (defect 1), the first handshake: body = the 32-byte IPC key from
   * `<home>/ipc-token` → `01`. Every other verb is refused until the connection is admitted
   * (by this or by `AC`/`AP`; or the daemon admits legacy clients). Still accepted from apps
   * built with an older SDK; it hands the key to whatever listens, so nothing here sends it.
   */
  auth: 'AU',
  /**
   * Project extension: the IPC key proof (`ipc-auth.ts`), which replaces `AU` in this project's
   * apps and tools: app nonce (32) → daemon nonce (32) + daemon proof (32)…
   */
  authChallenge: 'AC',
  /** …then app proof (32) → `01`. The connection is admitted as by `AU`. */
  authProof: 'AP',
  /**
   * Project extension: the app's IPC protocol version (u16 BE, or empty) → the daemon's (u16
   * BE). Reference daemons do not know it (they answer `NK`, or nothing).
   */
  version: '?V',
  /** Empty → own fingerprint (65). */
  whoami: '?I',
  /**
   * Project extension (server accounts): a remote's `host:port` as UTF-8, or empty for the first
   * remote → the UTF-8 URL of its registration page, with a challenge the daemon fetched from it
   * and signed with the account's identity. Authenticated connections only.
   */
  registrationLink: '?R',
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
// Fixed-layout bodies

function split(body: Uint8Array, parts: number, what: string): Uint8Array[] {
  if (body.length !== parts * GHID_BYTES) {
    throw new MalformedGolixPrimitive(`A ${what} body is ${parts * GHID_BYTES} bytes, got ${body.length}`);
  }
  return Array.from({ length: parts }, (_, i) => body.slice(i * GHID_BYTES, (i + 1) * GHID_BYTES));
}

/** A `?V` body: the sender's IPC protocol version. */
export function encodeProtocolVersion(version: number = IPC_PROTOCOL_VERSION): Uint8Array {
  if (!Number.isInteger(version) || version < 0 || version > 0xffff) throw new MalformedGolixPrimitive(`An IPC protocol version is a u16, got ${version}`);
  return Uint8Array.of(version >> 8, version & 0xff);
}

export function decodeProtocolVersion(body: Uint8Array): number {
  if (body.length !== PROTOCOL_VERSION_BYTES) {
    throw new MalformedGolixPrimitive(`A protocol version body is ${PROTOCOL_VERSION_BYTES} bytes, got ${body.length}`);
  }
  return (body[0]! << 8) | body[1]!;
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
