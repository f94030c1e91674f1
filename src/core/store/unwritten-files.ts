/**
 * The file store's objects whose file is not written yet: their bytes (or null for a removal)
 * are held here from the put until the file is written, so that reads see them and a file
 * write that fails loses nothing (the journal holding them is kept too). Their total is the
 * store's back-pressure: acknowledgements wait while it is over its limit.
 */
export class UnwrittenFiles {
  /** Latest not-yet-written file state per GHID (bytes, or null for a delete). */
  private readonly latest = new Map<string, Buffer | null>();
  /** Objects put in this run whose file has not been started yet (so a delete has none to remove). */
  readonly fileless = new Set<string>();
  /** Objects whose file write (or removal) failed; a probe, checkpoint or close retries them. */
  readonly stranded = new Set<string>();
  private bytes = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.latest.size;
  }

  /** Whether callers are waiting for room (then files are written without delay). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * Whether the backlog is past half its limit: then files are written as soon as they are due,
   * no longer held back for a pause in the ingest, so sustained ingest runs at the disk's rate
   * without making acknowledgements wait.
   */
  get filling(): boolean {
    return this.bytes * 2 >= this.maxBytes;
  }

  has(ghid: string): boolean {
    return this.latest.has(ghid);
  }

  get(ghid: string): Buffer | null | undefined {
    return this.latest.get(ghid);
  }

  set(ghid: string, raw: Buffer | null): void {
    this.bytes += (raw?.length ?? 0) - (this.latest.get(ghid)?.length ?? 0);
    this.latest.set(ghid, raw);
    this.releaseIfRoom();
  }

  /** Puts a GHID back as it was before an operation that did not commit. */
  restore(ghid: string, had: boolean, raw: Buffer | null | undefined, fileless: boolean): void {
    if (had) this.set(ghid, raw ?? null);
    else this.forget(ghid);
    if (fileless) this.fileless.add(ghid);
    else this.fileless.delete(ghid);
  }

  /** The file now holds `raw` (or is gone, for null), unless a newer operation replaced it meanwhile. */
  written(ghid: string, raw: Buffer | null): void {
    if (this.latest.get(ghid) !== raw) return;
    this.forget(ghid);
    this.stranded.delete(ghid);
  }

  /** Resolves once the backlog of unwritten files is under its limit. */
  room(): Promise<void> {
    if (this.bytes <= this.maxBytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  releaseWaiters(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }

  private forget(ghid: string): void {
    this.bytes -= this.latest.get(ghid)?.length ?? 0;
    this.latest.delete(ghid);
    this.releaseIfRoom();
  }

  /** Whatever brought the backlog under its limit (a write, a smaller replacement, a rollback), those waiting go on. */
  private releaseIfRoom(): void {
    if (this.waiters.length > 0 && this.bytes <= this.maxBytes) this.releaseWaiters();
  }
}
