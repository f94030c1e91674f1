const GHID_BYTES = 65;
const CHUNK_GHIDS = 4096;

/**
 * An append-only list of GHIDs held as their 65 raw bytes. A store remembers every object file
 * it wrote since its last checkpoint, to fsync them before dropping the journal that covers
 * them: tens of thousands of 88-character strings (or paths) in a Set were ~10 MB of heap for
 * the collector to carry; here they are 65 bytes each outside it.
 */
export class GhidList {
  private chunks: Buffer[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends a GHID in its canonical text form. */
  push(ghid: string): void {
    const i = this.count % CHUNK_GHIDS;
    if (i === 0) this.chunks.push(Buffer.allocUnsafe(CHUNK_GHIDS * GHID_BYTES));
    this.chunks.at(-1)!.write(ghid, i * GHID_BYTES, GHID_BYTES, 'base64url');
    this.count++;
  }

  /** Moves every GHID into a new list, leaving this one empty. */
  take(): GhidList {
    const taken = new GhidList();
    taken.chunks = this.chunks;
    taken.count = this.count;
    this.chunks = [];
    this.count = 0;
    return taken;
  }

  /** The GHID texts, made one at a time as they are read. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (let n = 0; n < this.count; n++) {
      const chunk = this.chunks[Math.floor(n / CHUNK_GHIDS)]!;
      const at = (n % CHUNK_GHIDS) * GHID_BYTES;
      yield chunk.toString('base64url', at, at + GHID_BYTES) + '=';
    }
  }
}
