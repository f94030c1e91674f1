import { Ghid, type Gobd } from '../golix/index.js';
import type { AppObject } from './app-object.js';

/**
 * The objects kept decrypted in memory, with the frame each was last read from or written as:
 * least recently used first, bounded (defect 25) except for those pinned, and those `busy` says
 * must stay (for now).
 */
export class LiveObjects {
  private readonly live = new Map<string, AppObject>();
  private readonly frames = new Map<string, Gobd>();
  private readonly pinned = new Set<string>();

  /** `onEvict` hears of each object that leaves (the daemon may unsubscribe it). */
  constructor(
    private readonly maxLive: number,
    private readonly onEvict: (ghid: Ghid) => void,
    private readonly busy: (ghid: Ghid) => boolean = () => false,
  ) {}

  get(ghid: Ghid): AppObject | undefined {
    return this.live.get(ghid.text);
  }

  /** The frame the object was last read from or written as here. */
  frame(ghid: Ghid): Gobd | undefined {
    return this.frames.get(ghid.text);
  }

  has(ghid: Ghid): boolean {
    return this.live.has(ghid.text);
  }

  /** Keeps `obj` as the most recently used (with its frame, for a dynamic one), then trims. */
  remember(obj: AppObject, frame?: Gobd): AppObject {
    this.live.delete(obj.ghid.text);
    this.live.set(obj.ghid.text, obj);
    if (frame) this.frames.set(obj.ghid.text, frame);
    this.trim();
    return obj;
  }

  pin(ghid: Ghid): void {
    this.pinned.add(ghid.text);
  }

  unpin(ghid: Ghid): void {
    if (this.pinned.delete(ghid.text)) this.trim();
  }

  discard(ghid: Ghid): void {
    this.live.delete(ghid.text);
    this.frames.delete(ghid.text);
  }

  /** Evicts the least recently used objects that nothing pinned and that are not busy, down to maxLive. */
  private trim(): void {
    if (this.live.size <= this.maxLive) return;
    for (const key of this.live.keys()) {
      if (this.live.size <= this.maxLive) break;
      if (this.pinned.has(key)) continue;
      const ghid = Ghid.fromText(key);
      if (this.busy(ghid)) continue;
      this.discard(ghid);
      this.onEvict(ghid);
    }
  }
}
