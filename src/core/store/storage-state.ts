/**
 * Whether a store can take writes now. A store that met a full disk (or a file system that
 * refuses writes) says so here instead of failing every caller with an I/O error: the server
 * refuses publishes with StorageFull (NK 0010) while it keeps serving reads, the daemon tells its
 * apps and the desktop, and the store checks for room again by itself.
 */
export type StorageState =
  | { readonly kind: 'ok' }
  | {
      /** `full`: ENOSPC or EDQUOT; `failed`: EIO, EROFS or another write error. */
      readonly kind: 'full' | 'failed';
      /** The file or directory whose write failed. */
      readonly path: string;
      /** The errno code (ENOSPC, EDQUOT, EIO, EROFS, …). */
      readonly errno: string;
      /** Free bytes on that file system when last checked, if known. */
      readonly freeBytes: number | null;
      /** Milliseconds since the epoch when writes started failing. */
      readonly since: number;
      /** One sentence for a person, naming the path. */
      readonly message: string;
    };

export const STORAGE_OK: StorageState = { kind: 'ok' };

/** How long a refused writer should wait before trying again: the store checks for room about this often. */
export const STORAGE_RETRY_MS = 5_000;

/** The NK `reason` of each kind of storage trouble. */
export const STORAGE_REASONS = { full: 'storage_full', failed: 'storage_failed' } as const;
