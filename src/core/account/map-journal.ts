import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import type { Ghid, Secret } from '../golix/index.js';
import { AppendLog } from '../util/append-log.js';
import type { Cell, JsonValue } from './lww-map.js';

const MAGIC = Buffer.from('HGXJ', 'latin1');
const VERSION = 1;
const SALT_LENGTH = 32;
const HEADER_LENGTH = MAGIC.length + 1 + SALT_LENGTH;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const INFO = Buffer.from('hgx-journal/1', 'latin1');
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
    private readonly key: Buffer,
    private readonly salt: Buffer,
    private readonly aad: Buffer,
    private readonly warn: (message: string) => void,
    private readonly compactBytes: number,
  ) {}

  /** Opens the journal and returns the changes it holds, oldest first, for the map to merge. */
  static async open(o: MapJournalOptions): Promise<{ journal: MapJournal; cells: [string, Cell][] }> {
    let { log, data } = await AppendLog.open(o.path);
    const aad = Buffer.from(o.map.bytes);
    const latest = new Map<string, Cell>();
    if (data.length > 0) {
      const read = readJournal(data, o.master, aad);
      if (read.unreadable) {
        // Never delete what might be someone's only copy: move it aside and start anew.
        await log.close();
        const aside = `${o.path}.unreadable-${Date.now()}`;
        await rename(o.path, aside);
        o.warn(`The account journal ${o.path} ${read.unreadable}; it was moved to ${aside} and a new one started`);
        ({ log } = await AppendLog.open(o.path));
      } else {
        for (const [key, cell] of read.cells) {
          // Latest per key, in the order last written.
          latest.delete(key);
          latest.set(key, cell);
        }
        if (read.damagedTail > 0) o.warn(`Ignored a damaged tail of ${read.damagedTail} bytes in ${o.path} (an interrupted write)`);
      }
    }
    const cells = [...latest];
    const salt = randomBytes(SALT_LENGTH);
    const journal = new MapJournal(log, deriveKey(o.master, salt, aad), salt, aad, o.warn, o.compactBytes ?? DEFAULT_COMPACT_BYTES);
    for (const [key, cell] of cells) journal.pending.set(key, { seq: journal.nextSeq++, cell });
    // A fresh salt (so a fresh key) per run; the replayed changes stay until the map covers them.
    await log.replace(() => journal.snapshot());
    return { journal, cells };
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
    const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), this.salt]);
    this.inFile = this.pending.size;
    return Buffer.concat([header, ...[...this.pending].map(([key, p]) => this.seal(key, p.cell))]);
  }

  private seal(key: string, cell: Cell): Buffer {
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(this.aad);
    const body = Buffer.concat([cipher.update(JSON.stringify([key, ...cell]), 'utf8'), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(NONCE_LENGTH + body.length + TAG_LENGTH);
    return Buffer.concat([length, nonce, body, cipher.getAuthTag()]);
  }
}

function deriveKey(master: Secret, salt: Buffer, aad: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha512', Buffer.concat([master.key, master.seed]), salt, Buffer.concat([INFO, aad]), 32));
}

interface ReadResult {
  cells: [string, Cell][];
  /** Why the whole file cannot be used, if it cannot. */
  unreadable?: string;
  damagedTail: number;
}

function readJournal(data: Buffer, master: Secret, aad: Buffer): ReadResult {
  if (data.length < HEADER_LENGTH || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { cells: [], unreadable: 'is not an account journal', damagedTail: 0 };
  }
  if (data[MAGIC.length] !== VERSION) {
    return { cells: [], unreadable: `has format version ${data[MAGIC.length]}, which this version does not read`, damagedTail: 0 };
  }
  const key = deriveKey(master, data.subarray(MAGIC.length + 1, HEADER_LENGTH), aad);
  const cells: [string, Cell][] = [];
  let pos = HEADER_LENGTH;
  while (pos < data.length) {
    const cell = openRecord(data, pos, key, aad);
    if (!cell) {
      // The first record failing means another key: another account's journal, not a torn write.
      if (cells.length === 0) return { cells, unreadable: 'belongs to another account or is damaged', damagedTail: 0 };
      return { cells, damagedTail: data.length - pos };
    }
    cells.push(cell.entry);
    pos = cell.next;
  }
  return { cells, damagedTail: 0 };
}

function openRecord(data: Buffer, pos: number, key: Buffer, aad: Buffer): { entry: [string, Cell]; next: number } | null {
  if (pos + 4 > data.length) return null;
  const length = data.readUInt32BE(pos);
  const end = pos + 4 + length;
  if (length < NONCE_LENGTH + TAG_LENGTH || end > data.length) return null;
  const nonce = data.subarray(pos + 4, pos + 4 + NONCE_LENGTH);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(data.subarray(end - TAG_LENGTH, end));
    const plain = Buffer.concat([decipher.update(data.subarray(pos + 4 + NONCE_LENGTH, end - TAG_LENGTH)), decipher.final()]);
    const entry = JSON.parse(plain.toString('utf8')) as unknown;
    if (!isEntry(entry)) return null;
    const [k, ts, device, value] = entry;
    return { entry: [k, [ts, device, value]], next: end };
  } catch {
    return null;
  }
}

function isEntry(v: unknown): v is [string, number, string, JsonValue | null] {
  return Array.isArray(v) && v.length === 4 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'string';
}
