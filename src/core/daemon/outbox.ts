import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { AppendLog } from '../util/append-log.js';
import { QueuedFrames, type FrameFacts } from './frame-facts.js';

const OP_QUEUE = 1;
const OP_DONE = 2;
/** The entry named (written just before it) is to be settled as a conflict before it is sent (`add`). */
const OP_SETTLE_FIRST = 3;
/** How long a done record may wait for an append to go out with before it is written alone. */
export const DONE_WRITE_DELAY_MS = 1_000;

/**
 * The object's bytes in a buffer of their own. A small Buffer is usually a slice of an 8 KiB
 * pool slab (or of a larger message), and keeping the slice keeps the whole slab: an outbox of
 * 1,400 objects of ~1 KiB measured 11 MiB this way. Queued objects may wait for hours (a remote
 * away), so each keeps only its own bytes.
 */
function ownCopy(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(raw.length);
  raw.copy(out);
  return out;
}

/**
 * Publishes not yet acknowledged by one remote, in order, kept on disk so that a restart or a
 * crash loses nothing (defect 21). It holds the objects' bytes, not references into the cache:
 * a frame superseded locally before it was sent must still reach the remote, or subscribers
 * would see a gap wider than the legroom and could not ratchet across it.
 *
 * An append-only log of records `op u8 | length u32 | payload | crc32 u32` (op 1: a packed
 * object; op 2: the 88-character GHID text of an entry that is done; op 3: that of an entry to
 * settle first, written before it), group-committed
 * (AppendLog) and compacted when it is mostly done records.
 *
 * A done record needs no sync of its own: lost in a crash, it only means the entry is sent again
 * after the restart, which the remote answers as already stored. So done records go out with the
 * next append (a new publish), or alone after DONE_WRITE_DELAY_MS, or at close: one durable
 * write per publish instead of two, where a slow disk makes each cost milliseconds.
 */
export class Outbox {
  private readonly pending = new Map<string, Buffer>();
  /**
   * Queued but not to be sent yet: our own objects whose local store write runs alongside their
   * queueing (NetworkIO.publish). Memory only: after a restart they are sent like the rest.
   */
  private readonly held = new Set<string>();
  /** Pending frames of ours to be refused here once, before they are sent (`add`'s settleFirst). */
  private readonly unsettled = new Set<string>();
  /** The frames among the pending entries, by object. */
  private readonly frames = new QueuedFrames();
  private doneSinceCompact = 0;
  /** Done records not written yet (see above), and the timer that writes them alone. */
  private doneUnwritten: Buffer[] = [];
  private doneTimer?: NodeJS.Timeout;

  private constructor(private readonly log: AppendLog) {}

  get path(): string {
    return this.log.path;
  }

  static async open(dir: string, remote: string): Promise<Outbox> {
    const { log, data } = await AppendLog.open(join(dir, `${remote.replace(/[^A-Za-z0-9.-]/g, '_')}.outbox`));
    const box = new Outbox(log);
    let pos = 0;
    // A torn tail (crash mid-append) fails its length or checksum and ends the replay.
    while (pos + 9 <= data.length) {
      const op = data.readUInt8(pos);
      const len = data.readUInt32BE(pos + 1);
      if (pos + 9 + len > data.length) break;
      const payload = data.subarray(pos + 5, pos + 5 + len);
      if (crc32(payload) !== data.readUInt32BE(pos + 5 + len)) break;
      pos += 9 + len;
      if (op === OP_QUEUE && payload.length > 0) {
        // The key is supplied by the writer's record: ghid text (88) then the object.
        box.pending.set(payload.toString('latin1', 0, 88), ownCopy(payload.subarray(88)));
      } else if (op === OP_DONE) {
        box.pending.delete(payload.toString('latin1'));
      } else if (op === OP_SETTLE_FIRST) {
        box.unsettled.add(payload.toString('latin1'));
      }
    }
    for (const g of box.unsettled) if (!box.pending.has(g)) box.unsettled.delete(g);
    for (const [ghid, raw] of box.pending) box.frames.add(ghid, raw);
    await box.compact();
    return box;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Entries that may be sent now (queued and not held). */
  get ready(): number {
    return this.pending.size - this.held.size;
  }

  /** Every entry, held and parked ones too (GHID text and bytes), oldest first. */
  all(): [string, Buffer][] {
    return [...this.pending.entries()];
  }

  /** Entries that may be sent now (GHID text and bytes), oldest first. */
  items(): [string, Buffer][] {
    return [...this.pending.entries()].filter(([g]) => !this.held.has(g));
  }

  /** The lowest-counter frame of `dynamic` still here (held and parked ones too), or null. */
  oldestFrame(dynamic: string): FrameFacts | null {
    return this.frames.oldest(dynamic);
  }

  /** Whether a frame still here (held and parked ones too) binds `container`. */
  bindsQueued(container: string): boolean {
    return this.frames.binds(container);
  }

  /** The lowest-counter frame of each object with a frame still here. */
  oldestFrames(): FrameFacts[] {
    return [...this.frames.oldestEach()];
  }

  /**
   * Queues objects by GHID; resolves once durable. `hold`: not sent until `release`d.
   * `settleFirst`: frames of ours written over another computer's frame that no secret here
   * read (an offline write, ObjectManager.update's overUnreadable). Their counter is above that
   * frame's, so the remote would take them and its chain would switch to our fork: each is
   * refused here once instead (`refuseFirst`), which raises the conflict as the remote's refusal
   * would, and is sent as it is only if that cannot be settled. Kept across a restart.
   */
  add(objects: { ghid: string; raw: Buffer }[], options: { hold?: boolean; settleFirst?: readonly string[] } = {}): Promise<void> {
    const marks = (options.settleFirst ?? []).filter((g) => objects.some((o) => o.ghid === g));
    for (const g of marks) this.unsettled.add(g);
    for (const o of objects) {
      // One already queued unheld was stored here before: it stays free to go (and withdraw
      // leaves it), whatever becomes of this publish.
      if (options.hold && !(this.pending.has(o.ghid) && !this.held.has(o.ghid))) this.held.add(o.ghid);
      this.pending.delete(o.ghid);
      this.pending.set(o.ghid, ownCopy(o.raw));
      this.frames.add(o.ghid, o.raw);
    }
    return this.log.append([...this.takeDone(), ...marks.map(settleFirstRecord), ...objects.map((o) => queueRecord(o.ghid, o.raw))]);
  }

  /** Whether a frame about to be sent is refused here, the first time only (`add`'s settleFirst; again after a restart). */
  refuseFirst(ghid: string): boolean {
    return this.unsettled.delete(ghid);
  }

  /** Held entries may be sent from now on. */
  release(ghids: readonly string[]): void {
    for (const g of ghids) this.held.delete(g);
  }

  /** Takes held entries back unsent (their object was not stored after all); resolves once durable. */
  withdraw(ghids: readonly string[]): Promise<void> {
    const gone = ghids.filter((g) => this.held.delete(g) && this.pending.delete(g));
    for (const g of gone) {
      this.frames.remove(g);
      this.unsettled.delete(g);
    }
    if (gone.length === 0) return Promise.resolve();
    return this.log.append([...this.takeDone(), ...gone.map((g) => record(OP_DONE, Buffer.from(g, 'latin1')))]);
  }

  /**
   * Not offered any more for now, but kept until `done`: a frame the remote refused because
   * another computer wrote first, until its state is written again on top. A stop before that
   * leaves it in the log, so the next start sends it again and the refusal comes again.
   */
  park(ghid: string): void {
    if (this.pending.has(ghid)) this.held.add(ghid);
  }

  /** The remote has taken the entry (or refused it for good): it is no longer offered. */
  done(ghid: string): void {
    this.held.delete(ghid);
    if (!this.pending.delete(ghid)) return;
    this.frames.remove(ghid);
    this.unsettled.delete(ghid);
    this.doneUnwritten.push(record(OP_DONE, Buffer.from(ghid, 'latin1')));
    if (!this.doneTimer) {
      this.doneTimer = setTimeout(() => void this.writeDone().catch(() => {}), DONE_WRITE_DELAY_MS);
      this.doneTimer.unref();
    }
    if (++this.doneSinceCompact > 1000 && this.doneSinceCompact > 4 * this.pending.size) void this.compact().catch(() => {});
  }

  /** The done records not written yet, now to be written with whatever is appended next. */
  private takeDone(): Buffer[] {
    clearTimeout(this.doneTimer);
    this.doneTimer = undefined;
    const records = this.doneUnwritten;
    this.doneUnwritten = [];
    return records;
  }

  private writeDone(): Promise<void> {
    const records = this.takeDone();
    return records.length > 0 ? this.log.append(records) : Promise.resolve();
  }

  /** Rewrites the log as just the pending entries (atomically); done records need not follow. */
  private compact(): Promise<void> {
    this.doneSinceCompact = 0;
    this.takeDone();
    return this.log.replace(() => Buffer.concat([...this.pending].flatMap(([g, raw]) => [...(this.unsettled.has(g) ? [settleFirstRecord(g)] : []), queueRecord(g, raw)])));
  }

  async close(): Promise<void> {
    // Not written, they would only be sent again; written, the restart has less to resend.
    await this.writeDone().catch(() => {});
    await this.log.close();
  }
}

function queueRecord(ghid: string, raw: Buffer): Buffer {
  return record(OP_QUEUE, Buffer.concat([Buffer.from(ghid, 'latin1'), raw]));
}

function settleFirstRecord(ghid: string): Buffer {
  return record(OP_SETTLE_FIRST, Buffer.from(ghid, 'latin1'));
}

function record(op: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(op, 0);
  head.writeUInt32BE(payload.length, 1);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(payload));
  return Buffer.concat([head, payload, tail]);
}
