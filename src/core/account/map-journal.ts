import type { Ghid, Secret } from '../golix/index.js';
import { AppendLog } from '../util/append-log.js';
import type { Cell, JsonValue } from './lww-map.js';
import { Sealer, setAside, type SealedFormat, type SealedRead } from './sealed-records.js';

export const JOURNAL_FORMAT: SealedFormat = { name: 'an account journal', magic: 'HGXJ', version: 1, info: 'hgx-journal/1' };
/** A rewrite once this many bytes were appended since the last one (a few hundred records). */
const DEFAULT_COMPACT_BYTES = 64 * 1024;
/** How long a recorded change may wait in memory for others to share its write. */
const WRITE_DELAY_MS = 50;

export interface MapJournalOptions {
  path: string;
  /** The account map's master secret: the journal is as secret as the map itself. */
  master: Secret;
  /** The account map's GHID, bound into every record. */
  map: Ghid;
  warn: (message: string) => void;
  compactBytes?: number;
}

/**
 * A local write-ahead journal of one account map's changes (docs/formats.md, "Account map
 * journal"). Writing the map itself costs two RSA signatures, so it is batched; the journal
 * makes changes durable in the meantime for the price of an AES-GCM seal and a share of one
 * durable write. After a crash, the login replays the journal into the map, so nothing the daemon
 * acknowledged is lost. Records are sealed under a key derived from the map's master secret
 * (defect 5: no secret in plain text on disk); entries the map has since written are dropped.
 */
export class MapJournal {
  private readonly pending = new Map<string, { seq: number; cell: Cell }>();
  private nextSeq = 1;
  private last: Promise<void> = Promise.resolve();
  private broken: Error | null = null;
  /** Records in the file (an upper bound), so an all-covered journal is emptied only once. */
  private inFile = 0;
  private buffered: Buffer[] = [];
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly log: AppendLog,
    private readonly sealer: Sealer,
    private readonly warn: (message: string) => void,
    private readonly compactBytes: number,
  ) {}

  /** Opens the journal and returns the changes it holds, oldest first, for the map to merge. */
  static async open(o: MapJournalOptions): Promise<{ journal: MapJournal; cells: [string, Cell][] }> {
    let { log, data } = await AppendLog.open(o.path);
    const latest = new Map<string, Cell>();
    if (data.length > 0) {
      const read = MapJournal.read(data, o.master, o.map);
      if (read.unreadable !== undefined) {
        log = await setAside(log, read.unreadable, 'The account journal', o.warn);
      } else {
        for (const [key, cell] of read.items) {
          // Latest per key, in the order last written.
          latest.delete(key);
          latest.set(key, cell);
        }
        if (read.damagedTail > 0) o.warn(`Ignored a damaged tail of ${read.damagedTail} bytes in ${o.path} (an interrupted write)`);
      }
    }
    const cells = [...latest];
    const journal = new MapJournal(log, Sealer.fresh(JOURNAL_FORMAT, o.master, o.map), o.warn, o.compactBytes ?? DEFAULT_COMPACT_BYTES);
    for (const [key, cell] of cells) journal.pending.set(key, { seq: journal.nextSeq++, cell });
    // A fresh salt (so a fresh key) per run; the replayed changes stay until the map covers them.
    await log.replace(() => journal.snapshot());
    return { journal, cells };
  }

  /** The cells a journal's bytes hold, in the order written. */
  static read(data: Buffer, master: Secret, map: Ghid): SealedRead<[string, Cell]> {
    return Sealer.read(data, JOURNAL_FORMAT, master, map, decodeCell);
  }

  /** The sequence number of the newest record; `covered()` takes it back. */
  get seq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Records a change. It is written within WRITE_DELAY_MS, or at once by `durable()`: callers
   * that need it on disk say when (an object's secret before its creation is acknowledged, an
   * update's record before it falls out of the ratchet's reach), so that a run of updates
   * shares one durable write instead of competing with the signing for the cores.
   */
  record(key: string, cell: Cell): void {
    this.pending.set(key, { seq: this.nextSeq++, cell });
    this.inFile++;
    this.buffered.push(this.seal(key, cell));
    this.timer ??= setTimeout(() => this.write(), WRITE_DELAY_MS).unref();
  }

  private write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffered.length === 0) return;
    const appended = this.log.append(this.buffered.splice(0));
    this.last = appended;
    appended.catch((err: Error) => {
      if (!this.broken) this.warn(`The account journal could not be written: ${err.message}`);
      this.broken = err;
    });
  }

  /** Resolves once every change recorded so far is on disk; rejects if one could not be written. */
  async durable(): Promise<void> {
    this.write();
    await this.last.catch(() => {});
    if (this.broken) throw this.broken;
  }

  /**
   * The map has written every change up to `seq` (they are safe in its own frame): forget them,
   * and rewrite the file when that leaves it empty or it has grown.
   */
  covered(seq: number): void {
    for (const [key, p] of this.pending) if (p.seq <= seq) this.pending.delete(key);
    const grown = this.log.appendedBytes >= this.compactBytes;
    if (!grown && !(this.pending.size === 0 && this.inFile > 0) && !this.broken) return;
    this.log.replace(() => this.snapshot()).then(
      () => (this.broken = null),
      (err: Error) => this.warn(`The account journal could not be compacted: ${err.message}`),
    );
  }

  close(): Promise<void> {
    this.write();
    return this.log.close();
  }

  private snapshot(): Buffer {
    this.inFile = this.pending.size;
    return Buffer.concat([this.sealer.header, ...[...this.pending].map(([key, p]) => this.seal(key, p.cell))]);
  }

  private seal(key: string, cell: Cell): Buffer {
    return this.sealer.seal(Buffer.from(JSON.stringify([key, ...cell]), 'utf8'));
  }
}

/** A record's plaintext: the UTF-8 JSON `[key, timestamp, device, value or null]`. */
function decodeCell(plain: Buffer): [string, Cell] | null {
  try {
    const entry = JSON.parse(plain.toString('utf8')) as unknown;
    if (!isEntry(entry)) return null;
    const [k, ts, device, value] = entry;
    return [k, [ts, device, value]];
  } catch {
    return null;
  }
}

function isEntry(v: unknown): v is [string, number, string, JsonValue | null] {
  return Array.isArray(v) && v.length === 4 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'string';
}
