import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import type { Ghid, Secret } from '../golix/index.js';
import { AppendLog } from '../util/append-log.js';

/**
 * The envelope of the account's local files (docs/formats.md): a header `magic (4) | version u8
 * | salt (32)`, then records `u32 length | nonce (12) | AES-256-GCM ciphertext | tag (16)`, under
 * `HKDF-SHA512(ikm = map master key ‖ seed, salt, info ‖ map GHID, 32)` with the map's GHID as
 * additional data: as secret as the map itself (defect 5: no secret in plain text on disk). What
 * a record's plaintext means is each file's own.
 */
export interface SealedFormat {
  /** What the file is, for errors: "an account journal". */
  name: string;
  magic: string;
  version: number;
  /** Separates the keys of different kinds of file under one master secret. */
  info: string;
}

const SALT_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

/** Seals records under one salt's key. */
export class Sealer {
  private constructor(
    /** The file's header, naming the salt. */
    readonly header: Buffer,
    private readonly key: Buffer,
    private readonly aad: Buffer,
  ) {}

  /** A sealer under a fresh salt (a file rewritten from its start). */
  static fresh(format: SealedFormat, master: Secret, map: Ghid): Sealer {
    return Sealer.withSalt(format, master, map, randomBytes(SALT_LENGTH));
  }

  private static withSalt(format: SealedFormat, master: Secret, map: Ghid, salt: Buffer): Sealer {
    const aad = Buffer.from(map.bytes);
    const key = Buffer.from(hkdfSync('sha512', Buffer.concat([master.key, master.seed]), salt, Buffer.concat([Buffer.from(format.info, 'latin1'), aad]), 32));
    return new Sealer(Buffer.concat([Buffer.from(format.magic, 'latin1'), Buffer.from([format.version]), salt]), key, aad);
  }

  seal(plain: Buffer): Buffer {
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(this.aad);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(NONCE_LENGTH + body.length + TAG_LENGTH);
    return Buffer.concat([length, nonce, body, cipher.getAuthTag()]);
  }

  /**
   * Reads a file in `format`: its records' plaintexts as `decode` makes them (null: not a record
   * of this file), and the sealer of its salt, to append more under the same key.
   */
  static read<T>(data: Buffer, format: SealedFormat, master: Secret, map: Ghid, decode: (plain: Buffer) => T | null): SealedRead<T> {
    const headerLength = format.magic.length + 1 + SALT_LENGTH;
    if (data.length < headerLength || data.toString('latin1', 0, format.magic.length) !== format.magic) return { unreadable: `is not ${format.name}` };
    const version = data[format.magic.length];
    if (version !== format.version) return { unreadable: `has format version ${version}, which this version does not read` };
    const sealer = Sealer.withSalt(format, master, map, data.subarray(format.magic.length + 1, headerLength));
    const items: T[] = [];
    let pos = headerLength;
    while (pos < data.length) {
      const record = sealer.open(data, pos);
      const item = record && decode(record.plain);
      if (item === null || item === undefined) {
        if (items.length > 0) return { sealer, items, damagedTail: data.length - pos };
        // The first record failing means another key (another account's file), or damage; or,
        // cut short, a crash during the file's first append. That is told apart from a damaged
        // length only by a guess, so such a file is set aside too, never cut: but said as it is.
        if (Sealer.cutShort(data, pos)) return { unreadable: 'ends in its first record cut short (a crash while it was first written, or damage)' };
        return { unreadable: 'belongs to another account or is damaged' };
      }
      items.push(item);
      pos = record!.next;
    }
    return { sealer, items, damagedTail: 0 };
  }

  /** Whether the record at `pos` says it ends past the data (or its length is cut). */
  private static cutShort(data: Buffer, pos: number): boolean {
    return pos + 4 > data.length || pos + 4 + data.readUInt32BE(pos) > data.length;
  }

  private open(data: Buffer, pos: number): { plain: Buffer; next: number } | null {
    if (pos + 4 > data.length) return null;
    const length = data.readUInt32BE(pos);
    const end = pos + 4 + length;
    if (length < NONCE_LENGTH + TAG_LENGTH || end > data.length) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(pos + 4, pos + 4 + NONCE_LENGTH));
      decipher.setAAD(this.aad);
      decipher.setAuthTag(data.subarray(end - TAG_LENGTH, end));
      return { plain: Buffer.concat([decipher.update(data.subarray(pos + 4 + NONCE_LENGTH, end - TAG_LENGTH)), decipher.final()]), next: end };
    } catch {
      return null;
    }
  }
}

export type SealedRead<T> = { sealer: Sealer; items: T[]; damagedTail: number; unreadable?: undefined } | { unreadable: string };

/**
 * Moves a file that cannot be read aside (never deleting what might be someone's only copy) and
 * opens a new one in its place.
 */
export async function setAside(log: AppendLog, why: string, what: string, warn: (message: string) => void): Promise<AppendLog> {
  await log.close();
  const aside = `${log.path}.unreadable-${Date.now()}`;
  await rename(log.path, aside);
  warn(`${what} ${log.path} ${why}; it was moved to ${aside} and a new one started`);
  return (await AppendLog.open(log.path)).log;
}
