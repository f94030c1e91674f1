import type { Entry } from './entry.js';
import type { LoadResult, ObjectStore } from './object-store.js';

/** A volatile backend for tests and throwaway caches; `snapshot()` lets tests "restart" it. */
export class MemoryStore implements ObjectStore {
  private readonly objects: Map<string, { entry: Entry; raw: Buffer }>;

  constructor(from?: MemoryStore) {
    this.objects = new Map(from?.objects);
  }

  async load(): Promise<LoadResult> {
    return { entries: [...this.objects.values()].map((o) => o.entry), warnings: [] };
  }

  async put(entry: Entry, raw: Buffer): Promise<void> {
    this.objects.set(entry.ghid, { entry, raw: Buffer.from(raw) });
  }

  async delete(ghid: string): Promise<void> {
    this.objects.delete(ghid);
  }

  async read(ghid: string): Promise<Buffer | null> {
    return this.objects.get(ghid)?.raw ?? null;
  }

  async close(): Promise<void> {}

  /** A copy, as if the process restarted with the same data. */
  snapshot(): MemoryStore {
    return new MemoryStore(this);
  }
}
