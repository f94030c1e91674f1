/**
 * The `!!` notifications on their way to one subscriber: at most `window` in flight at once, the
 * rest waiting in a queue bounded by count and bytes, so that a subscriber that reads slowly (or a
 * `+S` that replays thousands of GARQs) costs bounded memory. What is queued or in flight is
 * charged to the server-wide PushBudget; a subscriber that falls behind (its own queue full, or
 * the heaviest when the budget is spent) is disconnected rather than silently missing pushes —
 * its client reconnects and catches up. A subscriber that fails to answer costs only a log line.
 */
import { Ghid } from '../golix/index.js';
import type { Connection } from './connection.js';
import type { RemoteLogger } from './logger.js';
import { RemoteVerb } from './verbs.js';
import type { BudgetHolder, PushBudget } from './push-budget.js';

export const PUSH_WINDOW = 128;
export const MAX_PUSH_QUEUE = 10_000;
export const MAX_PUSH_QUEUE_BYTES = 64 * 1024 * 1024;

/** What the queue reports to the server's metrics. */
export interface PushCounters {
  notificationsSent: number;
  notificationsFailed: number;
}

export interface PushQueueOptions {
  connection: Connection;
  name: string;
  timeoutMs: number;
  counters: PushCounters;
  logger: RemoteLogger;
  /** The server-wide budget this queue charges. */
  budget: PushBudget;
  /** Disconnects the subscriber for falling behind (the queue is cleared right after). */
  disconnect: () => void;
}

const noop = (): void => {};

export class PushQueue implements BudgetHolder {
  private readonly queue: { subscribed: Ghid; raw: Buffer }[] = [];
  /**
   * GARQs replayed on `+S`, sent after the live pushes: charged to the budget only once sent (the
   * window bounds that), so a catch-up larger than the budget still completes, a window at a time.
   */
  private readonly replays: { subscribed: Ghid; raws: Buffer[]; next: number }[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private evicted = false;

  constructor(private readonly o: PushQueueOptions) {}

  get name(): string {
    return this.o.name;
  }

  /** Queues one `!!` and sends what the window allows. */
  push(subscribed: Ghid, raw: Buffer): void {
    if (!this.o.connection.isOpen || this.evicted) return;
    if (this.queue.length >= MAX_PUSH_QUEUE || this.queuedBytes + raw.length > Math.min(MAX_PUSH_QUEUE_BYTES, this.o.budget.limit)) {
      this.o.logger.warn(`${this.o.name}: subscriber is not keeping up (${this.queue.length} pushes queued); disconnecting it`);
      this.o.counters.notificationsFailed++;
      // Through the budget: counted and logged as every subscriber disconnected for falling behind.
      this.o.budget.evict(this);
      return;
    }
    if (!this.o.budget.reserve(this, raw.length)) {
      this.o.counters.notificationsFailed++;
      return;
    }
    this.queue.push({ subscribed, raw });
    this.queuedBytes += raw.length;
    this.pump();
  }

  /** Queues the stored requests replayed on a `+S`, sent behind the live pushes. */
  replay(subscribed: Ghid, raws: Buffer[]): void {
    if (!this.o.connection.isOpen || this.evicted || raws.length === 0) return;
    this.replays.push({ subscribed, raws, next: 0 });
    this.pump();
  }

  /**
   * Drops what waits for subscriptions the connection no longer holds (after `-S`, `XX`): live
   * pushes give their bytes back to the budget; replays not yet sent go.
   */
  forget(stillHeld: (subscribed: Ghid) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i]!;
      if (stillHeld(q.subscribed)) continue;
      this.queue.splice(i, 1);
      this.queuedBytes -= q.raw.length;
      this.o.budget.release(this, q.raw.length);
    }
    for (let i = this.replays.length - 1; i >= 0; i--) if (!stillHeld(this.replays[i]!.subscribed)) this.replays.splice(i, 1);
  }

  /** Disconnects the subscriber for falling behind and drops what it was owed (its client catches up). */
  evict(): void {
    if (this.evicted) return;
    this.evicted = true;
    this.o.disconnect();
    this.clear();
  }

  /** Drops everything waiting (the connection closed) and gives its bytes back to the budget. */
  clear(): void {
    this.queue.length = 0;
    this.replays.length = 0;
    this.queuedBytes = 0;
    this.o.budget.forget(this);
  }

  /** The next push to send, charged: a live one (charged when queued), else a replayed one (charged now). */
  private next(): { subscribed: Ghid; raw: Buffer } | null {
    const live = this.queue.shift();
    if (live) {
      this.queuedBytes -= live.raw.length;
      return live;
    }
    const r = this.replays[0];
    if (!r) return null;
    const raw = r.raws[r.next++]!;
    if (r.next >= r.raws.length) this.replays.shift();
    if (!this.o.budget.reserve(this, raw.length)) return null;
    return { subscribed: r.subscribed, raw };
  }

  private pump(): void {
    const { connection, counters, logger, name, timeoutMs } = this.o;
    while (this.inFlight < PUSH_WINDOW && !this.evicted) {
      const next = this.next();
      if (!next) return;
      const { subscribed, raw } = next;
      if (!connection.isOpen) {
        this.o.budget.release(this, raw.length);
        continue;
      }
      this.inFlight++;
      counters.notificationsSent++;
      connection
        .request(RemoteVerb.update, Buffer.concat([subscribed.bytes, raw]), { timeoutMs })
        .then(noop, (err: Error) => {
          counters.notificationsFailed++;
          logger.debug(`${name}: !! for ${subscribed.short} not acknowledged: ${err.message}`);
        })
        .finally(() => {
          // Acknowledged or not, the push no longer waits: its bytes go back to the budget.
          this.o.budget.release(this, raw.length);
          this.inFlight--;
          this.pump();
        });
    }
  }
}
