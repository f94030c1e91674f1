import { constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { DSYNC_FLAG, writeDurably } from './durable-write.js';
import { errnoOf, nodeFs, type FsHandle, type FsOps } from './fs-ops.js';

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
  private fh?: FsHandle;
  /** The file's length after the last whole write: a failed append is cut back to it. */
  private size = 0;
  /** A failed append could not be cut back yet: the next write tries again first. */
  private torn = false;
  /** Appends and rewrites in call order; runs of appends go out as one batch. */
  private ops: Op[] = [];
  private running?: Promise<void>;
  private closed = false;
  /** Bytes appended since the file was last rewritten (callers compact on it). */
  appendedBytes = 0;

  private constructor(
    readonly path: string,
    private readonly fs: FsOps,
    private readonly shared: boolean,
  ) {}

  /**
   * Opens (creating it and its directory, private to the user) and returns what it holds.
   * `shared`: other processes append to the file too (the server's registrations, beside the
   * operator's CLI). A failed write is then never cut back, since that would cut their records
   * appended meanwhile: the caller's records must mark their own start (a line after a torn one).
   */
  static async open(path: string, fs: FsOps = nodeFs, o: { shared?: boolean } = {}): Promise<{ log: AppendLog; data: Buffer }> {
    await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch(async (err: unknown) => {
      // An existing directory opens even where nothing can be created (a full or read-only disk).
      if (!(await fs.stat(dirname(path)).then(() => true, () => false))) throw err;
    });
    let data: Buffer = Buffer.alloc(0);
    try {
      data = await fs.readFile(path);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
    const log = new AppendLog(path, fs, o.shared ?? false);
    log.fh = await fs.open(path, APPEND_FLAGS, 0o600);
    log.size = data.length;
    return { log, data };
  }

  /** Queues records; resolves once they are on disk. */
  append(records: Buffer[]): Promise<void> {
    return this.push((waiter) => ({ append: records, waiter }));
  }

  /**
   * Replaces the whole file with `content()`, evaluated when the rewrite runs (after the
   * operations queued before it, before those queued after), atomically: a crash leaves the old
   * file or the new one. Not for a shared file: the other writers' records would be cut.
   */
  replace(content: () => Buffer): Promise<void> {
    if (this.shared) return Promise.reject(new Error(`${this.path} is appended to by other processes too; it is never rewritten`));
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

  /**
   * A write that fails (a full disk) may leave part of its bytes at the end of the file; later
   * records would follow that torn one, and replay, which stops at the first damaged record,
   * would never reach them. So the file is cut back to its last whole write first.
   */
  private async write(records: Buffer[]): Promise<void> {
    if (records.length === 0) return;
    const bytes = Buffer.concat(records);
    if (this.shared) {
      await writeDurably(this.fh!, bytes);
      this.appendedBytes += bytes.length;
      return;
    }
    if (this.torn) {
      await this.fh!.truncate(this.size);
      this.torn = false;
    }
    try {
      await writeDurably(this.fh!, bytes);
    } catch (err) {
      this.torn = true;
      await this.fh!.truncate(this.size).then(
        () => (this.torn = false),
        () => undefined,
      );
      throw err;
    }
    this.size += bytes.length;
    this.appendedBytes += bytes.length;
  }

  private async rewrite(content: () => Buffer): Promise<void> {
    await this.fh!.close();
    this.fh = undefined;
    try {
      const data = content();
      await writeFileAtomic(this.path, data, { mode: 0o600, fs: this.fs });
      this.size = data.length;
      this.torn = false;
      this.appendedBytes = 0;
    } finally {
      this.fh = await this.fs.open(this.path, APPEND_FLAGS, 0o600);
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
