/**
 * Who uploaded the frames this node stored whose announcement waits for their target (a
 * container, or a dynamic GHID with no frame yet). The database keeps the frame, not who sent
 * it, and the announcement is made by whichever publish stores the target — perhaps a later
 * transaction here, perhaps another node. Remembering the uploader here lets this node leave
 * that connection out of the announcement either way (hypergolix-reference §3.4): when it
 * releases the frame itself (transaction.ts), and when it hears another node release it
 * (engine.ts `heard`), since every node hears every release.
 *
 * In memory and bounded: past `max` frames the oldest are forgotten, as a node restart forgets
 * them all. A forgotten frame is announced to everyone subscribed, its uploader included: one
 * needless push, never a missed one.
 */

/** The uploader of a frame that another node stored: matches no connection here, so nobody here is left out. */
export const UPLOADED_ELSEWHERE: unique symbol = Symbol('uploaded through another node');

/** Frames remembered at most by default: about 200 bytes each, so some 2 MB. */
export const DEFAULT_MAX_WAITING_UPLOADERS = 10_000;

export class WaitingUploaders {
  /** Frame GHID text → its uploader (IngestHooks.origin), oldest first. */
  private readonly byFrame = new Map<string, unknown>();

  constructor(private readonly max = DEFAULT_MAX_WAITING_UPLOADERS) {}

  get size(): number {
    return this.byFrame.size;
  }

  /** Remembers the uploader of a frame stored here whose announcement waits. */
  remember(frame: string, origin: unknown): void {
    if (origin === undefined || this.max <= 0) return;
    this.byFrame.delete(frame);
    this.byFrame.set(frame, origin);
    while (this.byFrame.size > this.max) this.byFrame.delete(this.byFrame.keys().next().value!);
  }

  /** The uploader of a waiting frame, if it was stored here and is still remembered. */
  uploaderOf(frame: string): unknown {
    return this.byFrame.get(frame);
  }

  /** The frame is announced: its uploader is no longer needed. Returns it (undefined: not remembered). */
  take(frame: string): unknown {
    const origin = this.byFrame.get(frame);
    this.byFrame.delete(frame);
    return origin;
  }
}
