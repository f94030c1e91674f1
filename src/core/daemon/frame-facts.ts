/**
 * What the daemon needs to know of our queued frames (GOBD) without reading them again: their
 * object, counter, container and the container they were written on; and an index of them by
 * object, kept beside each outbox, for the questions a stop and an update ask of what still waits.
 */
import { parseObject } from '../golix/index.js';

/** What sending needs to know of a queued frame (GOBD): its object, its counter, its container and the one before. */
export interface FrameFacts {
  dynamic: string;
  counter: bigint;
  container: string;
  /** The container it was written on (its vector's second entry); null for an object's first frame. */
  previous: string | null;
}

const GOBD_MAGIC = Buffer.from('GOBD', 'latin1');

/** A queued frame's facts; null for any other object (or bytes that do not parse). */
export function frameFacts(raw: Buffer): FrameFacts | null {
  // Containers, the large objects, are told apart by their magic alone.
  if (raw.length < 4 || !raw.subarray(0, 4).equals(GOBD_MAGIC)) return null;
  try {
    const obj = parseObject(raw);
    return obj.type === 'GOBD' ? { dynamic: obj.dynamic.text, counter: obj.counter ?? 0n, container: obj.targets[0]!.text, previous: obj.targets[1]?.text ?? null } : null;
  } catch {
    return null;
  }
}

/** The frames among some queued objects, by object (each entry by its GHID text). */
export class QueuedFrames {
  private readonly byObject = new Map<string, Map<string, FrameFacts>>();
  private readonly objectOf = new Map<string, string>();

  /** Notes a queued object; anything but a frame is ignored. */
  add(ghid: string, raw: Buffer): void {
    const facts = frameFacts(raw);
    if (!facts) return;
    this.remove(ghid);
    const frames = this.byObject.get(facts.dynamic) ?? new Map<string, FrameFacts>();
    frames.set(ghid, facts);
    this.byObject.set(facts.dynamic, frames);
    this.objectOf.set(ghid, facts.dynamic);
  }

  remove(ghid: string): void {
    const dynamic = this.objectOf.get(ghid);
    if (dynamic === undefined) return;
    this.objectOf.delete(ghid);
    const frames = this.byObject.get(dynamic)!;
    frames.delete(ghid);
    if (frames.size === 0) this.byObject.delete(dynamic);
  }

  /** The lowest-counter frame of `dynamic` queued, or null when none is. */
  oldest(dynamic: string): FrameFacts | null {
    return lowest(this.byObject.get(dynamic)?.values() ?? []);
  }

  /** Whether a queued frame binds `container` (its newest target). Asked rarely: a walk of them all. */
  binds(container: string): boolean {
    for (const frames of this.byObject.values()) for (const f of frames.values()) if (f.container === container) return true;
    return false;
  }

  /** The lowest-counter frame of each object with one queued. */
  *oldestEach(): IterableIterator<FrameFacts> {
    for (const frames of this.byObject.values()) yield lowest(frames.values())!;
  }
}

/** Of some frames of one object, the one with the lowest counter (null when there are none). */
export function lowest(frames: Iterable<FrameFacts>): FrameFacts | null {
  let found: FrameFacts | null = null;
  for (const f of frames) if (!found || f.counter < found.counter) found = f;
  return found;
}
