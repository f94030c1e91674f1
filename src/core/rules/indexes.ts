/**
 * What the rules consult besides the object itself: the store's entry table and the indexes
 * over it. The indexes name objects by their record numbers in the table, which stay valid while
 * the object is stored; the engine updates them in the same synchronous step that stores or
 * removes the object.
 */
import type { Entry } from '../store/entry.js';
import type { ReadonlyEntryTable } from '../store/entry-table.js';
import { supersedes } from './frame-order.js';
import { MultiMap } from './multimap.js';

export class RuleIndexes {
  /** dynamic GHID → record of its current frame */
  readonly frames = new Map<string, number>();
  /** target → records binding it: GOBSs, and the current frames of dynamic bindings */
  readonly binders = new MultiMap<number>();
  /** target → GDXX records */
  readonly debinders = new MultiMap<number>();
  /** recipient → GARQ records */
  readonly requests = new MultiMap<number>();

  constructor(readonly entries: ReadonlyEntryTable) {}

  /**
   * The indexes of what `entries` hold. A crash between a new frame's put and its predecessor's
   * delete leaves both: the newer wins, and the older is passed to `discard` when it is given.
   */
  static derive(entries: ReadonlyEntryTable, discard: ((ghid: string) => void) | null): RuleIndexes {
    const ix = new RuleIndexes(entries);
    // By name, not record: a delete (by `discard`) frees its record at once.
    const frames = [...entries.refs()].filter((ref) => entries.typeAt(ref) === 'GOBD').map((ref) => entries.ghidAt(ref));
    for (const ghid of frames) {
      const ref = entries.refOf(ghid);
      if (ref === undefined) continue;
      const e = entries.at(ref);
      const current = ix.frames.get(e.dynamic!);
      if (current !== undefined) {
        const other = entries.at(current);
        const loser = supersedes(e, other) ? other : e;
        discard?.(loser.ghid);
        if (loser === e) continue;
      }
      ix.frames.set(e.dynamic!, ref);
    }
    for (const ref of entries.refs()) ix.index(ref);
    return ix;
  }

  typeOf(ghid: string): Entry['type'] | undefined {
    const ref = this.entries.refOf(ghid);
    return ref === undefined ? undefined : this.entries.typeAt(ref);
  }

  /** Adds a stored object to the indexes. */
  index(ref: number): void {
    const e = this.entries;
    switch (e.typeAt(ref)) {
      case 'GOBS':
        this.binders.add(e.targetAt(ref)!, ref);
        break;
      case 'GOBD':
        if (this.frames.get(e.dynamicAt(ref)!) === ref) this.binders.add(e.targetAt(ref)!, ref);
        break;
      case 'GDXX':
        this.debinders.add(e.targetAt(ref)!, ref);
        break;
      case 'GARQ':
        this.requests.add(e.partyAt(ref)!, ref);
        break;
    }
  }

  /** Who may debind a target (golix §10): null when unknown, 'illegal' for GIDC/GEOC/frame GHIDs. */
  authorityOver(target: string): string | null | 'illegal' {
    const frame = this.frames.get(target);
    if (frame !== undefined) return this.entries.partyAt(frame)!;
    const ref = this.entries.refOf(target);
    if (ref === undefined) return null;
    switch (this.entries.typeAt(ref)) {
      case 'GOBS':
      case 'GDXX':
      case 'GARQ':
        // The signer; for a request, its recipient.
        return this.entries.partyAt(ref)!;
      default:
        return 'illegal';
    }
  }

  /**
   * Whether a stored debinding by the rightful authority targets `ghid`. A provisional
   * debinding by anyone else does not block the target (it could otherwise pre-empt objects
   * whose GHIDs are predictable, such as a static binding or a first frame).
   */
  isDebound(ghid: string, authority: string): boolean {
    for (const d of this.debinders.values(ghid)) {
      if (this.entries.partyAt(d) === authority) return true;
    }
    return false;
  }

  /**
   * Whether something else binds a dynamic binding (a GOBS, or another dynamic binding's current
   * frame), which then outlives its debinding (golix §10: "refused only if nothing else binds
   * its dynamic GHID"), as garbage collection already counts it.
   */
  heldElsewhere(dynamic: string): boolean {
    return this.binders.count(dynamic) > 0;
  }
}
