import type { Entry } from './entry.js';
import { EntryTable } from './entry-table.js';
import type { LoadResult, ObjectStore } from './object-store.js';

/** A volatile backend for tests and throwaway caches; `snapshot()` lets tests "restart" it. */
export class MemoryStore implements ObjectStore {
  private readonly entries = new EntryTable();
  private readonly raws: Map<string, Buffer>;

  constructor(from?: MemoryStore) {
    this.raws = new Map(from?.raws);
    if (from) for (const e of from.entries.values()) this.entries.set(e);
  }

  async load(): Promise<LoadResult> {
    return { entries: this.entries, warnings: [] };
  }

  put(entry: Entry, raw: Buffer): Promise<void> {
    try {
      this.entries.set(entry);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.raws.set(entry.ghid, Buffer.from(raw));
    return Promise.resolve();
  }

  delete(ghid: string): Promise<void> {
    this.entries.delete(ghid);
    this.raws.delete(ghid);
    return Promise.resolve();
  }

  async read(ghid: string): Promise<Buffer | null> {
    return this.raws.get(ghid) ?? null;
  }

  async close(): Promise<void> {}

  /** A copy, as if the process restarted with the same data. */
  snapshot(): MemoryStore {
    return new MemoryStore(this);
  }
}
