import { MalformedGolixPrimitive, type GolixObject, type ObjectType } from '../golix/index.js';
import { Reader } from '../golix/bytes.js';

/**
 * What the rules need to know about a stored object without reading it: its type and the
 * GHIDs it names, as their 88-character text. This is the form entries are passed around in;
 * a store holds them packed in an EntryTable (entry-table.ts), and boot needs no parsing.
 */
export interface Entry {
  /** The file GHID: static GHID, or frame GHID for a GOBD. */
  readonly ghid: string;
  readonly type: ObjectType;
  readonly version: number;
  readonly size: number;
  /** Author, binder or debinder (signed types). */
  readonly signer?: string;
  /** GOBS/GDXX target; GOBD current target (targets[0]). */
  readonly target?: string;
  /** GOBD: the whole vector, newest first (v15: the single target). */
  readonly targets?: readonly string[];
  /** GOBD: the dynamic GHID. */
  readonly dynamic?: string;
  /** GOBD v16 counter; null for v15. */
  readonly counter?: bigint | null;
  /** GOBD v15: previous frame GHIDs. */
  readonly history?: readonly string[];
  /** GARQ recipient. */
  readonly recipient?: string;
}

/** The entry of a parsed object. */
export function entryOf(obj: GolixObject): Entry {
  // One object literal per type (no spread), the same as EntryTable.at(): V8 then shares one
  // hidden class per type instead of giving every entry its own.
  const ghid = obj.ghid.text;
  const { type, version } = obj;
  const size = obj.raw.length;
  switch (obj.type) {
    case 'GIDC':
      return { ghid, type, version, size };
    case 'GEOC':
      return { ghid, type, version, size, signer: obj.author.text };
    case 'GOBS':
      return { ghid, type, version, size, signer: obj.binder.text, target: obj.target.text };
    case 'GDXX':
      return { ghid, type, version, size, signer: obj.debinder.text, target: obj.target.text };
    case 'GARQ':
      return { ghid, type, version, size, recipient: obj.recipient.text };
    case 'GOBD':
      return {
        ghid,
        type,
        version,
        size,
        signer: obj.binder.text,
        target: obj.targets[0]!.text,
        targets: obj.targets.map((t) => t.text),
        dynamic: obj.dynamic.text,
        counter: obj.counter,
        history: obj.history.map((h) => h.text),
      };
  }
}

const TYPES: readonly ObjectType[] = ['GIDC', 'GEOC', 'GOBS', 'GOBD', 'GDXX', 'GARQ'];
const TEXT = 88;
/**
 * A GOBD whose target or history count does not fit a byte (Golix allows up to 1008 GHIDs; a
 * legroom of 255 makes 256 targets): the same fields with both counts as u16. Written only when
 * needed, so every entry written before reads as it was.
 */
const WIDE_GOBD = 6;
const isWide = (e: Entry) => e.type === 'GOBD' && (e.targets!.length > 255 || e.history!.length > 255);

/**
 * Binary form of an entry, for the index snapshot and the journal:
 * `type u8 | version u8 | size u32 | ghid text(88) | fields by type`, GHIDs as 88 ASCII bytes.
 * Callers size first (`entryLength`) and write in place (`writeEntry`), so that many entries go
 * into one buffer.
 */
export function entryLength(e: Entry): number {
  switch (e.type) {
    case 'GIDC':
      return 6 + TEXT;
    case 'GEOC':
    case 'GARQ':
      return 6 + 2 * TEXT;
    case 'GOBS':
    case 'GDXX':
      return 6 + 3 * TEXT;
    case 'GOBD':
      return 6 + 3 * TEXT + (isWide(e) ? 12 : 10) + (e.targets!.length + e.history!.length) * TEXT;
  }
}

/** Writes the entry's binary form into `out` at `offset`; returns the offset after it. */
export function writeEntry(e: Entry, out: Buffer, offset: number): number {
  const wide = isWide(e);
  let pos = out.writeUInt8(wide ? WIDE_GOBD : TYPES.indexOf(e.type), offset);
  pos = out.writeUInt8(e.version, pos);
  pos = out.writeUInt32BE(e.size, pos);
  const text = (s: string | undefined) => {
    out.write(s!, pos, TEXT, 'latin1');
    pos += TEXT;
  };
  text(e.ghid);
  switch (e.type) {
    case 'GIDC':
      break;
    case 'GEOC':
      text(e.signer);
      break;
    case 'GOBS':
    case 'GDXX':
      text(e.signer);
      text(e.target);
      break;
    case 'GARQ':
      text(e.recipient);
      break;
    case 'GOBD':
      text(e.signer);
      text(e.dynamic);
      pos = out.writeBigUInt64BE(e.counter ?? 0n, pos);
      pos = wide ? out.writeUInt16BE(e.targets!.length, pos) : out.writeUInt8(e.targets!.length, pos);
      pos = wide ? out.writeUInt16BE(e.history!.length, pos) : out.writeUInt8(e.history!.length, pos);
      e.targets!.forEach(text);
      e.history!.forEach(text);
      break;
  }
  return pos;
}

/** Decodes one entry. */
export function decodeEntry(buf: Buffer): Entry {
  const r = new Reader(buf, 'index entry');
  const code = r.u8();
  const wide = code === WIDE_GOBD;
  const type = wide ? 'GOBD' : TYPES[code];
  if (!type) throw new MalformedGolixPrimitive('index entry: unknown type');
  const version = r.u8();
  const size = r.u32();
  const text = () => r.take(TEXT).toString('latin1');
  const ghid = text();
  let e: Entry;
  switch (type) {
    case 'GIDC':
      e = { ghid, type, version, size };
      break;
    case 'GEOC':
      e = { ghid, type, version, size, signer: text() };
      break;
    case 'GOBS':
    case 'GDXX':
      e = { ghid, type, version, size, signer: text(), target: text() };
      break;
    case 'GARQ':
      e = { ghid, type, version, size, recipient: text() };
      break;
    case 'GOBD': {
      const signer = text();
      const dynamic = text();
      const counter = r.u64();
      const nt = wide ? r.u16() : r.u8();
      const nh = wide ? r.u16() : r.u8();
      if (nt === 0) throw new MalformedGolixPrimitive('index entry: a GOBD without a target');
      const targets = Array.from({ length: nt }, text);
      const history = Array.from({ length: nh }, text);
      e = { ghid, type, version, size, signer, dynamic, counter: version === 15 ? null : counter, targets, target: targets[0]!, history };
      break;
    }
  }
  r.end();
  return e;
}
