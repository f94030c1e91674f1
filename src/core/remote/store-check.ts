/**
 * A persistence server's check of its store: every stored object read, checked to be the object
 * its name says and its signature verified (DamagedObjects.check), in the background, a while
 * after the server starts and then once a day (`server.check_store_hours`). A damaged object is otherwise found only when a
 * client asks for it; one nobody asks for would be met the day it is needed, perhaps after the
 * last computer holding a good copy is gone. Found now, it is answered as not here (`GT` and
 * `CK`), so that a daemon of its author, whose daily check asks its remotes for what it holds of
 * its own (remote-backfill.ts), sends it again and the publish puts the copy right.
 *
 * Only a store that can be put right is checked (a file store: `repair` and `storedGhids`); a
 * database keeps its own integrity. The check rests three times as long as it works, so a large
 * store takes a share of one CPU and of the disk, never all of it.
 */
import { Ghid } from '../golix/index.js';
import type { PersistenceEngine } from '../rules/persistence-engine.js';
import type { DamagedObjects } from './damaged-objects.js';
import { BackgroundPace } from '../util/background-pace.js';
import type { RemoteLogger } from './logger.js';

export interface StoreCheckOptions {
  /** The first check starts this long after the store is ready. @default 10 minutes */
  firstAfterMs?: number;
  /** Then one every `everyMs`. @default 24 hours */
  everyMs?: number;
}

export interface StoreCheckReport {
  /** Objects read by the last whole check. */
  checked: number;
  /** Objects known damaged now (found by the check or by a read), until a publish puts them right. */
  damaged: number;
}

export class StoreCheck {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<StoreCheckReport> | null = null;
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: () => PersistenceEngine,
    private readonly damaged: DamagedObjects,
    private readonly logger: RemoteLogger,
    private readonly o: StoreCheckOptions = {},
  ) {}

  /** Objects known damaged now (by a check or a read), until a publish puts them right. */
  get damagedCount(): number {
    return this.damaged.count;
  }

  /** Whether a check is scheduled (started, on a store that can be put right, and not stopped). */
  get scheduled(): boolean {
    return this.timer !== null || (this.current !== null && !this.stopping.signal.aborted);
  }

  /** Whether this store is checked at all (one that can be put right). */
  get applies(): boolean {
    const s = this.store();
    return s.repair !== undefined && s.storedGhids !== undefined;
  }

  /** Schedules the checks (once the store is ready): the first after `firstAfterMs`, then every `everyMs`. */
  start(): void {
    if (this.applies) this.schedule(this.o.firstAfterMs ?? 10 * 60_000);
  }

  /** Ends the checks; resolves once one going on has stopped (before the store closes). */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.current?.catch(() => {});
  }

  /**
   * A whole check (`paced`: resting between batches; `progress`: told at each batch, of how
   * many objects read of how many); one going on is joined. Rejects when the store cannot be read.
   */
  run(paced = false, progress?: (checked: number, total: number) => void): Promise<StoreCheckReport> {
    this.current ??= this.whole(paced, progress).finally(() => (this.current = null));
    return this.current;
  }

  private schedule(ms: number): void {
    if (this.stopping.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run(true)
        .catch((err: unknown) => this.stopping.signal.aborted || this.logger.warn(`Store check: stopped by ${(err as Error).message}`))
        .finally(() => this.schedule(this.o.everyMs ?? 24 * 3_600_000));
    }, ms);
    this.timer.unref();
  }

  private async whole(paced: boolean, progress?: (checked: number, total: number) => void): Promise<StoreCheckReport> {
    const ghids = this.store().storedGhids?.() ?? [];
    const pace = new BackgroundPace(() => paced);
    let [checked, found] = [0, 0];
    for (const text of ghids) {
      if (this.stopping.signal.aborted) break;
      if (!(await this.damaged.check(Ghid.fromText(text)))) found++;
      checked++;
      if (await pace.step()) progress?.(checked, ghids.length);
    }
    await this.damaged.forgetGone();
    const report = { checked, damaged: this.damaged.count };
    const said = `Store check: ${checked} objects read, ${found} damaged`;
    if (found > 0) this.logger.error(`${said} (answered as not here until their authors' daemons send them again)`);
    else this.logger.info(said);
    return report;
  }
}
