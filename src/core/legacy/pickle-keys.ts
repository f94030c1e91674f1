import { Buffer } from 'node:buffer';
import { Ghid } from '../golix/index.js';
import { ShapeMismatch } from './pickle-classes.js';
import { PyTuple, ShareLog, SharePair, type PyValue } from './pickle-values.js';

/**
 * Python's notion of "the same dict key / set item", for the hashable values the decoder makes:
 * each distinct value gets a small integer id. A tuple's id is built from its items' ids, and ids
 * are cached per object, so a value shared many times through the memo costs its size once
 * (no blow-up on nested tuples that reuse each other).
 */
export class KeyRegistry {
  private readonly ids = new Map<string, number>();
  private readonly cache = new WeakMap<object, number>();

  /** The id of a hashable value; an unhashable one (list, dict, set, SetMap, Secret) is a ShapeMismatch. */
  id(v: PyValue): number {
    const simple = this.simpleId(v);
    if (simple !== null) return simple;
    // Tuples nested thousands deep (a few bytes of pickle each) are walked with a stack of our
    // own, not recursion: whatever depth the decoder allows, no "Maximum call stack size exceeded".
    const pending: Compound[] = [v as Compound];
    while (pending.length > 0) {
      const top = pending[pending.length - 1]!;
      if (this.cache.has(top)) {
        pending.pop();
        continue;
      }
      const items = itemsOf(top);
      const waiting = (items ?? []).filter((item): item is Compound => this.simpleId(item) === null && !this.cache.has(item as Compound));
      if (waiting.length > 0) {
        pending.push(...waiting);
        continue;
      }
      pending.pop();
      const key = items === null ? leafKey(top) : `T${items.map((item) => this.simpleId(item) ?? this.cache.get(item as Compound)!).join(',')}`;
      this.cache.set(top, this.intern(key));
    }
    return this.cache.get(v as Compound)!;
  }

  /** The id of a value that is not a compound (or one already known), else null. */
  private simpleId(v: PyValue): number | null {
    if (v === null) return this.intern('N');
    // True == 1 and False == 0 in Python, as keys too.
    if (typeof v === 'boolean' || typeof v === 'number') return this.intern(`I${Number(v)}`);
    if (typeof v === 'string') return this.intern(`S${v}`);
    return this.cache.get(v) ?? null;
  }

  private intern(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size));
    return id;
  }
}

type Compound = Exclude<PyValue, null | boolean | number | string>;

/** A tuple-like value's items (namedtuples compare equal to plain tuples), or null for a leaf. */
function itemsOf(v: Compound): readonly PyValue[] | null {
  if (v instanceof PyTuple) return v.items;
  if (v instanceof ShareLog) return [v.ghid, v.origin];
  if (v instanceof SharePair) return [v.ghid, v.recipient];
  if (Buffer.isBuffer(v) || v instanceof Ghid) return null;
  throw new ShapeMismatch(`a ${v.constructor.name} cannot be a dict key or set item (unhashable)`);
}

function leafKey(v: Compound): string {
  return Buffer.isBuffer(v) ? `B${v.toString('latin1')}` : `G${(v as Ghid).bytes.toString('latin1')}`;
}
