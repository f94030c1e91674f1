import type { DaemonPort } from '../daemon/port.js';
import { Ghid, RemoteNak } from '../golix/index.js';
import type { AppObject } from '../objects/manager.js';
import { objDefOf } from './objdef.js';
import type { Session } from './session.js';
import { AppVerb } from '../../wire/index.js';

/** One version of an object, as an app hears it (`!O`). */
interface Update {
  counter: bigint;
  body: Uint8Array;
}

/** What one app has heard of one object it tracks. */
interface Lane {
  /** Updates sent to it so far. */
  sent: number;
  /** The newest version sent to it or waiting for it. */
  newest: bigint;
  /** One is on its way: the app has not answered it yet. */
  busy: boolean;
  /** The newest update waiting behind the one on its way (null: none). */
  waiting: Update | null;
}

/** Taken when an app's change to an object arrives: what the app had been sent of it by then. */
export interface ChangeMark {
  busy: boolean;
  sent: number;
}

/**
 * Which app connection tracks which object: a tracked object stays live in the daemon (pinned,
 * beyond its cache size), and its trackers hear its updates (`!O`) and its deletion (`XO`).
 * A connection tracks at most `maxTracked` objects.
 *
 * An app hears an object's updates one at a time: until it has answered one (or the answer
 * timed out), only the newest of those that came meanwhile waits, and the ones before it are
 * skipped (each carries the whole state). So an app that stops reading (hung, stopped in a
 * debugger) holds at most two updates per object it tracks, however fast others write, instead
 * of every one of them queued in the daemon's memory until the peer's 64 MiB limit closed its
 * connection (a stopped app tracking an object written 400 times with ~200 KB states: daemon
 * RSS 209–216 MiB before, 154–161 MiB now, as with no such app).
 */
export class Tracking {
  /** GHID text → sessions tracking it. */
  private readonly trackers = new Map<string, Set<Session>>();
  /** Per connection: what it has heard of each object it tracks. */
  private readonly lanes = new WeakMap<Session, Map<string, Lane>>();

  constructor(
    private readonly daemon: Pick<DaemonPort, 'pin' | 'unpin'>,
    readonly maxTracked: number,
  ) {}

  /** Refuses (`NK 000A`) when the connection already tracks its limit. */
  checkRoom(s: Session): void {
    if (s.tracked.size >= this.maxTracked) {
      throw new RemoteNak(`This connection tracks ${s.tracked.size} objects, the limit; discard (-O) some first`);
    }
  }

  hasRoom(s: Session): boolean {
    return s.tracked.size < this.maxTracked;
  }

  track(s: Session, ghid: string): void {
    if (s.tracked.has(ghid)) return;
    s.tracked.add(ghid);
    let set = this.trackers.get(ghid);
    if (!set) {
      set = new Set();
      this.trackers.set(ghid, set);
      this.daemon.pin(Ghid.fromText(ghid));
    }
    set.add(s);
  }

  untrack(s: Session, ghid: string): void {
    if (!s.tracked.delete(ghid)) return;
    this.lanes.get(s)?.delete(ghid);
    const set = this.trackers.get(ghid);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) {
      this.trackers.delete(ghid);
      this.daemon.unpin(Ghid.fromText(ghid));
    }
  }

  /** A connection closed: it tracks nothing any more. */
  untrackAll(s: Session): void {
    for (const g of s.tracked) this.untrack(s, g);
  }

  /** `!O` to every app tracking the object, except the one that made the change. */
  distributeUpdate(obj: AppObject, except: Session | null): void {
    const set = this.trackers.get(obj.ghid.text);
    if (!set) return;
    let update: Update | null = null;
    for (const s of set) {
      if (s === except) continue;
      update ??= { counter: obj.counter, body: objDefOf(obj) };
      this.deliver(s, obj.ghid.text, update);
    }
  }

  /** Call as an app's change to an object arrives, before it is applied. */
  changeArrived(s: Session, ghid: string): ChangeMark {
    const lane = this.lanes.get(s)?.get(ghid);
    return { busy: lane?.busy ?? false, sent: lane?.sent ?? 0 };
  }

  /**
   * The app's change is applied and `obj` is the object now. An update sent to that app while its
   * change was on its way or being applied is older than the change, and the app shows it after
   * its own state: so that it does not stay there, the app hears the object as it is now after it
   * (unless something newer is already sent or waiting). Then every other tracker hears it.
   */
  changeApplied(s: Session, obj: AppObject, mark: ChangeMark): void {
    const ghid = obj.ghid.text;
    const lane = this.lanes.get(s)?.get(ghid);
    const crossed = mark.busy || (lane?.sent ?? 0) !== mark.sent;
    if (crossed && lane && s.tracked.has(ghid) && obj.counter >= lane.newest) {
      this.deliver(s, ghid, { counter: obj.counter, body: objDefOf(obj) });
    }
    this.distributeUpdate(obj, s);
  }

  /** One update to one app, or (while one is on its way) the newest waiting behind it. */
  private deliver(s: Session, ghid: string, update: Update): void {
    let lanes = this.lanes.get(s);
    if (!lanes) this.lanes.set(s, (lanes = new Map()));
    let lane = lanes.get(ghid);
    if (!lane) lanes.set(ghid, (lane = { sent: 0, newest: update.counter, busy: false, waiting: null }));
    if (update.counter > lane.newest) lane.newest = update.counter;
    if (lane.busy) {
      if (!lane.waiting || lane.waiting.counter <= update.counter) lane.waiting = update;
      return;
    }
    lane.busy = true;
    lane.sent++;
    const sending = lane;
    void s.push(AppVerb.update, update.body).then(() => {
      sending.busy = false;
      const next = sending.waiting;
      sending.waiting = null;
      // Untracked meanwhile (discarded, deleted, disconnected): what waits is dropped.
      if (next && s.tracked.has(ghid)) this.deliver(s, ghid, next);
    });
  }

  /** A deleted object: `XO` to its trackers (but the deleting app), and nobody tracks it any more. */
  distributeDelete(ghid: Ghid, except: Session | null): void {
    const set = this.trackers.get(ghid.text);
    if (!set) return;
    for (const s of [...set]) {
      if (s !== except) void s.push(AppVerb.delete, ghid.bytes);
      this.untrack(s, ghid.text);
    }
  }
}
