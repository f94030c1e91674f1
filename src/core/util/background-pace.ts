/**
 * The pace of long work done an item at a time (a check that reads every stored object): every
 * BATCH items it lets other work in, and in the background (`paced`) it rests three times as
 * long as the batch worked, so it takes a share of a CPU and of the disk, never all of them.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Items between two rests. */
const BATCH = 64;
/** A paced run rests this many times as long as its last batch worked (at most a second). */
const REST_FACTOR = 3;

export class BackgroundPace {
  private since = 0;
  private workStart = performance.now();

  /** `paced` is asked at each rest: a run asked for meanwhile goes on flat out. */
  constructor(private readonly paced: () => boolean) {}

  /** After each item; at every BATCH-th it rests or yields, and says so (true). */
  async step(): Promise<boolean> {
    if (++this.since < BATCH) return false;
    this.since = 0;
    const worked = performance.now() - this.workStart;
    await (this.paced() ? sleep(Math.min(1_000, worked * REST_FACTOR)) : new Promise(setImmediate));
    this.workStart = performance.now();
    return true;
  }
}
