/**
 * The recipient's side of asking for a share again (share-again.ts): an object shared with us
 * that this daemon can no longer read has its sharer asked, at most once a day (and once per
 * start, or once read again since); a share again that opened nothing (OPENED_NOTHING_STATUS)
 * is asked for again after the waits of ASK_AGAIN_AFTER_NOTHING_MS while still behind. Which
 * objects are behind, and since when, is what the shares list shows ("asked … again").
 */
import { buildRequest, type Ghid, type PublicIdentity } from '../golix/index.js';
import type { DaemonPort } from '../daemon/port.js';
import type { ShareRecords } from './share-records.js';
import { ASK_AGAIN_AFTER_NOTHING_MS, ASK_AGAIN_EVERY_MS, SHARE_AGAIN_STATUS, Throttle } from './share-again.js';

export interface CatchingUpParts {
  daemon: Pick<DaemonPort, 'identity' | 'publish' | 'stopped'>;
  records: Pick<ShareRecords, 'receivedFrom' | 'isDeleted'>;
  /** A user's public identity, fetched. */
  identity(ghid: Ghid): Promise<PublicIdentity>;
  warn(message: string): void;
  /** ASK_AGAIN_AFTER_NOTHING_MS unless told (tests). */
  askAgainAfterNothingMs?: readonly number[];
}

export class CatchingUp {
  private readonly asked = new Throttle(ASK_AGAIN_EVERY_MS);
  /** Objects shared with us that this daemon cannot read now, and when it first asked for them again. */
  private readonly behind = new Map<string, number>();
  /** Of those, how many rounds of shares again opened nothing. */
  private readonly fruitless = new Map<string, number>();
  /** Those whose next ask waits for its time (openedNothing). */
  private readonly askingSoon = new Set<string>();

  constructor(private readonly p: CatchingUpParts) {}

  /**
   * No known secret reads a version of `ghid`: if it was shared with us, its sharer is asked to
   * share it again. Their new share is taken without asking (consent.ts), and opens the object
   * over the record that could not catch up.
   */
  async unreadable(ghid: Ghid): Promise<void> {
    const from = this.p.records.receivedFrom(ghid);
    // Deleted by its author: no share again could open it.
    if (!from || this.p.records.isDeleted(ghid) || !this.asked.take(ghid.text)) return;
    try {
      const ask = buildRequest(this.p.daemon.identity, await this.p.identity(from), { kind: 'NK', target: ghid, status: SHARE_AGAIN_STATUS });
      await this.p.daemon.publish(ask);
      if (!this.behind.has(ghid.text)) this.behind.set(ghid.text, Date.now());
      this.p.warn(`${ghid.short} moved on past what this computer can read; asked ${from.short}, who shared it, to share it again`);
    } catch (err) {
      // Nothing went out: the next unreadable version asks again.
      this.asked.forget(ghid.text);
      this.p.warn(`could not ask ${from.short} to share ${ghid.short} again: ${(err as Error).message}`);
    }
  }

  /** A version of `ghid` was read again: falling behind later is a new case, asked about at once. */
  readable(ghid: Ghid): void {
    this.fruitless.delete(ghid.text);
    if (this.behind.delete(ghid.text)) this.asked.forget(ghid.text);
  }

  /**
   * A share again opened nothing: asked again after the next wait of ASK_AGAIN_AFTER_NOTHING_MS,
   * if still behind then (the sharer answers at once, OPENED_NOTHING_STATUS), else once a day.
   * Each computer of the sharer's account may answer one ask: their shares make one round.
   */
  openedNothing(ghid: Ghid): void {
    const tries = this.fruitless.get(ghid.text) ?? 0;
    const waitMs = (this.p.askAgainAfterNothingMs ?? ASK_AGAIN_AFTER_NOTHING_MS)[tries];
    if (waitMs === undefined || !this.behind.has(ghid.text) || this.askingSoon.has(ghid.text)) return;
    this.fruitless.set(ghid.text, tries + 1);
    this.askingSoon.add(ghid.text);
    this.p.warn(`the share again of ${ghid.short} opened nothing here (a version its server did not take); asking again in ${waitMs / 1000} s`);
    setTimeout(() => {
      this.askingSoon.delete(ghid.text);
      if (this.p.daemon.stopped.aborted || !this.behind.has(ghid.text)) return;
      this.asked.forget(ghid.text);
      void this.unreadable(ghid);
    }, waitMs).unref();
  }

  /** When this daemon asked for a share of `ghid` again, if it still cannot read it. */
  askedSince(ghid: Ghid): number | null {
    return this.behind.get(ghid.text) ?? null;
  }
}
