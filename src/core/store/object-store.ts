import type { Entry } from './entry.js';
import type { ReadonlyEntryTable } from './entry-table.js';
import type { StorageState } from './storage-state.js';
import type { HistogramSnapshot } from '../util/histogram.js';

export interface LoadResult {
  /**
   * The store's own index of what it holds, kept current: put() and delete() update it before
   * they return, durable or not. Callers read it and never keep a second copy.
   */
  entries: ReadonlyEntryTable;
  /** Human-readable notes: quarantined files, replayed journal records, dropped entries. */
  warnings: string[];
}

/**
 * A storage backend for Golix objects, keyed by file GHID text. Deliberately narrow (in the
 * spirit of automerge-repo's storage adapters) so that another backend — e.g. PostgreSQL for a
 * multi-node server — passes the same conformance suite (test/core/store/conformance.ts).
 *
 * Contract: operations take effect in call order; `put`/`delete` resolve once durable;
 * `read` and the entries `load` returned reflect every call made before, durable or not,
 * except calls that then reject: a write that fails changes nothing readers see (entries are
 * put back, and `onRollback` listeners told). While storage() is not ok, writes are refused
 * with StorageFull before anything changes.
 */
export interface ObjectStore {
  /** Opens the store and returns every stored object's entry. Called once, first. */
  load(): Promise<LoadResult>;
  put(entry: Entry, raw: Buffer): Promise<void>;
  delete(ghid: string): Promise<void>;
  read(ghid: string): Promise<Buffer | null>;
  /** Whether writes can be taken now (a full disk is a state, not a crash). Absent: always ok. */
  storage?(): StorageState;
  /** How long its durable commits (each a batch of writes) have taken, in seconds. Absent: nothing is made durable. */
  commitDurations?(): HistogramSnapshot;
  /**
   * Registers a listener called synchronously whenever writes that failed to become durable
   * were undone: the entries are back as they were before those calls (which reject), so
   * whatever was derived from them (the rules' indexes) must be derived again.
   */
  onRollback?(listener: () => void): void;
  /** Flushes everything and releases resources; a later load() needs no recovery. */
  close(): Promise<void>;
}
