import type { DaemonPort } from '../daemon/port.js';
import { Ghid, RemoteNak } from '../golix/index.js';
import type { AppObject } from '../objects/manager.js';
import { objDefOf } from './objdef.js';
import type { Session } from './session.js';
import { AppVerb } from '../../wire/index.js';

/** An update on its way to one app, and the newest one waiting behind it (null: none). */
interface Lane {
  waiting: Uint8Array | null;
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
  /** Per connection: the objects with an update on its way to it. */
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
    let body: Uint8Array | null = null;
    for (const s of set) {
      if (s === except) continue;
      body ??= objDefOf(obj);
      this.deliver(s, obj.ghid.text, body);
    }
  }

  /** One update to one app, or (while one is on its way) the newest waiting behind it. */
  private deliver(s: Session, ghid: string, body: Uint8Array): void {
    let lanes = this.lanes.get(s);
    if (!lanes) this.lanes.set(s, (lanes = new Map()));
    const busy = lanes.get(ghid);
    if (busy) {
      busy.waiting = body;
      return;
    }
    const lane: Lane = { waiting: null };
    lanes.set(ghid, lane);
    void s.push(AppVerb.update, body).then(() => {
      lanes.delete(ghid);
      // Untracked meanwhile (discarded, deleted, disconnected): what waits is dropped.
      if (lane.waiting && s.tracked.has(ghid)) this.deliver(s, ghid, lane.waiting);
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
