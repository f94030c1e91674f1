import type { DaemonPort } from '../daemon/port.js';
import { Ghid, RemoteNak } from '../golix/index.js';
import type { AppObject } from '../objects/manager.js';
import { objDefOf } from './objdef.js';
import type { Session } from './session.js';
import { AppVerb } from '../../wire/index.js';

/**
 * Which app connection tracks which object: a tracked object stays live in the daemon (pinned,
 * beyond its cache size), and its trackers hear its updates (`!O`) and its deletion (`XO`).
 * A connection tracks at most `maxTracked` objects.
 */
export class Tracking {
  /** GHID text → sessions tracking it. */
  private readonly trackers = new Map<string, Set<Session>>();

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
      void s.push(AppVerb.update, body);
    }
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
