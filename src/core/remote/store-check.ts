/**
 * A persistence server's check of its store: every stored object read, checked to be the object
 * its name says and its signature verified (DamagedObjects.check), in the background, a while
 * after the server starts and then once a day (`server.check_store_hours`). A damaged object is otherwise found only when a
 * client asks for it; one nobody asks for would be met the day it is needed, perhaps after the
 * last computer holding a good copy is gone. Found now, it is answered as not here (`GT` and
 * `CK`), so that a daemon of its author, whose daily check asks its remotes for what it holds of
 * its own (remote-backfill.ts), sends it again and the publish puts the copy right.
 *
 * Only a store that can be put right is checked (`repair`, and its objects listed: `storedGhids`
 * for a file store, `checkTurn` for a database). Servers sharing a database share what is found
 * (`PersistenceEngine.damage`) and take turns: one checks at a time, and a scheduled check is
 * skipped when another server checked the database within most of the period. The check rests
 * three times as long as it works, so a large store takes a share of one CPU and of the disk,
 * never all of it.
 *
 * Where it is going and what the last one found are kept in a file (`reportFile`,
 * store-check-file.ts) for `hypergolix server check`, which asks a running server for a check now
 * and reads the answer there.
 */
import { Ghid } from '../golix/index.js';
import type { CheckTurnRefused, PersistenceEngine, StoreCheckTurn, WholeCheck } from '../rules/persistence-engine.js';
import type { DamagedObjects } from './damaged-objects.js';
import { BackgroundPace } from '../util/background-pace.js';
import type { RemoteLogger } from './logger.js';
import type { MetricsSnapshot } from './metrics.js';
import { DAMAGED_LISTED, StoreCheckFile, type StoreCheckState } from './store-check-file.js';

export interface StoreCheckOptions {
  /** The first check starts this long after the store is ready. @default 10 minutes */
  firstAfterMs?: number;
  /** Then one every `everyMs`. @default 24 hours */
  everyMs?: number;
  /** False: no check on a schedule, only those asked for (`run`). @default true */
  scheduled?: boolean;
  /** Where the check's state is kept for a reader in another process (store-check-file.ts). */
  reportFile?: string;
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
  private readonly file: StoreCheckFile | null;
  private readonly now: StoreCheckState = { pid: process.pid, running: null, last: null, lastFailure: null };

  constructor(
    private readonly store: () => PersistenceEngine,
    private readonly damaged: DamagedObjects,
    private readonly logger: RemoteLogger,
    private readonly o: StoreCheckOptions = {},
  ) {
    this.file = o.reportFile ? new StoreCheckFile(o.reportFile, logger) : null;
  }

  /** Where a check is going, what the last whole one found, and why the last one that failed did. */
  get state(): StoreCheckState {
    return structuredClone(this.now);
  }

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
    return s.repair !== undefined && (s.storedGhids !== undefined || s.checkTurn !== undefined);
  }

  /** For /metrics: whether one goes on, and when the last whole one ended with how many read; nothing for a store not checked. */
  figures(): Pick<MetricsSnapshot, 'storeCheck'> {
    if (!this.applies) return {};
    const last = this.now.last;
    return { storeCheck: { running: this.now.running !== null, lastFinishedAt: last ? Date.parse(last.finishedAt) : null, lastChecked: last?.checked ?? null } };
  }

  /** Schedules the checks (once the store is ready): the first after `firstAfterMs`, then every `everyMs`. */
  start(): void {
    if (this.applies && this.o.scheduled !== false) this.schedule(this.o.firstAfterMs ?? 10 * 60_000);
  }

  /** Ends the checks; resolves once one going on has stopped (before the store closes) and its state is written. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.current?.catch(() => {});
    await this.file?.flush();
  }

  /**
   * A whole check (`paced`: resting between batches; `progress`: told at each batch, of how
   * many objects read of how many); one going on is joined. Rejects when the store cannot be read,
   * or once the server is stopping (its store about to close).
   */
  run(paced = false, progress?: (checked: number, total: number) => void): Promise<StoreCheckReport> {
    return this.begin(paced, false, progress);
  }

  private begin(paced: boolean, scheduled: boolean, progress?: (checked: number, total: number) => void): Promise<StoreCheckReport> {
    if (this.stopping.signal.aborted && !this.current) return Promise.reject(new Error('the server is stopping'));
    this.current ??= this.whole(paced, scheduled, progress)
      .catch((err: unknown) => {
        this.now.lastFailure = { at: new Date().toISOString(), message: (err as Error).message };
        throw err;
      })
      .finally(async () => {
        this.now.running = null;
        this.file?.write(this.now, true);
        // Settled once a reader elsewhere can see the end too.
        await this.file?.flush();
        this.current = null;
      });
    return this.current;
  }

  private schedule(ms: number): void {
    if (this.stopping.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.begin(true, true)
        .catch((err: unknown) => this.stopping.signal.aborted || this.logger.warn(`Store check: stopped by ${(err as Error).message}`))
        .finally(() => this.schedule(this.o.everyMs ?? 24 * 3_600_000));
    }, ms);
    this.timer.unref();
  }

  /** This check's turn at the store: a file store's list at once, a database's pages once no other server checks it. */
  private async turn(scheduled: boolean): Promise<StoreCheckTurn | CheckTurnRefused> {
    const s = this.store();
    if (s.checkTurn) return s.checkTurn(scheduled ? { scheduledEveryMs: this.o.everyMs ?? 24 * 3_600_000 } : {});
    const ghids = s.storedGhids?.() ?? [];
    return {
      total: ghids.length,
      pages: async function* () {
        yield ghids;
      },
      end: async () => {},
    };
  }

  private async whole(paced: boolean, scheduled: boolean, progress?: (checked: number, total: number) => void): Promise<StoreCheckReport> {
    const startedAt = new Date().toISOString();
    const turn = await this.turn(scheduled);
    if ('refused' in turn) return this.refused(turn, scheduled);
    const running = (this.now.running = { startedAt, checked: 0, total: turn.total });
    this.file?.write(this.now, true);
    const pace = new BackgroundPace(() => paced);
    let found = 0;
    let whole: WholeCheck | null = null;
    try {
      for await (const page of turn.pages()) {
        for (const text of page) {
          if (this.stopping.signal.aborted) break;
          if (!(await this.damaged.check(Ghid.fromText(text)))) found++;
          running.checked++;
          running.total = Math.max(running.total, running.checked);
          if (await pace.step()) {
            progress?.(running.checked, running.total);
            this.file?.write(this.now, false);
          }
        }
        if (this.stopping.signal.aborted) break;
      }
      await this.damaged.forgetGone();
      // A check cut short by the server's stop is no whole check: the last one stays the last.
      if (!this.stopping.signal.aborted) whole = { startedAt, finishedAt: new Date().toISOString(), checked: running.checked };
    } finally {
      await turn.end(whole);
    }
    const checked = running.checked;
    const damaged = await this.damaged.summary(DAMAGED_LISTED);
    if (whole) this.now.last = { ...whole, damaged: damaged.listed, damagedCount: damaged.count };
    const said = `Store check: ${checked} objects read, ${found} damaged`;
    if (found > 0) this.logger.error(`${said} (answered as not here until their authors' daemons send them again)`);
    else this.logger.info(said);
    return { checked, damaged: damaged.count };
  }

  /**
   * No turn now (another server sharing the store checks it, or checked it lately): a scheduled
   * check is not needed, and tells that server's last whole check as this one's; one asked for is refused.
   */
  private async refused(turn: CheckTurnRefused, scheduled: boolean): Promise<StoreCheckReport> {
    if (!scheduled) throw new Error(turn.refused);
    const damaged = await this.damaged.summary(DAMAGED_LISTED);
    if (turn.lastWhole) this.now.last = { ...turn.lastWhole, damaged: damaged.listed, damagedCount: damaged.count };
    this.logger.info(`Store check: not now, ${turn.refused}`);
    return { checked: turn.lastWhole?.checked ?? 0, damaged: damaged.count };
  }
}
