import { randomBytes } from 'node:crypto';
import { MalformedGolixPrimitive, type ObjectType } from '../golix/index.js';
import type { Entry } from './entry.js';

/** The entries a store holds, as its readers see them: the store alone adds and removes. */
export interface ReadonlyEntryTable {
  readonly size: number;
  has(ghid: string): boolean;
  get(ghid: string): Entry | undefined;
  /** The record number of a stored GHID: stable while it stays stored, reused after. */
  refOf(ghid: string): number | undefined;
  at(ref: number): Entry;
  ghidAt(ref: number): string;
  typeAt(ref: number): ObjectType;
  /** Signer (author, binder, debinder) or, for a GARQ, recipient. */
  partyAt(ref: number): string | undefined;
  /** GOBS/GDXX target; a GOBD's current target. */
  targetAt(ref: number): string | undefined;
  dynamicAt(ref: number): string | undefined;
  /** Every entry, materialized on the way. Entries added while iterating may or may not be met. */
  values(): IterableIterator<Entry>;
  refs(): IterableIterator<number>;
}

const TYPES: readonly ObjectType[] = ['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ'];
const GHID_BYTES = 65;
const GHID_TEXT = 88;
const FREE = 0xff;

// One record: `ghid 65 | type u8 | version u8 | pad | size u32 | party u32 | target slot u32`,
// the target (GOBS, GDXX, GOBD) in a slab of its own: most objects of a busy server have none.
const R_TYPE = 65;
const R_VERSION = 66;
const R_SIZE = 68;
const R_PARTY = 72;
const R_TARGET = 76;
const STRIDE = 80;
/** Slots per chunk: a slab grows a chunk at a time, so growing never copies it. */
const CHUNK_BITS = 12;
const CHUNK_SLOTS = 1 << CHUNK_BITS;

const EMPTY = 0;
const TOMBSTONE = 0xffffffff;

const GHID_PATTERN = /^[A-Za-z0-9_-]{87}=$/;
/** Value of each base64url character + 1 (0: not in the alphabet). */
const B64URL = new Uint8Array(128);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((c, i) => (B64URL[c.charCodeAt(0)] = i + 1));

interface FrameExtras {
  dynamic: string;
  counter: bigint | null;
  targets: readonly string[];
  history: readonly string[];
}

/**
 * Every stored object's entry, keyed by GHID, in flat binary records instead of JavaScript
 * objects. A server holding 100,000 objects kept ~300 bytes of V8 heap per object in strings,
 * entry objects and hash-map slots (twice: in the store and in the rules engine), which the
 * collector then let grow by its own headroom; here an object costs one 80-byte record (plus 65
 * bytes when it has a target), about two 4-byte hash slots, and nothing for the collector to
 * trace. Identities (signers, recipients) are a handful of strings shared by every record naming
 * them; a GOBD's vectors stay JavaScript values beside its record.
 *
 * Lookups go through a hash of the GHID's digest bytes keyed with a per-process secret, so
 * objects ground to collide cannot degrade it. Entries read back are new objects equal to those
 * stored.
 */
export class EntryTable implements ReadonlyEntryTable {
  private records = new Slab(STRIDE);
  private targets = new Slab(GHID_BYTES);
  private count = 0;
  /** Open addressing with linear probing: ref + 1, EMPTY or TOMBSTONE. */
  private slots = new Uint32Array(1024);
  private tombstones = 0;
  private readonly partyIds = new Map<string, number>();
  private readonly parties: string[] = [];
  private readonly frames = new Map<number, FrameExtras>();
  /** Scratch space for the GHID being looked up, and for an entry's target while it is checked. */
  private readonly key = Buffer.alloc(GHID_BYTES);
  private keyText: string | undefined;
  private readonly target = Buffer.alloc(GHID_BYTES);
  private readonly seedA: number;
  private readonly seedB: number;

  constructor() {
    const seed = randomBytes(8);
    this.seedA = seed.readUInt32LE(0);
    this.seedB = seed.readUInt32LE(4);
  }

  get size(): number {
    return this.count;
  }

  has(ghid: string): boolean {
    return this.refOf(ghid) !== undefined;
  }

  get(ghid: string): Entry | undefined {
    const ref = this.refOf(ghid);
    return ref === undefined ? undefined : this.at(ref);
  }

  refOf(ghid: string): number | undefined {
    if (!this.decodeKey(ghid)) return undefined;
    const ref = this.find(this.key, 0);
    return ref < 0 ? undefined : ref;
  }

  /** Adds or replaces an entry; returns its record number. Throws on a malformed GHID. */
  set(e: Entry): number {
    // Everything is checked before anything changes: a refused entry leaves the table as it was.
    const type = TYPES.indexOf(e.type);
    if (type < 0) throw new MalformedGolixPrimitive(`entry: unknown type ${String(e.type)}`);
    if (!Number.isInteger(e.version) || e.version < 0 || e.version > 0xff || !Number.isInteger(e.size) || e.size < 0 || e.size > 0xffffffff) {
      throw new MalformedGolixPrimitive(`entry ${String(e.ghid).slice(0, 12)}…: version or size out of range`);
    }
    if (e.type === 'GOBD' && (typeof e.dynamic !== 'string' || !e.targets?.length || !e.history || e.targets[0] !== e.target)) {
      throw new MalformedGolixPrimitive(`entry ${String(e.ghid).slice(0, 12)}…: a GOBD entry needs its dynamic GHID, targets and history`);
    }
    if (e.target !== undefined && !decodeGhid(e.target, this.target, 0)) {
      throw new MalformedGolixPrimitive(`entry ${String(e.ghid).slice(0, 12)}…: target is not a GHID`);
    }
    if (!this.decodeKey(e.ghid)) throw new MalformedGolixPrimitive(`entry: not a GHID: ${String(e.ghid).slice(0, 20)}`);
    let ref = this.find(this.key, 0);
    if (ref < 0) {
      ref = this.records.alloc();
      this.key.copy(this.records.chunk(ref), offset(STRIDE, ref));
      this.insertSlot(ref);
      this.count++;
    }
    const buf = this.records.chunk(ref);
    const off = offset(STRIDE, ref);
    buf[off + R_TYPE] = type;
    buf[off + R_VERSION] = e.version;
    buf.writeUInt32LE(e.size, off + R_SIZE);
    const party = e.signer ?? e.recipient;
    buf.writeUInt32LE(party === undefined ? 0 : this.partyId(party) + 1, off + R_PARTY);
    let target = buf.readUInt32LE(off + R_TARGET);
    if (e.target !== undefined) {
      if (target === 0) target = this.targets.alloc() + 1;
      this.target.copy(this.targets.chunk(target - 1), offset(GHID_BYTES, target - 1));
    } else if (target !== 0) {
      this.targets.release(target - 1);
      target = 0;
    }
    buf.writeUInt32LE(target, off + R_TARGET);
    if (e.type === 'GOBD') {
      this.frames.set(ref, { dynamic: e.dynamic!, counter: e.counter ?? null, targets: e.targets!, history: e.history! });
    } else {
      this.frames.delete(ref);
    }
    return ref;
  }

  delete(ghid: string): boolean {
    if (!this.decodeKey(ghid)) return false;
    const mask = this.slots.length - 1;
    for (let i = this.hash(this.key, 0) & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i]!;
      if (s === EMPTY) return false;
      if (s !== TOMBSTONE && this.keyAt(s - 1)) {
        const ref = s - 1;
        this.slots[i] = TOMBSTONE;
        this.tombstones++;
        const buf = this.records.chunk(ref);
        const off = offset(STRIDE, ref);
        const target = buf.readUInt32LE(off + R_TARGET);
        if (target !== 0) this.targets.release(target - 1);
        buf.fill(0, off, off + STRIDE);
        buf[off + R_TYPE] = FREE;
        this.frames.delete(ref);
        this.records.release(ref);
        this.count--;
        if (this.tombstones > this.slots.length >>> 2) this.rehash(this.slots.length);
        return true;
      }
    }
  }

  clear(): void {
    this.records = new Slab(STRIDE);
    this.targets = new Slab(GHID_BYTES);
    this.count = 0;
    this.slots = new Uint32Array(1024);
    this.tombstones = 0;
    this.frames.clear();
  }

  at(ref: number): Entry {
    const buf = this.records.chunk(ref);
    const off = offset(STRIDE, ref);
    const type = TYPES[buf[off + R_TYPE]!];
    if (type === undefined) throw new RangeError(`entry table: no record ${ref}`);
    const ghid = ghidText(buf, off);
    const version = buf[off + R_VERSION]!;
    const size = buf.readUInt32LE(off + R_SIZE);
    // The same literal shapes as entryOf(), so all entries of a type share one hidden class.
    switch (type) {
      case 'GIDC':
        return { ghid, type, version, size };
      case 'GEOC':
        return { ghid, type, version, size, signer: this.partyAt(ref)! };
      case 'GOBS':
      case 'GDXX':
        return { ghid, type, version, size, signer: this.partyAt(ref)!, target: this.targetText(buf.readUInt32LE(off + R_TARGET)) };
      case 'GARQ':
        return { ghid, type, version, size, recipient: this.partyAt(ref)! };
      case 'GOBD': {
        const f = this.frames.get(ref)!;
        return {
          ghid,
          type,
          version,
          size,
          signer: this.partyAt(ref)!,
          target: f.targets[0]!,
          targets: f.targets,
          dynamic: f.dynamic,
          counter: f.counter,
          history: f.history,
        };
      }
    }
  }

  ghidAt(ref: number): string {
    this.typeAt(ref);
    return ghidText(this.records.chunk(ref), offset(STRIDE, ref));
  }

  typeAt(ref: number): ObjectType {
    const type = TYPES[this.records.chunk(ref)[offset(STRIDE, ref) + R_TYPE]!];
    if (type === undefined) throw new RangeError(`entry table: no record ${ref}`);
    return type;
  }

  partyAt(ref: number): string | undefined {
    this.typeAt(ref);
    const id = this.records.chunk(ref).readUInt32LE(offset(STRIDE, ref) + R_PARTY);
    return id === 0 ? undefined : this.parties[id - 1];
  }

  /** A GOBD's dynamic GHID. */
  dynamicAt(ref: number): string | undefined {
    return this.frames.get(ref)?.dynamic;
  }

  targetAt(ref: number): string | undefined {
    const type = this.typeAt(ref);
    if (type === 'GOBD') return this.frames.get(ref)!.targets[0];
    return type === 'GOBS' || type === 'GDXX' ? this.targetText(this.records.chunk(ref).readUInt32LE(offset(STRIDE, ref) + R_TARGET)) : undefined;
  }

  *refs(): IterableIterator<number> {
    for (let ref = 0; ref < this.records.allocated; ref++) {
      if (this.records.chunk(ref)[offset(STRIDE, ref) + R_TYPE] !== FREE) yield ref;
    }
  }

  *values(): IterableIterator<Entry> {
    for (const ref of this.refs()) yield this.at(ref);
  }

  // ---- internals

  /**
   * Decodes a GHID text into `this.key`. An ingest looks the same GHID up several times in a
   * row (is it stored, store it, find its record), so the last text decoded is remembered.
   */
  private decodeKey(text: string): boolean {
    if (text === this.keyText) return true;
    this.keyText = undefined;
    if (!decodeGhid(text, this.key, 0)) return false;
    this.keyText = text;
    return true;
  }

  private targetText(slot: number): string {
    return ghidText(this.targets.chunk(slot - 1), offset(GHID_BYTES, slot - 1));
  }

  private partyId(text: string): number {
    let id = this.partyIds.get(text);
    if (id === undefined) {
      id = this.parties.push(text) - 1;
      this.partyIds.set(text, id);
    }
    return id;
  }

  /** The record holding the 65 GHID bytes at `key[at]`, or -1. */
  private find(key: Buffer, at: number): number {
    const mask = this.slots.length - 1;
    for (let i = this.hash(key, at) & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i]!;
      if (s === EMPTY) return -1;
      if (s !== TOMBSTONE && this.keyAt(s - 1)) return s - 1;
    }
  }

  /** Whether record `ref` holds the GHID in `this.key`. */
  private keyAt(ref: number): boolean {
    const off = offset(STRIDE, ref);
    return this.records.chunk(ref).compare(this.key, 0, GHID_BYTES, off, off + GHID_BYTES) === 0;
  }

  private insertSlot(ref: number): void {
    if ((this.count + 1 + this.tombstones) * 2 > this.slots.length) {
      this.rehash(this.count + 1 > this.slots.length >>> 2 ? this.slots.length * 2 : this.slots.length);
    }
    const mask = this.slots.length - 1;
    let i = this.hash(this.records.chunk(ref), offset(STRIDE, ref)) & mask;
    while (this.slots[i] !== EMPTY && this.slots[i] !== TOMBSTONE) i = (i + 1) & mask;
    if (this.slots[i] === TOMBSTONE) this.tombstones--;
    this.slots[i] = ref + 1;
  }

  private rehash(capacity: number): void {
    const old = this.slots;
    this.slots = new Uint32Array(capacity);
    this.tombstones = 0;
    const mask = capacity - 1;
    for (const s of old) {
      if (s === EMPTY || s === TOMBSTONE) continue;
      const ref = s - 1;
      let i = this.hash(this.records.chunk(ref), offset(STRIDE, ref)) & mask;
      while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
      this.slots[i] = s;
    }
  }

  /**
   * Mixes two words of the digest with the secret seeds. Both words must match for two GHIDs to
   * share a bucket whatever the seeds, which makes grinding colliding objects a 64-bit search.
   */
  private hash(buf: Buffer, at: number): number {
    return fmix32(buf.readUInt32LE(at + 1) ^ this.seedA) ^ fmix32(buf.readUInt32LE(at + 5) ^ this.seedB);
  }
}

/**
 * Fixed-size slots in chunks allocated zeroed (so untouched pages cost nothing), with a free
 * list: slot numbers stay put while in use.
 */
class Slab {
  private readonly chunks: Buffer[] = [];
  /** Slots ever handed out; the free list holds those released since. */
  allocated = 0;
  private readonly free: number[] = [];

  constructor(private readonly stride: number) {}

  alloc(): number {
    const slot = this.free.pop() ?? this.allocated++;
    if (slot >>> CHUNK_BITS >= this.chunks.length) this.chunks.push(Buffer.alloc(CHUNK_SLOTS * this.stride));
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  chunk(slot: number): Buffer {
    const c = this.chunks[slot >>> CHUNK_BITS];
    if (c === undefined || slot >= this.allocated) throw new RangeError(`entry table: no record ${slot}`);
    return c;
  }
}

function offset(stride: number, slot: number): number {
  return (slot & (CHUNK_SLOTS - 1)) * stride;
}

function ghidText(buf: Buffer, off: number): string {
  return buf.toString('base64url', off, off + GHID_BYTES) + '=';
}

/**
 * Decodes canonical GHID text (88 characters of URL-safe base64, one `=`) into `out[at..at+65]`.
 * Returns false for anything else, without writing: Node's decoder skips characters outside the
 * alphabet, so they are refused here first.
 */
function decodeGhid(text: string, out: Buffer, at: number): boolean {
  if (typeof text !== 'string' || text.length !== GHID_TEXT || !GHID_PATTERN.test(text)) return false;
  // 87 characters carry 522 bits for 520: the last one's two low bits are padding, zero when canonical.
  if ((B64URL[text.charCodeAt(GHID_TEXT - 2)]! - 1) & 3) return false;
  return out.write(text, at, GHID_BYTES, 'base64url') === GHID_BYTES;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
