/**
 * The SDK's errors. Every one is an `HgxError`; failures the daemon reports (`NK`) are
 * `IpcError` with the wire code, so an app can tell "private to another app" (`0xFFFF`) from
 * "not found anywhere, or no key to read it" (`0x000D`, UnknownSecret) or a bad argument (`0xFFFE`).
 */
import { codeName, type NakDetails } from '../../../src/wire/index.js';

/** Every error of the SDK: its subclasses tell what went wrong. */
export class HgxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The link has no connection to the daemon right now: `connect()` found none within its
 * timeout, the link was closed, or it is reconnecting after the daemon went away. Operations
 * fail fast with this error instead of waiting; listen for the link's `'reconnected'` event.
 */
export class NotConnected extends HgxError {}

/** The daemon refused the IPC key, what answers on the port could not prove it holds the key (not the daemon of this key), or no key could be found. */
export class AuthFailed extends HgxError {}

/** The object was discarded, deleted (here or upstream) or recast. */
export class DeadObject extends HgxError {}

/** `push()` on a static object, or on one somebody else wrote (its author is not `whoami`). */
export class LocallyImmutable extends HgxError {}

/** `share()` on a private object. */
export class Unsharable extends HgxError {}

/** `get(cls, ghid)` for an object already open under another class: use `link.recast`. */
export class WrongClass extends HgxError {}

/** The object's state does not decode with the class asked for (or is a pickle: never unpickled). */
export class StateError extends HgxError {}

/**
 * The daemon's answer could not be read: damaged on its way, or not what this SDK's protocol
 * says it should be. The request may have been carried out; reading the object again tells.
 */
export class UnreadableAnswer extends HgxError {}

/** Reads an answer with `read`; what it throws (other than an HgxError) becomes UnreadableAnswer. */
export function readAnswer<T>(verb: string, answer: Uint8Array, read: (answer: Uint8Array) => T): T {
  try {
    return read(answer);
  } catch (err) {
    if (err instanceof HgxError) throw err;
    throw new UnreadableAnswer(`The daemon's answer to ${verb} could not be read: ${(err as Error).message}`, { cause: err });
  }
}

/** The daemon answered `NK`. */
export class IpcError extends HgxError {
  /** The wire error code (hypergolix-reference §3.2/§4.1), null for a code-less refusal. */
  readonly code: number | null;
  /** The code's name, e.g. `DoesNotExist`, `IPCError`. */
  readonly codeName: string;
  /** Ask again after this many milliseconds: the refusal is for now (the `NK`'s details). */
  declare readonly retryAfterMs?: number;
  /** Why, as a token for programs (the `NK`'s details), e.g. `busy`. */
  declare readonly reason?: string;
  constructor(code: number | null, message: string, details: NakDetails = {}) {
    super(message || 'The daemon refused the request');
    this.code = code;
    this.codeName = code === null ? 'Refused' : code === 0xffff ? 'IPCError' : codeName(code);
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.reason !== undefined) this.reason = details.reason;
  }
}

/** A range of IPC protocol versions, both ends included. */
export interface ProtocolRange {
  /** The oldest version. */
  readonly min: number;
  /** The newest version. */
  readonly max: number;
}

/**
 * The daemon could not store what the app asked for: the disk under its local cache is full, or
 * refuses writes (`NK 0010`; `reason` is `storage_full` or `storage_failed`). Nothing was
 * changed; try again once there is room (`retryAfterMs` says when the daemon looks again).
 */
export class StorageFull extends IpcError {}

/** The SDK error for an `NK` from the daemon: StorageFull for code 0010, IpcError otherwise. */
export function ipcErrorOf(nak: { code: number | null; message: string } & NakDetails): IpcError {
  return nak.code === STORAGE_FULL_CODE ? new StorageFull(nak.code, nak.message, nak) : new IpcError(nak.code, nak.message, nak);
}

const STORAGE_FULL_CODE = 0x0010;

/**
 * The daemon speaks another IPC protocol version than this SDK (checked with `?V` at connect
 * time), or does not tell its version at all (`daemonProtocol` null: a daemon older than the
 * check). Not retried: update the SDK or Hypergolix, as the message says.
 */
export class IncompatibleDaemon extends HgxError {
  constructor(
    message: string,
    /** The daemon's IPC protocol version, or null when it did not tell. */
    readonly daemonProtocol: number | null,
    /** The IPC protocol versions this SDK speaks. */
    readonly supported: ProtocolRange,
  ) {
    super(message);
  }
}
