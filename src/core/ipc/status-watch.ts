/**
 * Apps that watch the daemon's status (`D+`, src/wire/status.ts): each is sent `D!` whenever
 * what `D?` would answer it changes, so an app can show "offline, 3 changes waiting" without
 * asking over and over.
 *
 * Checked at once when something tells of a change (a remote connecting or going away, the set
 * of apps changing), and every `intervalMs` while anyone watches: what waits for a remote and the
 * objects cached change with every write, so they are told at most once an interval rather than
 * once a write. One push per app in flight: an app slow to answer is sent the newest status once
 * it has taken the last, never a backlog of stale ones.
 */
import { encodeJsonBody, StatusVerb, type DaemonStatusJson } from '../../wire/index.js';
import type { Session } from './session.js';

export interface StatusWatchOptions {
  /** The status as `D?` answers this session (the apps it counts leave the asker out). */
  statusFor(s: Session): DaemonStatusJson;
  /** How often the status is read again while anyone watches. */
  intervalMs: number;
}

interface Watcher {
  /** The status last sent (or answered to `D+`), as JSON text. */
  last: string;
  sending: boolean;
  /** A change was noticed while a push was in flight: look again once it is answered. */
  again: boolean;
}

export class StatusWatch {
  private readonly watchers = new Map<Session, Watcher>();
  private timer: NodeJS.Timeout | null = null;
  private soon = false;

  constructor(private readonly o: StatusWatchOptions) {}

  /** `D+`: the session watches from now on; the status now, which it is not sent again. */
  watch(s: Session): DaemonStatusJson {
    const now = this.o.statusFor(s);
    this.watchers.set(s, { last: JSON.stringify(now), sending: false, again: false });
    this.timer ??= setInterval(() => this.checkAll(), this.o.intervalMs).unref();
    return now;
  }

  /** `D-`, or the session closed. */
  unwatch(s: Session): void {
    this.watchers.delete(s);
    if (this.watchers.size === 0) this.stopTimer();
  }

  get watching(): number {
    return this.watchers.size;
  }

  /** Something the status tells changed: every watcher is checked soon (events of one moment make one check). */
  poke(): void {
    if (this.soon || this.watchers.size === 0) return;
    this.soon = true;
    setImmediate(() => {
      this.soon = false;
      this.checkAll();
    });
  }

  close(): void {
    this.watchers.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private checkAll(): void {
    for (const [s, w] of this.watchers) this.check(s, w);
  }

  private check(s: Session, w: Watcher): void {
    if (w.sending) {
      w.again = true;
      return;
    }
    const now = this.o.statusFor(s);
    const text = JSON.stringify(now);
    if (text === w.last) return;
    w.last = text;
    w.sending = true;
    void s.push(StatusVerb.changed, encodeJsonBody(now)).then((taken) => {
      w.sending = false;
      // Not taken (no answer in time): the next check sends it again, even if nothing changed.
      if (!taken) w.last = '';
      if (w.again && this.watchers.get(s) === w) {
        w.again = false;
        this.check(s, w);
      }
    });
  }
}
