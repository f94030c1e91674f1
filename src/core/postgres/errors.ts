/**
 * What a PostgreSQL error means for the engine, as data: a conflict with another writer (the
 * transaction is run again), the database out of reach or out of room (publishes are refused
 * with StorageFull, NK 0010, until it is back), or anything else (a fault).
 */
import { StorageFull } from '../golix/index.js';

/** Our own statements found another writer's change (a counter or a delete that lost a race). */
export class WriteConflict extends Error {}

/** SQLSTATEs that mean "run the transaction again": serialization failure, deadlock, a unique key taken meanwhile. */
const RETRY = new Set(['40001', '40P01', '23505']);

function sqlState(err: unknown): string | undefined {
  // A system error's code may look like one (EPIPE, EPERM, EBUSY: five capitals): it has a syscall or an errno.
  const e = err as { code?: unknown; errno?: unknown; syscall?: unknown } | null;
  if (typeof e?.errno === 'number' || e?.syscall !== undefined) return undefined;
  const code = e?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isConflict(err: unknown): boolean {
  if (err instanceof WriteConflict) return true;
  const s = sqlState(err);
  return s !== undefined && RETRY.has(s);
}

/**
 * The database cannot be reached or cannot take writes: connection refused or lost, shutting
 * down or starting up, too many connections, out of disk or memory. Returns the errno or
 * SQLSTATE to report, or null when the error is something else.
 */
export function unavailableCode(err: unknown): string | null {
  const s = sqlState(err);
  if (s !== undefined) return /^(08|53|57P|58)/.test(s) ? s : null;
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return errno;
  const message = err instanceof Error ? err.message : '';
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable/i.test(message)) return 'ECONNRESET';
  return null;
}

/** `53100` disk_full: the database's disk, not its reachability. */
export function isDiskFull(code: string): boolean {
  return code === '53100';
}

/** Milliseconds after which a refused publish may be sent again. */
export const UNAVAILABLE_RETRY_MS = 1000;

/**
 * The refusal of a publish while the database is out of reach (or full), with the NK reasons of
 * any store in trouble (src/core/remote/storage-refusal.ts): `storage_full`, `storage_failed`.
 */
export function storageUnavailable(message: string, code: string): StorageFull {
  return new StorageFull(message, { retryAfterMs: UNAVAILABLE_RETRY_MS, reason: isDiskFull(code) ? 'storage_full' : 'storage_failed' });
}
