/**
 * The `!!` notifications on their way to one subscriber: at most `window` in flight at once, the
 * rest waiting in a queue bounded by count and bytes, so that a subscriber that reads slowly (or a
 * `+S` that replays thousands of GARQs) costs bounded memory. A push that does not fit is dropped
 * and counted; a subscriber that fails to answer costs only a log line.
 */
import { Ghid } from '../golix/index.js';
import type { Connection } from './connection.js';
import type { RemoteLogger } from './logger.js';
import { RemoteVerb } from './verbs.js';

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
}

const noop = (): void => {};

export class PushQueue {
  private readonly queue: { subscribed: Ghid; raw: Buffer }[] = [];
  private queuedBytes = 0;
  private inFlight = 0;

  constructor(private readonly o: PushQueueOptions) {}

  /** Queues one `!!` and sends what the window allows. */
  push(subscribed: Ghid, raw: Buffer): void {
    if (!this.o.connection.isOpen) return;
    if (this.queue.length >= MAX_PUSH_QUEUE || this.queuedBytes + raw.length > MAX_PUSH_QUEUE_BYTES) {
      this.o.counters.notificationsFailed++;
      this.o.logger.warn(`${this.o.name}: subscriber is not keeping up; !! for ${subscribed.short} dropped`);
      return;
    }
    this.queue.push({ subscribed, raw });
    this.queuedBytes += raw.length;
    this.pump();
  }

  /** Drops everything waiting (the connection closed). */
  clear(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private pump(): void {
    const { connection, counters, logger, name, timeoutMs } = this.o;
    while (this.inFlight < PUSH_WINDOW && this.queue.length > 0) {
      const { subscribed, raw } = this.queue.shift()!;
      this.queuedBytes -= raw.length;
      if (!connection.isOpen) continue;
      this.inFlight++;
      counters.notificationsSent++;
      connection
        .request(RemoteVerb.update, Buffer.concat([subscribed.bytes, raw]), { timeoutMs })
        .then(noop, (err: Error) => {
          counters.notificationsFailed++;
          logger.debug(`${name}: !! for ${subscribed.short} not acknowledged: ${err.message}`);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
