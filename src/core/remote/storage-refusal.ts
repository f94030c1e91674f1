/**
 * A full disk is a state, not a crash: how a server (and a daemon's local cache) turns the
 * store's StorageState, or an I/O error that escaped the store, into one typed refusal —
 * StorageFull, `NK 0010` — with a plain message for people and the facts as NK details
 * (`reason`, `retryAfterMs`) for programs. Where the storage is, and how much room is left, is
 * the operator's business: it goes to the log and the CLI, never to a peer.
 */
import { HypergolixError, StorageFull } from '../golix/index.js';
import { STORAGE_OK, STORAGE_REASONS, STORAGE_RETRY_MS, type StorageState } from '../store/storage-state.js';
import type { RemoteLogger } from './logger.js';
import { FULL_ERRNOS, storageErrno } from '../util/disk-space.js';

export { STORAGE_ERRNOS, storageErrno } from '../util/disk-space.js';

export { STORAGE_REASONS, STORAGE_RETRY_MS } from '../store/storage-state.js';

/** Whose storage it is, for the message: a server's, or this computer's (the daemon's cache). */
export type StorageOwner = 'server' | 'local';

function messageFor(kind: 'full' | 'failed', owner: StorageOwner): string {
  const whose = owner === 'server' ? "the server's storage" : "this computer's Hypergolix storage";
  return kind === 'full' ? `${whose} is full` : `${whose} refuses writes`;
}

/** The refusal for a store that reports it cannot take writes now. */
export function storageRefusal(state: Exclude<StorageState, { kind: 'ok' }>, owner: StorageOwner, cause?: unknown): StorageFull {
  return new StorageFull(messageFor(state.kind, owner), {
    reason: STORAGE_REASONS[state.kind],
    retryAfterMs: STORAGE_RETRY_MS,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * What a failed write becomes for the peer that asked: a StorageFull when the store now reports
 * trouble or the error is a storage errno; the error itself otherwise (a refusal by the rules,
 * say). A StorageFull from the store is reworded for the owner and keeps its cause.
 */
export function asStorageRefusal(err: unknown, state: StorageState | undefined, owner: StorageOwner): unknown {
  // A verdict of the rules stays what it is, whatever the disk is doing.
  if (err instanceof HypergolixError && !(err instanceof StorageFull)) return err;
  if (state && state.kind !== 'ok') return storageRefusal(state, owner, err);
  const errno = storageErrno(err);
  if (errno !== null) {
    const kind = FULL_ERRNOS.has(errno) ? 'full' : 'failed';
    return new StorageFull(messageFor(kind, owner), { reason: STORAGE_REASONS[kind], retryAfterMs: STORAGE_RETRY_MS, cause: err });
  }
  if (err instanceof StorageFull) return new StorageFull(messageFor('full', owner), { reason: err.reason ?? STORAGE_REASONS.full, retryAfterMs: err.retryAfterMs ?? STORAGE_RETRY_MS, cause: err });
  return err;
}

/**
 * A server's view of its store's storage: reads and subscriptions go on either way; publishes
 * are refused with StorageFull until the store finds room again by itself. A change is logged
 * once (with the path and the room left), not per refused publish.
 */
export class StorageWatch {
  private last: StorageState = STORAGE_OK;

  constructor(private readonly logger: RemoteLogger) {}

  check(engine: { storage?(): StorageState } | null): StorageState {
    const state = engine?.storage?.() ?? STORAGE_OK;
    if (state.kind !== this.last.kind) {
      if (state.kind === 'ok') this.logger.info(this.last.kind === 'full' ? 'Storage has room again; accepting publishes' : 'Storage takes writes again; accepting publishes');
      else if (state.kind === 'full') this.logger.warn(`Refusing publishes until there is room: ${state.message}`);
      else this.logger.warn(`Refusing publishes until the store takes writes again: ${state.message}`);
    }
    this.last = state;
    return state;
  }

  /** Throws the StorageFull refusal (after `refused()`) while the store cannot take writes. */
  admit(engine: { storage?(): StorageState } | null, refused: () => void): void {
    const state = this.check(engine);
    if (state.kind === 'ok') return;
    refused();
    throw storageRefusal(state, 'server');
  }
}
