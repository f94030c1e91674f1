/**
 * The acceptance rules of golix §11 (steps 5–7) for one object, against what is stored: targets,
 * counters, authors, debindings, and (when quotas are on) the signer's storage quota. Synchronous
 * and without effects: the engine calls them in the same step that then stores the object.
 */
import { AlreadyDebound, IllegalDynamicFrame, InconsistentAuthor, InvalidIdentity, InvalidTarget, UnboundContainer } from '../golix/index.js';
import type { Entry } from '../store/entry.js';
import type { RuleIndexes } from './indexes.js';
import type { UsageLedger } from './usage.js';
import { supersedes } from './frame-order.js';

export interface AcceptanceOptions {
  /** How far a chain of bindings may reach before it counts as circular (golix §11). */
  maxChainDepth: number;
  warn?: ((message: string) => void) | undefined;
}

export const short = (ghid: string): string => ghid.slice(0, 12) + '…';

/** Throws the reference's error when `e` may not be stored now. */
export function checkAcceptance(ix: RuleIndexes, e: Entry, o: AcceptanceOptions): void {
  switch (e.type) {
    case 'GIDC':
      return;
    case 'GEOC':
      if (!ix.binders.count(e.ghid)) {
        throw new UnboundContainer(`Container ${short(e.ghid)} is not bound by anything; publish its binding first`);
      }
      return;
    case 'GOBS':
      checkBindingTarget(ix, e.target!, null, o);
      if (ix.isDebound(e.ghid, e.signer!)) throw new AlreadyDebound(`Binding ${short(e.ghid)} was debound`);
      return;
    case 'GOBD':
      return checkFrame(ix, e, o);
    case 'GDXX':
      return checkDebinding(ix, e, o);
    case 'GARQ': {
      if (ix.typeOf(e.recipient!) !== 'GIDC') throw new InvalidIdentity(`Request recipient ${short(e.recipient!)} is not known here`);
      if (ix.isDebound(e.ghid, e.recipient!)) throw new AlreadyDebound(`Request ${short(e.ghid)} was debound`);
      return;
    }
  }
}

/** A binding may target a container or a dynamic binding, and no chain of bindings may loop. */
function checkBindingTarget(ix: RuleIndexes, target: string, self: string | null, o: AcceptanceOptions): void {
  if (ix.frames.has(target)) {
    let cur: string | undefined = target;
    for (let depth = 0; cur !== undefined; depth++) {
      // Compared before asking for a stored frame: a first frame's own binding has none yet.
      if (cur === self) throw new InvalidTarget('Binding would close a circular chain of dynamic bindings');
      if (!ix.frames.has(cur)) break;
      if (depth >= o.maxChainDepth) throw new InvalidTarget(`Chain of dynamic bindings deeper than ${o.maxChainDepth}`);
      cur = ix.entries.targetAt(ix.frames.get(cur)!);
    }
    return;
  }
  const type = ix.typeOf(target);
  if (type !== undefined && type !== 'GEOC') {
    throw new InvalidTarget(`A binding may not target a ${type === 'GOBD' ? 'dynamic frame GHID' : type}`);
  }
}

function checkFrame(ix: RuleIndexes, e: Entry, o: AcceptanceOptions): void {
  const dynamic = e.dynamic!;
  if (e.target === dynamic) throw new InvalidTarget('A dynamic binding may not target itself');
  checkBindingTarget(ix, e.target!, dynamic, o);
  const currentRef = ix.frames.get(dynamic);
  if (currentRef !== undefined) {
    const current = ix.entries.at(currentRef);
    if (!supersedes(e, current)) {
      throw new IllegalDynamicFrame(
        e.version === 15 && current.version === 16
          ? 'A version-15 frame cannot replace a version-16 frame'
          : e.version === 15
            ? 'Frame does not list the stored frame in its history'
            : `Frame counter ${e.counter} is not greater than the stored ${current.counter}`,
      );
    }
    if (current.signer !== e.signer) {
      throw new InconsistentAuthor(`Dynamic binding ${short(dynamic)} belongs to ${short(current.signer!)}`);
    }
  }
  if (ix.isDebound(dynamic, e.signer!) && !ix.heldElsewhere(dynamic)) {
    throw new AlreadyDebound(`Dynamic binding ${short(dynamic)} was debound`);
  }
}

function checkDebinding(ix: RuleIndexes, e: Entry, o: AcceptanceOptions): void {
  const target = e.target!;
  const authority = ix.authorityOver(target);
  if (authority === 'illegal') {
    const type = ix.typeOf(target);
    throw new InvalidTarget(`A debinding may not target a ${type === 'GOBD' ? 'frame GHID' : type}`);
  }
  if (authority === null) {
    o.warn?.(`Debinding ${short(e.ghid)} targets unknown ${short(target)}; accepted provisionally`);
  } else if (authority !== e.signer) {
    throw new InconsistentAuthor(`Only ${short(authority)} may debind ${short(target)}`);
  }
  if (ix.isDebound(e.ghid, e.signer!)) throw new AlreadyDebound(`Debinding ${short(e.ghid)} was itself debound`);
}

/**
 * The quota check, after the rules passed: what storing `e` adds to its signer's usage, net of
 * what it frees at once. A newer frame frees the frame it replaces and, when nothing else binds
 * it, that frame's container (the engine collects it); so an identity at its limit can keep
 * updating. Throws QuotaExceeded (from the ledger) when it would go over.
 */
export function admitToQuota(ix: RuleIndexes, e: Entry, ledger: UsageLedger): void {
  const signer = e.signer;
  if (signer === undefined) return;
  let bytes = e.size;
  let objects = 1;
  if (e.type === 'GDXX') {
    // Debinding something stored of one's own is how a full identity frees space: never refused.
    // (A debinding's GHID depends only on debinder and target, so there is one per target.)
    if (ix.authorityOver(e.target!) === signer) return;
  } else if (e.type === 'GOBD') {
    const currentRef = ix.frames.get(e.dynamic!);
    if (currentRef !== undefined) {
      const old = ix.entries.at(currentRef);
      bytes -= old.size;
      objects--;
      if (old.target !== e.target && ix.binders.count(old.target!) === 1) {
        const t = ix.entries.get(old.target!);
        if (t?.type === 'GEOC' && t.signer === signer) {
          bytes -= t.size;
          objects--;
        }
      }
    }
  }
  ledger.admit(signer, e.type, bytes, objects);
}
