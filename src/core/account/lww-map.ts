import { ValueError } from '../golix/index.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** [hybrid logical timestamp, device id, value or null for a deletion] */
export type Cell = [number, string, JsonValue | null];

const FORMAT = 'hgx-lww/1';

/**
 * Ranks a write of a key (its value, or null for a deletion): of two writes, the higher rank
 * wins whatever their times, and the later write wins between equal ranks. A rank per write,
 * not a comparison of two, so that the order stays total and every replica converges
 * whichever order it merges in. The same on every device.
 */
export type Rank = (key: string, value: JsonValue | null) => bigint;

/**
 * A last-writer-wins map: the format of the account's internal objects. Two devices of one
 * account that change it concurrently merge per key, the newer write winning (defect 19), so
 * neither change is lost. Serialized as UTF-8 JSON:
 * `{"format":"hgx-lww/1","entries":{"key":[timestamp, "device", value|null]}}`.
 * Timestamps are hybrid logical clocks (milliseconds × 1000 + a counter), ties broken by device.
 * A map may rank some writes above others whatever their times (`Rank`).
 */
export class LwwMap {
  private readonly cells = new Map<string, Cell>();
  private clock = 0;
  /**
   * Told of a value a merge leaves out because a write that outranks it took its key (either
   * side's): one of higher rank, or of the same rank from another device, written later. It was
   * someone's, and may still be worth knowing outside the map.
   */
  outranked?: (key: string, value: JsonValue) => void;

  constructor(
    private readonly device: string,
    private readonly rank?: Rank,
  ) {}

  /** Whether cell `a` wins over cell `b` for `key`: by rank, then time, then device. */
  private wins(key: string, a: Cell, b: Cell): boolean {
    if (this.rank) {
      const [x, y] = [this.rank(key, a[2]), this.rank(key, b[2])];
      if (x !== y) return x > y;
    }
    return a[0] !== b[0] ? a[0] > b[0] : a[1] > b[1];
  }

  private tick(): number {
    this.clock = Math.max(this.clock + 1, Date.now() * 1000);
    return this.clock;
  }

  get(key: string): JsonValue | undefined {
    const c = this.cells.get(key);
    return c && c[2] !== null ? c[2] : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: JsonValue): void {
    if (value === null) throw new ValueError('Use delete() to remove a key');
    this.cells.set(key, [this.tick(), this.device, value]);
  }

  delete(key: string): boolean {
    const had = this.has(key);
    if (had) this.cells.set(key, [this.tick(), this.device, null]);
    return had;
  }

  /** The stored cell of a key, deletions included (what a journal records). */
  cell(key: string): Cell | undefined {
    return this.cells.get(key);
  }

  /** Folds in one cell (from another replica or a journal). Returns whether it was newer than what is here. */
  mergeCell(key: string, cell: Cell): boolean {
    this.clock = Math.max(this.clock, cell[0]);
    const mine = this.cells.get(key);
    const won = !mine || this.wins(key, cell, mine);
    if (mine && this.outranked) {
      const [loser, winner] = won ? [mine, cell] : [cell, mine];
      if (loser[2] !== null && this.rank && loses(this.rank(key, loser[2]), this.rank(key, winner[2]), loser[1] !== winner[1])) this.outranked(key, loser[2]);
    }
    if (!won) return false;
    this.cells.set(key, cell);
    return true;
  }

  /** Live keys with a prefix (namespaces like "secret:" share one map). */
  *entries(prefix = ''): IterableIterator<[string, JsonValue]> {
    for (const [k, c] of this.cells) if (c[2] !== null && k.startsWith(prefix)) yield [k, c[2]];
  }

  get size(): number {
    let n = 0;
    for (const c of this.cells.values()) if (c[2] !== null) n++;
    return n;
  }

  /** Folds another replica in. Returns whether anything here changed. */
  merge(other: LwwMap): boolean {
    let changed = false;
    for (const [k, theirs] of other.cells) changed = this.mergeCell(k, theirs) || changed;
    return changed;
  }

  /** Whether `other` already holds every write this replica holds (so this one has nothing to add). */
  isCoveredBy(other: LwwMap): boolean {
    for (const [k, mine] of this.cells) {
      const theirs = other.cells.get(k);
      if (!theirs || this.wins(k, mine, theirs)) return false;
    }
    return true;
  }

  encode(): Buffer {
    return Buffer.from(JSON.stringify({ format: FORMAT, entries: Object.fromEntries(this.cells) }), 'utf8');
  }

  static decode(data: Buffer, device: string, rank?: Rank): LwwMap {
    let doc: unknown;
    try {
      doc = JSON.parse(data.toString('utf8'));
    } catch {
      throw new ValueError('Account map is not valid JSON');
    }
    const d = doc as { format?: unknown; entries?: unknown };
    if (d?.format !== FORMAT || typeof d.entries !== 'object' || d.entries === null) throw new ValueError('Not an hgx-lww/1 account map');
    const map = new LwwMap(device, rank);
    for (const [k, cell] of Object.entries(d.entries)) {
      if (!Array.isArray(cell) || cell.length !== 3 || typeof cell[0] !== 'number' || typeof cell[1] !== 'string') {
        throw new ValueError(`Account map entry ${JSON.stringify(k)} is malformed`);
      }
      map.cells.set(k, cell as Cell);
      map.clock = Math.max(map.clock, cell[0]);
    }
    return map;
  }
}

/**
 * Whether a write of rank `loser` that a merge leaves out was outranked: by a higher rank, or by
 * an equal one from another device (two devices each wrote a value of that rank, and the later
 * one stays). A device's own later write of the same rank only moves its value on.
 */
function loses(loser: bigint, winner: bigint, otherDevice: boolean): boolean {
  return loser < winner || (loser === winner && otherDevice);
}
