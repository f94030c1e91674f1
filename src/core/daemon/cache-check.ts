/**
 * The daemon's check of its local copy (the ghidcache): every stored object is read and checked
 * to be the object its name says, its signature verified (local-copy.ts checkLocalCopy), and a
 * damaged one is put right from a remote as a read of it is (NetworkIO.mend). A damaged file is otherwise found
 * only when something reads it, and one nobody reads for months would be met the day its remote
 * no longer holds it either; checked in the background, it is put right while a good copy exists.
 *
 * A check runs a while after the daemon starts, then once a day; one runs at once when asked
 * (`hypergolix status --check`, the Status page). In the background it takes a share of one CPU
 * (it rests three times as long as it works); asked for, it runs flat out. What no remote could
 * put right is tried again each time a remote connects.
 */
import { Ghid, type GolixObject } from '../golix/index.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { RulesEngine } from '../rules/rules-engine.js';
import type { CacheCheckJson } from '../../wire/index.js';
import { BackgroundPace } from '../util/background-pace.js';
import { checkLocalCopy, type DamagedCopy } from './local-copy.js';

/** What the checks found, as the daemon's status tells it (the wire's `cacheCheck`). */
export type CacheCheckReport = CacheCheckJson;

export interface CacheCheckHost {
  engine: RulesEngine;
  /** Answers a damaged copy from the remotes, which puts it right (NetworkIO.mend); rejects when none has a good one. */
  mend(ghid: Ghid, copy: DamagedCopy): Promise<GolixObject>;
  logger: RemoteLogger;
  /** Ends the check: the daemon stops. */
  stopped: AbortSignal;
  /** Told when the report changes. */
  changed(): void;
  /** After the local copy: what each connected remote holds of ours, checked and given again where it lacks it (NetworkIO.auditRemotes); how many objects were given. */
  checkRemotes(): Promise<number>;
}

export interface CacheCheckOptions {
  /** The first check starts this long after the daemon. @default 2 minutes */
  firstAfterMs?: number;
  /** Then one every `everyMs`. @default 24 hours */
  everyMs?: number;
}

export const MAX_LISTED = 100;
/** The report before any check. */
export const NOT_CHECKED: CacheCheckReport = Object.freeze({ lastCheckedAt: null, running: false, checked: 0, putRight: 0, givenToRemotes: 0, damaged: [], damagedCount: 0 });

export class CacheCheck {
  private lastCheckedAt: number | null = null;
  private checked = 0;
  private putRight = 0;
  private givenToRemotes = 0;
  /** GHID texts of the objects still damaged here. */
  private readonly damaged = new Set<string>();
  private current: Promise<CacheCheckReport> | null = null;
  /** The running check rests between batches (a background one); one asked for runs flat out. */
  private paced = false;
  private timer: NodeJS.Timeout | null = null;
  private retrying: Promise<void> | null = null;

  constructor(
    private readonly host: CacheCheckHost,
    private readonly o: CacheCheckOptions = {},
  ) {}

  /** Schedules the checks: the first after `firstAfterMs`, then every `everyMs`. */
  start(): void {
    this.schedule(this.o.firstAfterMs ?? 2 * 60_000);
    this.host.stopped.addEventListener('abort', () => this.timer && clearTimeout(this.timer), { once: true });
  }

  report(): CacheCheckReport {
    const damaged = [...this.damaged];
    return { lastCheckedAt: this.lastCheckedAt, running: this.current !== null, checked: this.checked, putRight: this.putRight, givenToRemotes: this.givenToRemotes, damaged: damaged.slice(0, MAX_LISTED), damagedCount: damaged.length };
  }

  /** A whole check now, flat out (a background one going on speeds up); resolves with its report. */
  checkNow(): Promise<CacheCheckReport> {
    this.paced = false;
    return this.run(false);
  }

  /** A remote connected: what no remote could put right is tried again (once at a time; a whole check does it too). */
  remoteConnected(): void {
    if (this.damaged.size === 0 || this.current || this.retrying) return;
    this.retrying = this.guard(this.mendAll([...this.damaged])).finally(() => (this.retrying = null));
  }

  private schedule(ms: number): void {
    if (this.host.stopped.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run(true).finally(() => this.schedule(this.o.everyMs ?? 24 * 3_600_000));
    }, ms);
    this.timer.unref();
  }

  private run(paced: boolean): Promise<CacheCheckReport> {
    if (this.current) return this.current;
    this.paced = paced;
    this.current = this.guard(this.whole()).then(() => {
      this.current = null;
      this.host.changed();
      return this.report();
    });
    this.host.changed();
    return this.current;
  }

  /** Never rejects: a check that fails is said in the log, and the report stays as it was. */
  private async guard(work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (err) {
      if (!this.host.stopped.aborted) this.host.logger.warn(`ghidcache check: stopped by ${(err as Error).message}`);
    }
  }

  private async whole(): Promise<void> {
    const ghids = this.host.engine.storedGhids();
    const found = new Set<string>();
    // Rests in the background; lets other work in between either way.
    const pace = new BackgroundPace(() => this.paced);
    let checked = 0;
    let mended = 0;
    for (const text of ghids) {
      if (this.host.stopped.aborted) return;
      const ghid = Ghid.fromText(text);
      const copy = await checkLocalCopy(this.host.engine, ghid);
      if (copy.kind !== 'absent') checked++;
      // Put right at once: identities come first, and the signatures after them verify with them.
      if (copy.kind === 'damaged') {
        found.add(text);
        if (await this.mend(ghid, copy)) mended++;
      }
      await pace.step();
    }
    // Damage found earlier and not met now: put right by a read meanwhile (sound now), or the object gone.
    for (const text of this.damaged) if (!found.has(text)) this.settled(text, this.host.engine.exists(Ghid.fromText(text)));
    this.checked = checked;
    this.lastCheckedAt = Date.now();
    const left = found.size - mended;
    this.host.logger.info(`ghidcache check: ${checked} objects read, ${found.size} damaged${found.size ? `, ${mended} put right` : ''}${left ? `; ${left} still damaged, and no remote gave a good copy` : ''}`);
    // The remotes' copies next: a server's disk rots too, and one of ours nobody follows would be found only when needed.
    const given = await this.host.checkRemotes();
    if (given > 0) {
      this.givenToRemotes += given;
      this.host.changed();
    }
  }

  /** Tries again what no remote could put right (a remote connected). */
  private async mendAll(texts: string[]): Promise<void> {
    for (const text of texts) {
      if (this.host.stopped.aborted) return;
      const ghid = Ghid.fromText(text);
      const copy = await checkLocalCopy(this.host.engine, ghid);
      if (copy.kind === 'damaged') await this.mend(ghid, copy);
      else this.settled(text, copy.kind === 'ok');
    }
  }

  /**
   * A listed damaged object found no longer damaged: put right meanwhile by a read of it, which
   * asks the remotes as the check does (`sound`), or gone. Counted as put right in the first case.
   */
  private settled(text: string, sound: boolean): void {
    if (!this.damaged.delete(text)) return;
    if (sound) this.putRight++;
    this.host.changed();
  }

  /** Puts one damaged copy right from the remotes; whether it is sound now. What stays damaged is listed. */
  private async mend(ghid: Ghid, copy: DamagedCopy): Promise<boolean> {
    // A failure says no remote had it, in the log (local-copy.ts putRight).
    await this.host.mend(ghid, copy).catch(() => null);
    const now = (await checkLocalCopy(this.host.engine, ghid)).kind;
    const sound = now !== 'damaged';
    if (now === 'ok') this.putRight++;
    if (sound ? this.damaged.delete(ghid.text) : !this.damaged.has(ghid.text)) this.host.changed();
    if (!sound) this.damaged.add(ghid.text);
    return sound;
  }
}
