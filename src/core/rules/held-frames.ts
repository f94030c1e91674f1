/**
 * Frames whose container has not arrived yet: a subscriber is told of a new frame only once the
 * container it points to is stored (so it can fetch it), and a frame may come first. Bounded: the
 * oldest targets' frames are forgotten past the limit (their subscribers catch up by reading).
 */
import type { GolixObject } from '../golix/index.js';

export class HeldFrames {
  /** Container GHID → (dynamic GHID → the frame waiting for it), oldest target first. */
  private readonly byTarget = new Map<string, Map<string, GolixObject>>();
  private count = 0;

  constructor(private readonly max: number) {}

  /** Holds `frame` of `dynamic` until `target` is stored; replaces an older frame of the same dynamic. */
  hold(target: string, dynamic: string, frame: GolixObject): void {
    let m = this.byTarget.get(target);
    if (!m) this.byTarget.set(target, (m = new Map()));
    if (!m.has(dynamic)) this.count++;
    m.set(dynamic, frame);
    while (this.count > this.max) {
      const [oldest, set] = this.byTarget.entries().next().value as [string, Map<string, GolixObject>];
      this.byTarget.delete(oldest);
      this.count -= set.size;
    }
  }

  /** Forgets the frame of `dynamic` waiting for `target` (replaced or removed). */
  unhold(target: string, dynamic: string): void {
    const m = this.byTarget.get(target);
    if (m?.delete(dynamic)) {
      this.count--;
      if (m.size === 0) this.byTarget.delete(target);
    }
  }

  /** `target` is stored: the frames that waited for it, by dynamic GHID, now forgotten here. */
  release(target: string): Map<string, GolixObject> | undefined {
    const waiting = this.byTarget.get(target);
    if (!waiting) return undefined;
    this.byTarget.delete(target);
    this.count -= waiting.size;
    return waiting;
  }
}
