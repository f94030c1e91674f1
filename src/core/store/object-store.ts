import type { Entry } from './entry.js';

export interface LoadResult {
  entries: Entry[];
  /** Human-readable notes: quarantined files, replayed journal records, dropped entries. */
  warnings: string[];
}

/**
 * A storage backend for Golix objects, keyed by file GHID text. Deliberately narrow (in the
 * spirit of automerge-repo's storage adapters) so that another backend — e.g. PostgreSQL for a
 * multi-node server — passes the same conformance suite (test/core/store/conformance.ts).
 *
 * Contract: operations take effect in call order; `put`/`delete` resolve once durable;
 * `read` reflects every call made before it, durable or not.
 */
export interface ObjectStore {
  /** Opens the store and returns every stored object's entry. Called once, first. */
  load(): Promise<LoadResult>;
  put(entry: Entry, raw: Buffer): Promise<void>;
  delete(ghid: string): Promise<void>;
  read(ghid: string): Promise<Buffer | null>;
  /** Flushes everything and releases resources; a later load() needs no recovery. */
  close(): Promise<void>;
}
