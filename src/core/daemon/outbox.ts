import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Publishes not yet acknowledged by one remote, in order, kept on disk so that a restart or a
 * crash loses nothing (defect 21). An append-only log of `+<ghid>` (queued) and `-<ghid>`
 * (acknowledged or given up) lines, committed with one fdatasync per batch and compacted when
 * it is mostly done lines. Entries are object GHIDs; the bytes live in the local ghidcache.
 */
export class Outbox {
  private readonly pending = new Map<string, true>();
  private fh?: FileHandle;
  private lines: string[] = [];
  private writing?: Promise<void>;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private doneSinceCompact = 0;

  private constructor(readonly path: string) {}

  static async open(dir: string, remote: string): Promise<Outbox> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const box = new Outbox(join(dir, `${remote.replace(/[^A-Za-z0-9.-]/g, '_')}.outbox`));
    let text = '';
    try {
      text = await readFile(box.path, 'utf8');
    } catch {
      // first run
    }
    for (const line of text.split('\n')) {
      // A torn last line (crash mid-append) is not a whole GHID and is ignored.
      if (line.length !== 89) continue;
      if (line[0] === '+') box.pending.set(line.slice(1), true);
      else if (line[0] === '-') box.pending.delete(line.slice(1));
    }
    await box.compact();
    return box;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Queued GHIDs, oldest first. */
  items(): string[] {
    return [...this.pending.keys()];
  }

  /** Queues GHIDs; resolves once durable. */
  add(ghids: string[]): Promise<void> {
    for (const g of ghids) {
      this.pending.delete(g);
      this.pending.set(g, true);
    }
    return this.append(ghids.map((g) => `+${g}`));
  }

  done(ghid: string): Promise<void> {
    if (!this.pending.delete(ghid)) return Promise.resolve();
    this.doneSinceCompact++;
    return this.append([`-${ghid}`]);
  }

  private append(lines: string[]): Promise<void> {
    this.lines.push(...lines);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.lines.length > 0) {
        const lines = this.lines;
        const waiters = this.waiters;
        this.lines = [];
        this.waiters = [];
        try {
          await this.fh!.write(lines.join('\n') + '\n');
          await this.fh!.datasync();
          waiters.forEach((w) => w.resolve());
        } catch (err) {
          waiters.forEach((w) => w.reject(err as Error));
        }
        if (this.doneSinceCompact > 1000 && this.doneSinceCompact > 4 * this.pending.size) await this.compact();
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Rewrites the log as just the pending entries (atomically). */
  private async compact(): Promise<void> {
    await this.fh?.close();
    const temp = `${this.path}.tmp`;
    const t = await open(temp, 'w', 0o600);
    await t.writeFile([...this.pending.keys()].map((g) => `+${g}\n`).join(''));
    await t.sync();
    await t.close();
    await rename(temp, this.path);
    this.fh = await open(this.path, 'a', 0o600);
    this.doneSinceCompact = 0;
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.fh?.close();
    this.fh = undefined;
  }
}
