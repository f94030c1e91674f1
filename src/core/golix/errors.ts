/**
 * The Hypergolix error family. Each class carries the two-byte wire code of the reference's
 * remote/IPC protocol (hypergolix-reference §3.2), so any layer can turn an error into an `NK`
 * without a lookup table, and any `NK` back into the same class.
 */
export class HypergolixError extends Error {
  /** Wire error code (u16) sent in `NK` bodies. */
  readonly code: number = 0x0000;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
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

type ErrorClass = new (message: string, options?: { cause?: unknown }) => HypergolixError;

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
  ].map((cls) => [new cls('').code, cls] as const),
);

/** Rebuilds the error class named by a wire code (unknown codes become `RemoteNak`). */
export function errorFromCode(code: number, message: string): HypergolixError {
  const cls = BY_CODE.get(code) ?? (code === 0xffff ? HypergolixError : RemoteNak);
  return new cls(message);
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
