/**
 * The frames that were once the current frame of a dynamic object in this computer's local copy,
 * kept on this computer alone beside the ghidcache (`<ghidcache>.frames`).
 *
 * A remote restored from a backup older than our frame's vector (the 7 versions before it) holds
 * a frame of our line that the vector no longer names, and a fork's frame, which a computer
 * offline for long may have left there, looks the same from here: the checks of the remotes
 * (remote-backfill.ts) left both where they were, the restored remote serving an old version until
 * the object was written again. A frame that was current here is no unknown fork: our frame
 * replaced it here (written on it, or newer by counter), so ours may go over it there, as the
 * remote itself takes ours over it when we publish.
 *
 * Each frame is kept as 8 bytes of its GHID's SHA-512 digest: at this file's bound, the odds that
 * an unknown frame matches one are about one in a billion. A frame is appended a second after it
 * is stored, and the file is not synced: one lost to a crash only leaves a remote's copy where it
 * was, as before. At most `maxFrames` are kept; past that the older half goes. The file is read
 * only when a remote holds an older frame that our vector does not name (rare), and dropped from
 * memory a minute after the last such question.
 */
import { appendFile, open, readFile, truncate } from 'node:fs/promises';
import { Ghid } from '../golix/index.js';
import type { ObjectStore } from '../store/object-store.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** The file's first 8 bytes: its format, and the records after it aligned to 8. */
const MAGIC = Buffer.from('HGXPF1\n\0', 'latin1');
const KEY_BYTES = 8;
/** How long a stored frame waits to be written with the others of that time. */
const WRITE_DELAY_MS = 1_000;
/** How long what was read stays in memory after the last question. */
const KEEP_READ_MS = 60_000;

export interface PastFramesOptions {
  /** Frames kept at most (8 bytes each). @default 262144 (2 MiB) */
  maxFrames?: number;
}

/** The key of a frame: the first 8 bytes of its GHID's digest. */
function keyOf(frame: string): bigint {
  return Ghid.fromText(frame).bytes.readBigUInt64LE(1);
}

export class PastFrames {
  private pending: bigint[] = [];
  private timer?: NodeJS.Timeout;
  /** File operations, one after another. */
  private chain: Promise<void> = Promise.resolve();
  /** What the file held when it was last read, sorted; null until asked (or once dropped). */
  private read: BigUint64Array | null = null;
  /** Frames stored since the file was read. */
  private readonly since = new Set<bigint>();
  private dropTimer?: NodeJS.Timeout;
  /** Records in the file (after the header) once known; null: not looked at yet. */
  private count: number | null = null;
  private warned = false;
  private closed = false;
  private readonly maxFrames: number;

  constructor(
    readonly path: string,
    private readonly warn: (message: string) => void,
    o: PastFramesOptions = {},
  ) {
    this.maxFrames = o.maxFrames ?? 1 << 18;
  }

  /** A frame (its GHID text) became the current frame of its object here. */
  record(frame: string): void {
    if (this.closed) return;
    const key = keyOf(frame);
    this.pending.push(key);
    if (this.read) this.since.add(key);
    this.timer ??= setTimeout(() => void this.flush(), WRITE_DELAY_MS).unref();
  }

  /** Whether a frame (its GHID text) was ever the current frame of its object here, as far as this computer kept. */
  async held(frame: string): Promise<boolean> {
    const key = keyOf(frame);
    if (this.since.has(key) || this.pending.includes(key)) return true;
    await this.flush();
    await (this.chain = this.chain.then(() => this.load()));
    this.keepRead();
    return this.since.has(key) || this.pending.includes(key) || (this.read !== null && contains(this.read, key));
  }

  /** Writes what was recorded; never rejects (a failure is said once, and costs only what it could not write). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return this.chain;
    const keys = this.pending;
    this.pending = [];
    return (this.chain = this.chain.then(() => this.append(keys)));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.dropTimer);
    this.read = null;
    this.since.clear();
  }

  private async append(keys: bigint[]): Promise<void> {
    try {
      this.count ??= await this.aligned();
      await appendFile(this.path, this.count === 0 ? Buffer.concat([MAGIC, packed(keys)]) : packed(keys), { mode: 0o600 });
      this.count += keys.length;
      if (this.count > this.maxFrames) await this.keepNewest();
    } catch (err) {
      // Unknown now: looked at again before the next append.
      this.count = null;
      if (!this.warned) this.warn(`The list of past frames (${this.path}) could not be written: ${(err as Error).message}; a remote restored from an old backup may keep old versions until they are written again`);
      this.warned = true;
    }
  }

  /** Records in the file, a torn last one cut off (an append cut short) and a file of another format started again. */
  private async aligned(): Promise<number> {
    const fh = await open(this.path, 'a+', 0o600);
    try {
      const { size } = await fh.stat();
      const head = Buffer.alloc(MAGIC.length);
      if (size >= MAGIC.length) await fh.read(head, 0, MAGIC.length, 0);
      if (size < MAGIC.length || !head.equals(MAGIC)) {
        if (size > 0) this.warn(`${this.path} is no list of past frames this version reads: started again`);
        await fh.truncate(0);
        return 0;
      }
      const records = Math.floor((size - MAGIC.length) / KEY_BYTES);
      if (MAGIC.length + records * KEY_BYTES !== size) await truncate(this.path, MAGIC.length + records * KEY_BYTES);
      return records;
    } finally {
      await fh.close();
    }
  }

  /** The file past its bound: the newer half kept. */
  private async keepNewest(): Promise<void> {
    const keys = this.keysIn(await readFile(this.path));
    const kept = keys.subarray(keys.length - Math.floor(this.maxFrames / 2));
    await writeFileAtomic(this.path, Buffer.concat([MAGIC, packed(kept)]), { fsync: false });
    this.count = kept.length;
  }

  private async load(): Promise<void> {
    if (this.read) return;
    const data = await readFile(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.warn(`The list of past frames (${this.path}) could not be read: ${err.message}`);
      return Buffer.alloc(0);
    });
    this.read = this.keysIn(data).sort();
    // Stored but not yet in the file when it was read.
    this.since.clear();
    for (const k of this.pending) this.since.add(k);
  }

  /** The keys a file holds (none for another format), in the order they were written. */
  private keysIn(data: Buffer): BigUint64Array {
    if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) return new BigUint64Array(0);
    const n = Math.floor((data.length - MAGIC.length) / KEY_BYTES);
    const out = new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = data.readBigUInt64LE(MAGIC.length + i * KEY_BYTES);
    return out;
  }

  private keepRead(): void {
    clearTimeout(this.dropTimer);
    this.dropTimer = setTimeout(() => {
      this.read = null;
      this.since.clear();
    }, KEEP_READ_MS).unref();
  }
}

/** Keys as the file holds them: 8 bytes each, little-endian. */
function packed(keys: ArrayLike<bigint>): Buffer {
  const out = Buffer.alloc(keys.length * KEY_BYTES);
  for (let i = 0; i < keys.length; i++) out.writeBigUInt64LE(keys[i]!, i * KEY_BYTES);
  return out;
}

function contains(sorted: BigUint64Array, key: bigint): boolean {
  let [lo, hi] = [0, sorted.length - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === key) return true;
    if (v < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** `store`, each frame stored in it (the current frame of its object from then on) told to `past` once it is stored; closed together. */
export function recordingFrames(store: ObjectStore, past: PastFrames): ObjectStore {
  return {
    load: () => store.load(),
    put: async (entry, raw) => {
      await store.put(entry, raw);
      if (entry.type === 'GOBD') past.record(entry.ghid);
    },
    delete: (ghid) => store.delete(ghid),
    read: (ghid) => store.read(ghid),
    ...(store.storage && { storage: () => store.storage!() }),
    ...(store.commitDurations && { commitDurations: () => store.commitDurations!() }),
    ...(store.onRollback && { onRollback: (listener: () => void) => store.onRollback!(listener) }),
    close: async () => {
      await store.close();
      await past.close();
    },
  };
}
