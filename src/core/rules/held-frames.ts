/**
 * Frames whose target has not arrived yet: a subscriber is told of a new frame only once what it
 * points to is stored (so it can fetch it), and a frame may come first. Bounded: the oldest
 * targets' frames are forgotten past the limit (their subscribers catch up by reading).
 *
 * This is engine state that a rolled-back commit must undo, like the indexes. Unlike them it
 * cannot be derived again from the stored entries, which do not say what was announced already,
 * so the changes each stored object makes here are kept until its writes are durable, and a
 * rollback undoes those of the objects it undid (`begin`/`end`/`settle`/`rollBack`).
 */
import type { GolixObject } from '../golix/index.js';

/** One slot's value before a change (undefined: empty). */
interface Change<T> {
  target: string;
  dynamic: string;
  before: T | undefined;
}

/** An object stored, and the changes storing it made here, in order. */
export interface HeldStep<T> {
  readonly stored: string;
  readonly changes: Change<T>[];
}

export class HeldFrames<T extends object = GolixObject> {
  /** Target GHID → (dynamic GHID → the frame waiting for it), oldest target first. */
  private readonly byTarget = new Map<string, Map<string, T>>();
  private count = 0;
  /** Objects whose writes may still be undone, oldest first. */
  private readonly steps: HeldStep<T>[] = [];
  /** The object being stored: its changes are recorded (none are outside one, e.g. on open). */
  private step: HeldStep<T> | null = null;

  constructor(private readonly max: number) {}

  /** Holds `frame` of `dynamic` until `target` is stored; replaces an older frame of the same dynamic. */
  hold(target: string, dynamic: string, frame: T): void {
    this.change(target, dynamic, frame);
    while (this.count > this.max) {
      const [oldest, set] = this.byTarget.entries().next().value as [string, Map<string, T>];
      for (const dyn of [...set.keys()]) this.change(oldest, dyn, undefined);
    }
  }

  /** Forgets the frame of `dynamic` waiting for `target` (replaced or removed). */
  unhold(target: string, dynamic: string): void {
    this.change(target, dynamic, undefined);
  }

  /** `target` is stored: the frames that waited for it, by dynamic GHID, now forgotten here. */
  release(target: string): Map<string, T> | undefined {
    const waiting = this.byTarget.get(target);
    if (!waiting) return undefined;
    const released = new Map(waiting);
    for (const dynamic of released.keys()) this.change(target, dynamic, undefined);
    return released;
  }

  /**
   * Starts recording what storing the object `ghid` changes here, until `end()`. One object at a
   * time: its writes are queued in one synchronous step, so a store commits or undoes them together.
   */
  begin(ghid: string): void {
    this.step = { stored: ghid, changes: [] };
  }

  /** Stops recording; the object's changes are kept until `settle()` or `rollBack()`. */
  end(): HeldStep<T> | null {
    const step = this.step;
    this.step = null;
    if (step) this.steps.push(step);
    return step;
  }

  /** The object's writes are durable: no rollback undoes it, nor (writes are durable in call order) any before it. */
  settle(step: HeldStep<T> | null): void {
    const i = step ? this.steps.indexOf(step) : -1;
    if (i >= 0) this.steps.splice(0, i + 1);
  }

  /**
   * The store undid writes (a failed commit): `isStored` now answers as before them. The objects
   * undone are the newest ones (a store undoes a commit and everything queued after it), and
   * none of them is stored now; the newest object still durable is (only a later object could
   * have removed it, and that one is undone). Their changes are undone newest first, so the
   * frames held are those held before the first of them. A frame whose release is undone is held
   * again: its subscribers may have heard of it while the undone object was readable
   * (IngestHooks.applied), and hear again once that object is stored for good, as they do of an
   * undone object published again.
   */
  rollBack(isStored: (ghid: string) => boolean): void {
    for (let step = this.steps.at(-1); step && !isStored(step.stored); step = this.steps.at(-1)) {
      this.steps.pop();
      for (let i = step.changes.length - 1; i >= 0; i--) {
        const { target, dynamic, before } = step.changes[i]!;
        // A target put back counts as the newest for the bound: the order is not recorded.
        this.set(target, dynamic, before);
      }
    }
  }

  /** Sets one slot, recording what it held while an object is being stored. */
  private change(target: string, dynamic: string, value: T | undefined): void {
    const before = this.byTarget.get(target)?.get(dynamic);
    if (before === value) return;
    this.step?.changes.push({ target, dynamic, before });
    this.set(target, dynamic, value);
  }

  private set(target: string, dynamic: string, value: T | undefined): void {
    let m = this.byTarget.get(target);
    if (value === undefined) {
      if (!m?.delete(dynamic)) return;
      this.count--;
      if (m.size === 0) this.byTarget.delete(target);
      return;
    }
    if (!m) this.byTarget.set(target, (m = new Map()));
    if (!m.has(dynamic)) this.count++;
    m.set(dynamic, value);
  }
}
