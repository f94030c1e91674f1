/**
 * What an accepted object does to the store and the indexes (golix §10–§11), carried out in the
 * rules engine's synchronous section (rules-engine.ts), which owns the state and passes it as it
 * is at each call: a frame replaces the one before it, a debinding removes what it debinds, and
 * what that leaves unbound is collected (a container nothing binds, a debound dynamic binding
 * nothing holds). Store writes go into `writes` for the engine to await together; what must be
 * told goes into `notes`, and frames whose target is not stored yet wait in `held`.
 */
import { Ghid, type GolixObject } from '../golix/index.js';
import type { Entry } from '../store/entry.js';
import type { ObjectStore } from '../store/object-store.js';
import type { HeldFrames } from './held-frames.js';
import type { RuleIndexes } from './indexes.js';
import type { Notification } from './persistence-engine.js';
import type { UsageLedger } from './usage.js';

export interface EffectsState {
  readonly ix: RuleIndexes;
  readonly store: ObjectStore;
  readonly held: HeldFrames<Notification>;
  /** Bytes and objects per signer; null when no quota is set. */
  readonly ledger: UsageLedger | null;
}

export class RuleEffects {
  /** `state` as it is at each call: read through getters (rules-engine.ts), never copied. */
  constructor(private readonly state: EffectsState) {}

  /** Stores `e` (a frame in place of the one before it), indexes it, and carries out what it does. */
  apply(e: Entry, obj: GolixObject, writes: Promise<void>[], notes: Notification[], origin: unknown): void {
    const { ix, store, held, ledger } = this.state;
    let replacedTarget: string | undefined;
    if (e.type === 'GOBD') {
      const previous = ix.frames.get(e.dynamic!);
      if (previous !== undefined) {
        replacedTarget = ix.entries.targetAt(previous)!;
        ledger?.remove(ix.entries.at(previous));
        ix.binders.remove(replacedTarget, previous);
        held.unhold(replacedTarget, e.dynamic!);
        ix.frames.delete(e.dynamic!);
        writes.push(store.delete(ix.entries.ghidAt(previous)));
      }
    }
    writes.push(store.put(e, obj.raw));
    const ref = ix.entries.refOf(e.ghid);
    // A store that refused the put (closed) has not stored it; its rejection reaches the caller.
    if (ref === undefined) return;
    if (e.type === 'GOBD') ix.frames.set(e.dynamic!, ref);
    ledger?.add(e);
    ix.index(ref);
    // After the new frame is indexed: a container it still targets stays.
    if (replacedTarget !== undefined) this.collect(replacedTarget, writes);
    switch (e.type) {
      case 'GOBD': {
        // Who uploaded it goes with it: another's ingest may release it (IngestHooks.origin).
        const note: Notification = { subscribed: Ghid.fromText(e.dynamic!), object: obj, ...(origin !== undefined && { origin }) };
        if (ix.frames.has(e.target!) || ix.entries.has(e.target!)) notes.push(note);
        else held.hold(e.target!, e.dynamic!, note);
        break;
      }
      case 'GARQ':
        notes.push({ subscribed: Ghid.fromText(e.recipient!), object: obj });
        break;
      case 'GDXX':
        this.enforceDebinding(e, writes, notes, obj);
        break;
    }
    // Frames waiting for this object can now be announced; for a frame, also those waiting for
    // its dynamic GHID, which exists from its first frame on.
    for (const target of e.type === 'GOBD' ? [e.ghid, e.dynamic!] : [e.ghid]) notes.push(...(held.release(target)?.values() ?? []));
  }

  /** Removes what a debinding debinds, and collects what that leaves unbound. */
  enforceDebinding(d: Entry, writes: Promise<void>[], notes: Notification[], obj?: GolixObject): void {
    const { ix } = this.state;
    const target = d.target!;
    const frame = ix.frames.get(target);
    const ref = frame ?? ix.entries.refOf(target);
    if (ref === undefined) return;
    // The signer; for a request, its recipient.
    const authority = ix.entries.partyAt(ref);
    if (authority !== d.signer) return;
    const type = ix.entries.typeAt(ref);
    if (type === 'GOBD') {
      if (obj) notes.push({ subscribed: Ghid.fromText(target), object: obj });
      if (!ix.heldElsewhere(target)) this.removeFrame(target, writes);
      return;
    }
    if (type === 'GARQ' && obj) notes.push({ subscribed: Ghid.fromText(authority!), object: obj });
    this.remove(ref, writes);
  }

  private removeFrame(dynamic: string, writes: Promise<void>[]): void {
    const { ix, held } = this.state;
    const frame = ix.frames.get(dynamic);
    if (frame === undefined) return;
    const target = ix.entries.targetAt(frame)!;
    ix.frames.delete(dynamic);
    ix.binders.remove(target, frame);
    held.unhold(target, dynamic);
    this.remove(frame, writes);
    this.collect(target, writes);
  }

  /**
   * Removes a stored object and its index entries. Everything is read from its record before
   * the store deletes it: the record number may be reused by the next put.
   */
  private remove(ref: number, writes: Promise<void>[]): void {
    const { ix, store, ledger } = this.state;
    const type = ix.entries.typeAt(ref);
    const target = ix.entries.targetAt(ref);
    const party = ix.entries.partyAt(ref);
    ledger?.remove(ix.entries.at(ref));
    switch (type) {
      case 'GOBS':
        ix.binders.remove(target!, ref);
        break;
      case 'GDXX':
        // Debinding a debinding lifts its block: the original may be uploaded again.
        ix.debinders.remove(target!, ref);
        break;
      case 'GARQ':
        ix.requests.remove(party!, ref);
        break;
    }
    writes.push(store.delete(ix.entries.ghidAt(ref)));
    if (type === 'GOBS') this.collect(target!, writes);
  }

  /** GC: a container goes when nothing binds it; a debound dynamic binding when nothing holds it. */
  collect(ghid: string, writes: Promise<void>[]): void {
    const { ix } = this.state;
    if (ix.binders.count(ghid)) return;
    const ref = ix.entries.refOf(ghid);
    if (ref !== undefined && ix.entries.typeAt(ref) === 'GEOC') {
      this.remove(ref, writes);
      return;
    }
    const frame = ix.frames.get(ghid);
    if (frame !== undefined && ix.isDebound(ghid, ix.entries.partyAt(frame)!)) this.removeFrame(ghid, writes);
  }
}
