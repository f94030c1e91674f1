/**
 * Shares that arrive in a burst are told together. Anyone who knows a fingerprint can share with
 * it, and each share that waits (or is taken) was a desktop notification of its own: a stranger
 * sending twenty shares, or twenty strangers one each, made twenty notifications. Within a window
 * (BURST_WINDOW_MS from the first told) the first BURST_TOLD are told one by one; the rest are
 * counted and told in one notice when the window ends ("5 more shares wait for your answer").
 */

/** How long a burst lasts, from its first share told. */
export const BURST_WINDOW_MS = 60_000;
/** How many shares of a burst are told one by one. */
export const BURST_TOLD = 3;

/** What a window held back: shares waiting for the user, and shares taken (trusted senders, policy). */
export interface HeldShares {
  waiting: number;
  taken: number;
}

export interface ShareNoticeBurstOptions {
  /** Tells the held shares of a window that ended, when there were any. */
  tellHeld(held: HeldShares): void;
  windowMs?: number;
  told?: number;
  /** setTimeout, injectable so tests drive the clock. */
  setTimer?(fn: () => void, ms: number): { unref?(): unknown };
  clearTimer?(handle: unknown): void;
}

export class ShareNoticeBurst {
  private toldInWindow = 0;
  private held: HeldShares = { waiting: 0, taken: 0 };
  private timer: unknown = null;
  private disposed = false;

  constructor(private readonly o: ShareNoticeBurstOptions) {}

  /** Whether this share is told now; if not, it is counted into the window's summary. */
  admit(waiting: boolean): boolean {
    if (this.disposed) return false;
    if (this.timer === null) this.timer = this.startWindow();
    if (this.toldInWindow < (this.o.told ?? BURST_TOLD)) {
      this.toldInWindow++;
      return true;
    }
    if (waiting) this.held.waiting++;
    else this.held.taken++;
    return false;
  }

  private startWindow(): unknown {
    const set = this.o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    const handle = set(() => this.endWindow(), this.o.windowMs ?? BURST_WINDOW_MS);
    handle.unref?.();
    return handle;
  }

  private endWindow(): void {
    const held = this.held;
    this.timer = null;
    this.toldInWindow = 0;
    this.held = { waiting: 0, taken: 0 };
    if (!this.disposed && held.waiting + held.taken > 0) this.o.tellHeld(held);
  }

  /** Stops the window (a lock): what it held is not told; the shares list still has them. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) (this.o.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout)))(this.timer);
    this.timer = null;
  }
}
