/**
 * The secret of the version of each dynamic object this computer last showed, kept on this
 * computer alone (never in the account's maps, which the other computers overwrite).
 *
 * The account's secrets map holds one record per object, ranked by counter across the
 * account's computers: another computer's record, merged in, replaces ours, and the versions
 * it carries (its base and fork) are the account's, not necessarily the one this computer has
 * stored. A computer that did not follow the object meanwhile (no app had it open) keeps an
 * older frame in its local cache, readable only with a secret then known in memory alone:
 * restarted offline, it could not show what it wrote itself. This keeps that secret.
 *
 * `<secrets map GHID>.here` beside the account journals, sealed the same way (sealed-records.ts,
 * under the secrets map's master secret; docs/formats.md). It holds one entry per object the
 * account has, so it is kept compact: in memory, one pair of short byte strings per object (not
 * decoded until asked for); on disk, one record per write holding every change of that write,
 * and the file rewritten as one record of them all once the appended ones outgrow it. Written a
 * second after a change, at the close, and whenever the account's records are made durable
 * (`secure`, with SecretStore.secure: at a creation, and every few updates of an object): so
 * after a crash it is never further behind than the record, and the same ratchet along the
 * frame's vector that brings the record up to date brings this one too.
 */
import { join } from 'node:path';
import { GHID_LENGTH, Ghid, SECRET_RECORD_LENGTH, Secret } from '../golix/index.js';
import { AppendLog } from '../util/append-log.js';
import { JOURNAL_FORMAT, MapJournal } from './map-journal.js';
import { Sealer, setAside, type SealedFormat } from './sealed-records.js';

/** A container and the secret that opens it. */
export interface KeptSecret {
  container: Ghid;
  secret: Secret;
}

export const HERE_FORMAT: SealedFormat = { name: 'a file of versions kept here', magic: 'HGXH', version: 1, info: 'hgx-here/1' };

/** An entry: `dynamic GHID | 1 | container GHID | secret record`, or `dynamic GHID | 0` once the object is gone. */
const KEPT = 1;
const GONE = 0;
const VALUE_LENGTH = GHID_LENGTH + SECRET_RECORD_LENGTH;
const ENTRY_LENGTH = GHID_LENGTH + 1 + VALUE_LENGTH;

/** How long a change waits to be sealed and written with the others of that time. */
const WRITE_DELAY_MS = 1_000;
/** A file is rewritten once it is this large and twice what it holds (across runs: it is not rewritten at each start). */
const COMPACT_BYTES = 64 * 1024;

/** Keys and values are the raw bytes as latin1 strings: a fifth of the memory of decoded objects. */
type Kept = Map<string, string>;

export class KeptHere {
  private closed = false;
  /** Objects whose kept version changed since the last write. */
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  /** The last write asked for: done when it is on disk, or its failure told. */
  private written: Promise<unknown> = Promise.resolve();
  /** The last write failed: the next one rewrites the whole file instead of appending. */
  private broken = false;
  /** The file's length once the writes asked for are done. */
  private size: number;

  private constructor(
    private readonly log: AppendLog,
    private readonly sealer: Sealer,
    private readonly kept: Kept,
    private readonly warn: (message: string) => void,
    size: number,
  ) {
    this.size = size;
  }

  static async open(dir: string, map: { ghid: Ghid; master: Secret }, warn: (message: string) => void): Promise<KeptHere> {
    let { log, data } = await AppendLog.open(join(dir, `${map.ghid.text}.here`));
    const kept: Kept = new Map();
    // The first version of this file was an account journal of `h:` cells: it is read once, then rewritten.
    const firstFormat = data.toString('latin1', 0, JOURNAL_FORMAT.magic.length) === JOURNAL_FORMAT.magic;
    const read = data.length === 0 ? null : firstFormat ? fromJournal(data, map) : Sealer.read(data, HERE_FORMAT, map.master, map.ghid, decodeRecord);
    if (read?.unreadable !== undefined) log = await setAside(log, read.unreadable, 'The file of versions kept here', warn);
    else if (read) {
      for (const entries of read.items) for (const [dyn, value] of entries) value === null ? kept.delete(dyn) : kept.set(dyn, value);
      if (read.damagedTail > 0) warn(`Ignored a damaged tail of ${read.damagedTail} bytes in ${log.path} (an interrupted write)`);
    }
    // A file read whole keeps its key and is appended to; any other is written anew first.
    const sealer = read && 'sealer' in read && read.damagedTail === 0 && !firstFormat ? read.sealer : null;
    const here = new KeptHere(log, sealer ?? Sealer.fresh(HERE_FORMAT, map.master, map.ghid), kept, warn, data.length);
    if (!sealer || here.grown) await here.rewrite();
    return here;
  }

  get(dyn: Ghid): KeptSecret | null {
    const value = this.kept.get(dyn.bytes.toString('latin1'));
    return value === undefined ? null : decodeValue(value);
  }

  /** Keeps `known` as the version of `dyn` shown here (null: the object is gone). Said again, nothing is written. */
  set(dyn: Ghid, known: KeptSecret | null): void {
    if (this.closed) return;
    const key = dyn.bytes.toString('latin1');
    const value = known && Buffer.concat([known.container.bytes, known.secret.toRecord()]).toString('latin1');
    if (value === (this.kept.get(key) ?? null)) return;
    if (value) this.kept.set(key, value);
    else this.kept.delete(key);
    // Sealed once per object and write, not once per update: a burst of updates costs one.
    this.dirty.add(key);
    this.timer ??= setTimeout(() => this.write(), WRITE_DELAY_MS).unref();
  }

  /**
   * Writes what changed now; resolves once it is on disk (durable, as the account's records are
   * when they are secured) or its failure told, which the next write makes good. Never rejects:
   * what an update acknowledged rests on the record, not on this.
   */
  async secure(): Promise<void> {
    if (!this.closed) this.write();
    await this.written;
  }

  private write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty.size === 0) return;
    const changes = [...this.dirty].map((key) => encodeEntry(key, this.kept.get(key) ?? null));
    this.dirty.clear();
    const whole = this.broken || this.grown;
    const record = whole ? null : this.sealer.seal(Buffer.concat(changes));
    if (record) this.size += record.length;
    this.written = record ? this.watch(this.log.append([record])) : this.rewrite();
  }

  /** Rewrites the file as what is kept now; a failure (a full disk) leaves the next write to try again. */
  private async rewrite(): Promise<void> {
    if (await this.watch(this.log.replace(() => this.snapshot()))) this.broken = false;
  }

  /** Whether the write went through; the first failure in a row is told, the rest only remembered. */
  private watch(written: Promise<void>): Promise<boolean> {
    return written.then(
      () => true,
      (err: Error) => {
        if (!this.broken) this.warn(`The file of versions kept here could not be written: ${err.message}`);
        this.broken = true;
        return false;
      },
    );
  }

  /** Appended records hold as much again as the versions kept: time to rewrite the file. */
  private get grown(): boolean {
    return this.size >= Math.max(COMPACT_BYTES, 2 * this.kept.size * ENTRY_LENGTH);
  }

  /** The whole file: the header and one record of every version kept. */
  private snapshot(): Buffer {
    const entries = [...this.kept].map(([key, value]) => encodeEntry(key, value));
    const whole = Buffer.concat([this.sealer.header, ...(entries.length > 0 ? [this.sealer.seal(Buffer.concat(entries))] : [])]);
    this.size = whole.length;
    return whole;
  }

  close(): Promise<void> {
    this.write();
    this.closed = true;
    return this.log.close();
  }
}

function encodeEntry(key: string, value: string | null): Buffer {
  return Buffer.from(key + (value === null ? String.fromCharCode(GONE) : String.fromCharCode(KEPT) + value), 'latin1');
}

/**
 * A record's entries, or null if it holds anything else. Values are decoded when asked for, not
 * here (the record authenticated, so they are what this code wrote): a start with many objects
 * would otherwise make two objects for each.
 */
function decodeRecord(plain: Buffer): [string, string | null][] | null {
  const entries: [string, string | null][] = [];
  let pos = 0;
  while (pos < plain.length) {
    const kind = plain[pos + GHID_LENGTH];
    const end = pos + GHID_LENGTH + 1 + (kind === KEPT ? VALUE_LENGTH : 0);
    if ((kind !== KEPT && kind !== GONE) || end > plain.length) return null;
    const dyn = plain.toString('latin1', pos, pos + GHID_LENGTH);
    const value = kind === KEPT ? plain.toString('latin1', pos + GHID_LENGTH + 1, end) : null;
    entries.push([dyn, value]);
    pos = end;
  }
  return entries;
}

function decodeValue(value: string): KeptSecret | null {
  const bytes = Buffer.from(value, 'latin1');
  try {
    return { container: Ghid.fromBytes(bytes.subarray(0, GHID_LENGTH)), secret: Secret.fromRecord(bytes.subarray(GHID_LENGTH)) };
  } catch {
    return null;
  }
}

/** The first version's file: `h:<dynamic GHID>` → `{c, s}` cells in the journal's format; anything else is left out. */
function fromJournal(data: Buffer, map: { ghid: Ghid; master: Secret }) {
  const read = MapJournal.read(data, map.master, map.ghid);
  if (read.unreadable !== undefined) return read;
  const entries = read.items.map(([key, [, , value]]): [string, string | null] | null => {
    const dyn = key.startsWith('h:') ? Ghid.tryText(key.slice(2)) : null;
    if (!dyn) return null;
    const { c, s } = (typeof value === 'object' && value !== null ? value : {}) as { c?: unknown; s?: unknown };
    const container = Ghid.tryText(c);
    let secret: Secret | null = null;
    try {
      secret = typeof s === 'string' ? Secret.fromText(s) : null;
    } catch {
      // Not a secret: the entry says the object is gone, as the first version read it.
    }
    const kept = container && secret ? Buffer.concat([container.bytes, secret.toRecord()]).toString('latin1') : null;
    return [dyn.bytes.toString('latin1'), kept];
  });
  return { ...read, items: [entries.filter((e) => e !== null)] };
}
