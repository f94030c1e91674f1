import { constants as fsc } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { DSYNC_FLAG, writeDurably } from './durable-write.js';

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

const APPEND_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND | DSYNC_FLAG;

type Op = { append: Buffer[]; waiter: Waiter } | { replace: () => Buffer; waiter: Waiter };

/**
 * An append-only file with group commit: appends queued while a batch is being written go out
 * together in the next write, which is durable when it returns (O_DSYNC, or write + fdatasync
 * where the platform lacks it), so durability costs one sync per batch, not per record. The file can be replaced atomically (compaction) in the same queue, so a
 * rewrite never interleaves with an append. What the records mean is up to the caller. A
 * rewrite's content is computed when it runs, so it may already reflect records appended after
 * it was asked for, which then follow it in the file too: replay must be idempotent.
 */
export class AppendLog {
  private fh?: FileHandle;
  /** Appends and rewrites in call order; runs of appends go out as one batch. */
  private ops: Op[] = [];
  private running?: Promise<void>;
  private closed = false;
  /** Bytes appended since the file was last rewritten (callers compact on it). */
  appendedBytes = 0;

  private constructor(readonly path: string) {}

  /** Opens (creating it and its directory, private to the user) and returns what it holds. */
  static async open(path: string): Promise<{ log: AppendLog; data: Buffer }> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let data = Buffer.alloc(0);
    try {
      data = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const log = new AppendLog(path);
    log.fh = await open(path, APPEND_FLAGS, 0o600);
    return { log, data };
  }

  /** Queues records; resolves once they are on disk. */
  append(records: Buffer[]): Promise<void> {
    return this.push((waiter) => ({ append: records, waiter }));
  }

  /**
   * Replaces the whole file with `content()`, evaluated when the rewrite runs (after the
   * operations queued before it, before those queued after), atomically: a crash leaves the old
   * file or the new one.
   */
  replace(content: () => Buffer): Promise<void> {
    return this.push((waiter) => ({ replace: content, waiter }));
  }

  private push(op: (waiter: Waiter) => Op): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    return new Promise((resolve, reject) => {
      this.ops.push(op({ resolve, reject }));
      this.running ??= this.loop();
    });
  }

  private async loop(): Promise<void> {
    // Yield first, so that `running` is assigned before the loop can finish and clear it.
    await null;
    try {
      // The emptiness check and the `finally` below run in one turn, so no operation can slip
      // between them unseen.
      while (this.ops.length > 0) {
        const first = this.ops[0]!;
        if ('append' in first) {
          let n = 0;
          while (n < this.ops.length && 'append' in this.ops[n]!) n++;
          const batch = this.ops.splice(0, n) as Extract<Op, { append: Buffer[] }>[];
          await settle(
            batch.map((o) => o.waiter),
            () => this.write(batch.flatMap((o) => o.append)),
          );
        } else {
          // Adjacent rewrites collapse into the last one.
          let n = 0;
          while (n < this.ops.length && 'replace' in this.ops[n]!) n++;
          const batch = this.ops.splice(0, n) as Extract<Op, { replace: () => Buffer }>[];
          await settle(
            batch.map((o) => o.waiter),
            () => this.rewrite(batch.at(-1)!.replace),
          );
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async write(records: Buffer[]): Promise<void> {
    if (records.length === 0) return;
    const bytes = Buffer.concat(records);
    await writeDurably(this.fh!, bytes);
    this.appendedBytes += bytes.length;
  }

  private async rewrite(content: () => Buffer): Promise<void> {
    await this.fh!.close();
    this.fh = undefined;
    try {
      await writeFileAtomic(this.path, content(), { mode: 0o600 });
      this.appendedBytes = 0;
    } finally {
      this.fh = await open(this.path, APPEND_FLAGS, 0o600);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    await this.fh?.close();
    this.fh = undefined;
  }
}

async function settle(waiters: Waiter[], work: () => Promise<void>): Promise<void> {
  try {
    await work();
    waiters.forEach((w) => w.resolve());
  } catch (err) {
    waiters.forEach((w) => w.reject(err as Error));
  }
}
