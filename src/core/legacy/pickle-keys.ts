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
    if (v === null) return this.intern('N');
    // True == 1 and False == 0 in Python, as keys too.
    if (typeof v === 'boolean' || typeof v === 'number') return this.intern(`I${Number(v)}`);
    if (typeof v === 'string') return this.intern(`S${v}`);
    const cached = this.cache.get(v);
    if (cached !== undefined) return cached;
    const id = this.intern(this.describe(v));
    this.cache.set(v, id);
    return id;
  }

  private describe(v: Exclude<PyValue, null | boolean | number | string>): string {
    if (Buffer.isBuffer(v)) return `B${v.toString('latin1')}`;
    if (v instanceof Ghid) return `G${v.bytes.toString('latin1')}`;
    // Namedtuples compare equal to plain tuples with the same items.
    if (v instanceof PyTuple) return this.tuple(v.items);
    if (v instanceof ShareLog) return this.tuple([v.ghid, v.origin]);
    if (v instanceof SharePair) return this.tuple([v.ghid, v.recipient]);
    throw new ShapeMismatch(`a ${v.constructor.name} cannot be a dict key or set item (unhashable)`);
  }

  private tuple(items: readonly PyValue[]): string {
    return `T${items.map((item) => this.id(item)).join(',')}`;
  }

  private intern(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size));
    return id;
  }
}
