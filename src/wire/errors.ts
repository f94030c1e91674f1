/**
 * The Hypergolix error family. Each class carries the two-byte wire code of the reference's
 * remote/IPC protocol (hypergolix-reference §3.2), so any layer can turn an error into an `NK`
 * without a lookup table, and any `NK` back into the same class.
 *
 * An error may also carry NK details (`retryAfterMs`, `reason`; see `nak.ts` and the "NK details"
 * section of docs/formats.md): facts a program acts on, travelling as fields beside the message
 * that people read.
 */

/** Structured facts an `NK` may carry beside its message. Every field is optional. */
export interface NakDetails {
  /**
   * The refusal is for now, not a verdict on the request: ask again after this many
   * milliseconds (a rate limit, a server shutting down).
   */
  readonly retryAfterMs?: number;
  /**
   * Why the request was refused, as a token for programs and metrics: the name of the limit
   * (`rate_identity`, `rate_connection`, `subscriptions`, `allowlist`, `busy`, …) or
   * `shutting_down`. Lower-case letters, digits and `_`.
   */
  readonly reason?: string;
  /** Bytes this end already holds for the one refused (a free-tier upload limit, say). */
  readonly used?: number;
  /** The byte limit that refused the request. */
  readonly limit?: number;
}

export interface HypergolixErrorOptions extends NakDetails {
  cause?: unknown;
}

export class HypergolixError extends Error {
  /** Wire error code (u16) sent in `NK` bodies. */
  readonly code: number = 0x0000;
  // Declared, not defined: an error without details has no such own properties (logs stay terse).
  declare readonly retryAfterMs?: number;
  declare readonly reason?: string;
  declare readonly used?: number;
  declare readonly limit?: number;
  constructor(message: string, options?: HypergolixErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options?.reason !== undefined) this.reason = options.reason;
    if (options?.used !== undefined) this.used = options.used;
    if (options?.limit !== undefined) this.limit = options.limit;
  }
}

/** Cannot parse; unknown magic/version/cipher; wrong length; hash mismatch. */
export class MalformedGolixPrimitive extends HypergolixError {
  override readonly code = 0x0001;
}
/** A signature or MAC does not verify. */
export class VerificationFailure extends HypergolixError {
  override readonly code = 0x0002;
}
/** An author/binder/debinder/recipient identity is unknown or is not a GIDC. */
export class InvalidIdentity extends HypergolixError {
  override readonly code = 0x0003;
}
/** A container was uploaded before anything binds it. */
export class UnboundContainer extends HypergolixError {
  override readonly code = 0x0004;
}
/** The object (or its target) has already been debound: replay protection. */
export class AlreadyDebound extends HypergolixError {
  override readonly code = 0x0005;
}
/** A binding or debinding names a target of an illegal type. */
export class InvalidTarget extends HypergolixError {
  override readonly code = 0x0006;
}
/** Binder or debinder differs from the one with authority over the target. */
export class InconsistentAuthor extends HypergolixError {
  override readonly code = 0x0007;
}
/** A requested object is not stored. */
export class DoesNotExist extends HypergolixError {
  override readonly code = 0x0008;
}
/** A dynamic frame's counter does not increase. */
export class IllegalDynamicFrame extends HypergolixError {
  override readonly code = 0x0009;
}
/** A peer refused a request without a more specific code. */
export class RemoteNak extends HypergolixError {
  override readonly code = 0x000a;
}
/**
 * The other end failed in a way of its own ("Exception", FFFF): not one of the family. Read back
 * as its own class so that a daemon relaying it to an app passes on FFFF, not 0000.
 */
export class RemoteException extends HypergolixError {
  override readonly code = 0xffff;
}
export class UnknownToken extends HypergolixError {
  override readonly code = 0x000b;
}
export class DispatchError extends HypergolixError {
  override readonly code = 0x000c;
}
/** No secret is known that opens a container (or the one known gives garbage). */
export class UnknownSecret extends HypergolixError {
  override readonly code = 0x000d;
}
/** Transport problems: bad frame, unknown verb, wrong protocol version, timeouts. */
export class CommsError extends HypergolixError {
  override readonly code = 0x000e;
}
export class IPCError extends HypergolixError {
  override readonly code = 0x000f;
}
/** A value supplied by a caller is out of range or of the wrong shape. */
export class ValueError extends HypergolixError {
  override readonly code = 0xfffe;
}

// ------------------------------------------------------------------------------------------
// Codes this project adds after the reference's (which ends at 000F). A reference peer reads an
// unknown code as a generic failure, and the message still says what happened.

/**
 * 0010: the storage behind this end is full (or refuses writes: ENOSPC, EDQUOT, EROFS, EIO), so
 * nothing new can be stored for now. Reads and subscriptions go on; publishing resumes by itself
 * once there is room again. Not a verdict on the object: resend it later (`retryAfterMs`).
 */
export class StorageFull extends HypergolixError {
  override readonly code = 0x0010;
}

/**
 * 0011: the server takes uploads from registered accounts only beyond a free allowance, and this
 * identity, not registered there, has used it up (`used` and `limit`, in bytes, as NK details;
 * `reason` "unregistered", or "revoked" when the operator took its registration back). Downloads
 * are never limited. Registering on that server (`hypergolix config --register`) lifts the limit
 * at once (a revoked account: the operator approving it again); until then the upload stays refused.
 */
export class RegistrationRequired extends HypergolixError {
  override readonly code = 0x0011;
}

type ErrorClass = new (message: string, options?: HypergolixErrorOptions) => HypergolixError;

const BY_CODE = new Map<number, ErrorClass>(
  [
    HypergolixError,
    MalformedGolixPrimitive,
    VerificationFailure,
    InvalidIdentity,
    UnboundContainer,
    AlreadyDebound,
    InvalidTarget,
    InconsistentAuthor,
    DoesNotExist,
    IllegalDynamicFrame,
    RemoteNak,
    UnknownToken,
    DispatchError,
    UnknownSecret,
    CommsError,
    IPCError,
    ValueError,
    StorageFull,
    RegistrationRequired,
  ].map((cls) => [new cls('').code, cls] as const),
);

/** Rebuilds the error class named by a wire code (unknown codes become `RemoteNak`). */
export function errorFromCode(code: number, message: string, details: NakDetails = {}): HypergolixError {
  const cls = BY_CODE.get(code) ?? (code === 0xffff ? RemoteException : RemoteNak);
  return new cls(message, details);
}

/** The wire code for any thrown value: ours keep theirs, anything else is 0xFFFF. */
export function codeOf(err: unknown): number {
  return err instanceof HypergolixError ? err.code : 0xffff;
}

/** Human-readable name for a wire code, e.g. 0x0004 → "UnboundContainer". */
export function codeName(code: number): string {
  const cls = BY_CODE.get(code);
  return cls ? cls.name : code === 0xffff ? 'Exception' : `0x${code.toString(16).padStart(4, '0')}`;
}

// ------------------------------------------------------------------------------------------
// Failures of this end's transport. They never travel as such: on the wire each is a
// CommsError (000E), and every `instanceof CommsError` check holds for them. Separate classes
// let a caller (the SDK, say) tell them apart without reading messages.

/** The connection is not open: never was, has closed, or closed while the request waited. */
export class ConnectionClosed extends CommsError {}

/** The other end did not answer a request in time. */
export class RequestTimeout extends CommsError {}

/** This end already has as many requests awaiting an answer as it allows. */
export class TooManyRequests extends CommsError {}

/** A request is larger than the message limit; it was not sent. */
export class MessageTooLarge extends CommsError {}
