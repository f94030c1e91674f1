/**
 * Our frames of an object kept back from one remote while a conflict on that object is open.
 *
 * The remote refused one of our frames as not newer: another computer of the account wrote the
 * object first. Our later frames of the object were written on the same fork. Sent as they are,
 * the first whose counter is above the remote's would switch the remote over to our fork, and
 * whoever follows the object by ratchet along the remote's chain (another user it is shared
 * with, who has no secrets map) could not read past a fork deeper than the legroom. So they wait
 * here, with their containers, until the conflict is settled (ConflictOutcome). Memory only:
 * after a restart the outbox offers them all again, and the first refusal holds the rest again.
 */
import type { Outbox } from './outbox.js';
import type { FrameFacts } from './frame-facts.js';

/** How a conflict on an object was settled, for the frames of ours it holds back. */
export type ConflictOutcome =
  /**
   * Our newest state is in frame `top` (GHID text; ours, or the remote's when that holds all of
   * ours), of this counter, on the remote's chain: every other frame held at or below that
   * counter is done, the rest go (and `top` itself, if held).
   */
  | { top: string; counter: bigint }
  /** The remote's frame cannot be read here: the rest go as they are (the higher counter wins); the refused ones are tried again later. */
  | 'send-rest'
  /** Not ours to resolve: the refused frames are done, the rest go as they are. */
  | 'dismiss'
  /** Not settled (no remote answered, a container never came): everything is tried again later. */
  | 'failed';

/** The first wait before refused frames of an unsettled conflict are sent again; it doubles up to the last. */
export const CONFLICT_RETRY_MS = { first: 1_000, most: 300_000 };

interface Held {
  counter: bigint;
  /** Refused by the remote (else held back before it was sent). */
  refused: boolean;
  container: string;
}

interface Hold {
  frames: Map<string, Held>;
  /** Whether our later frames of the object are held back too (until the conflict is settled). */
  holdsLater: boolean;
  /** Whether its conflict is being resolved now. */
  resolving: boolean;
}

export class ConflictHolds {
  /** By dynamic GHID text. */
  private readonly holds = new Map<string, Hold>();
  /** The container GHID of every frame held, to its dynamic GHID: a container goes with its frame. */
  private readonly containers = new Map<string, string>();
  private retryTimer?: NodeJS.Timeout;
  private retryMs = CONFLICT_RETRY_MS.first;
  /** A retry was asked while a send was under way (done at its end). */
  private retryAsked = false;

  /**
   * `resend`: the outbox has entries to offer again (a flush). `sending`: whether a send of the
   * outbox is under way (a retry then waits for its end: see retryIdle and betweenSends).
   */
  constructor(
    private readonly outbox: Outbox,
    private readonly resend: () => void,
    private readonly sending: () => boolean = () => false,
  ) {}

  /** Frames held, for tests and logs. */
  get frames(): number {
    let n = 0;
    for (const h of this.holds.values()) n += h.frames.size;
    return n;
  }

  /**
   * A frame of ours refused as not newer: kept (parked in the outbox) with its object's hold.
   * Returns the settle function of a conflict to raise, or null when one is open or awaiting its
   * retry (which raises it again).
   */
  refused(ghid: string, frame: FrameFacts): ((outcome: ConflictOutcome) => void) | null {
    const open = this.holds.get(frame.dynamic);
    const hold = open ?? { frames: new Map(), holdsLater: true, resolving: true };
    this.keep(frame.dynamic, hold, ghid, { counter: frame.counter, refused: true, container: frame.container });
    if (open) return null;
    this.holds.set(frame.dynamic, hold);
    let settled = false;
    return (outcome) => {
      if (settled || this.holds.get(frame.dynamic) !== hold) return;
      settled = true;
      this.settle(frame.dynamic, hold, outcome);
    };
  }

  /**
   * The conflict just raised for `dynamic` had no listener (a start, before the daemon listens):
   * everything stays held until `retryIdle` (the daemon's `resendParked`, or the next connect).
   */
  unheard(dynamic: string): void {
    const hold = this.holds.get(dynamic);
    if (hold) hold.resolving = false;
  }

  /** A container of ours refused as unbound: kept with its frame when that frame is held. */
  refusedContainer(ghid: string): boolean {
    return this.parkContainer(ghid);
  }

  /** Whether an object about to be sent is held back: a later frame of an object in conflict, or a held frame's container. */
  holdBack(ghid: string, frame: FrameFacts | null): boolean {
    if (!frame) return this.parkContainer(ghid);
    const hold = this.holds.get(frame.dynamic);
    if (!hold?.holdsLater) return false;
    this.keep(frame.dynamic, hold, ghid, { counter: frame.counter, refused: false, container: frame.container });
    return true;
  }

  /**
   * Offers again what waits for a retry (a conflict settled as `send-rest` or `failed`, or raised
   * before anyone listened): the first refusal of each object raises its conflict again.
   *
   * Only between two sends of the outbox: asked during one, done once it ends (`betweenSends`).
   * A send takes its list of entries when it starts, so the frames released here go in the next
   * one; were this hold dropped while a send is under way, our later frames of the object still
   * to come in it would no longer be held back, and would reach the remote before the refused
   * frame is offered again: a fork deeper than the legroom switching the remote's chain, past
   * what anyone following it by ratchet can read. And a held frame's container whose refusal as
   * unbound was still on its way would be taken as refused for good, its frame then sent without it.
   */
  retryIdle(): void {
    if (this.sending()) {
      this.retryAsked = true;
      return;
    }
    this.retryAsked = false;
    let any = false;
    for (const [dynamic, hold] of this.holds) {
      if (hold.resolving) continue;
      this.holds.delete(dynamic);
      for (const [ghid, h] of hold.frames) this.release(ghid, h);
      any = true;
    }
    if (any) this.resend();
  }

  /**
   * A send of the outbox has ended: a retry asked during it is done now, before the next send
   * starts (waiting for no send at all could wait as long as sends follow each other).
   */
  betweenSends(): void {
    if (this.retryAsked) this.retryIdle();
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private settle(dynamic: string, hold: Hold, outcome: ConflictOutcome): void {
    hold.resolving = false;
    if (outcome === 'failed') return this.retryLater();
    for (const [ghid, h] of hold.frames) {
      const what = fate(outcome, ghid, h);
      if (what === 'stay') continue;
      hold.frames.delete(ghid);
      if (what === 'go') this.release(ghid, h);
      else {
        this.containers.delete(h.container);
        this.outbox.done(ghid);
        this.outbox.done(h.container);
      }
    }
    if (hold.frames.size === 0) this.holds.delete(dynamic);
    else {
      // send-rest: the refused ones wait for a retry; our later frames are not held any more.
      hold.holdsLater = false;
      this.retryLater();
    }
    if (typeof outcome === 'object') this.retryMs = CONFLICT_RETRY_MS.first;
    this.resend();
  }

  private keep(dynamic: string, hold: Hold, ghid: string, held: Held): void {
    hold.frames.set(ghid, held);
    this.containers.set(held.container, dynamic);
    this.outbox.park(ghid);
  }

  private parkContainer(ghid: string): boolean {
    if (!this.containers.has(ghid)) return false;
    this.outbox.park(ghid);
    return true;
  }


  private release(ghid: string, h: Held): void {
    this.containers.delete(h.container);
    this.outbox.release([ghid, h.container]);
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryIdle();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, CONFLICT_RETRY_MS.most);
  }
}

/** What a settled conflict makes of one frame it held (and its container): done, sent, or kept for the retry. */
function fate(outcome: Exclude<ConflictOutcome, 'failed'>, ghid: string, h: Held): 'done' | 'go' | 'stay' {
  if (typeof outcome === 'object') return ghid !== outcome.top && h.counter <= outcome.counter ? 'done' : 'go';
  if (!h.refused) return 'go';
  return outcome === 'dismiss' ? 'done' : 'stay';
}
