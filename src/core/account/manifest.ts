import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Reader } from '../golix/bytes.js';
import { Ghid, MalformedGolixPrimitive, Secret, SECRET_RECORD_LENGTH } from '../golix/index.js';
import { AccountFromOtherVersion, DamagedAccount, IncorrectPassword } from './errors.js';

/** One internal account object: its dynamic GHID and the master secret its frames derive from. */
export interface ManifestRecord {
  ghid: Ghid;
  master: Secret;
}

export type ManifestName = 'identity' | 'secrets' | 'state';
/**
 * `recovery` names the account's recovery node (recovery.ts) once a recovery kit was made; its
 * secret is not the node's (that derives from the recovery key) and is never used. Versions that
 * do not know the record skip it.
 */
export type RootManifest = Record<ManifestName, ManifestRecord> & { recovery?: ManifestRecord };
const NAMES: readonly ManifestName[] = ['identity', 'secrets', 'state'];
const MAGIC = 'HGXR';
const VERSION = 1;

/**
 * The root node's plaintext (our account format, hypergolix-reference §2.10):
 * `"HGXR" | version u8 = 1 | count u8 | count × (name length u8 | name | GHID (65) | SH (53)) |
 *  padding length u16 | random padding | SHA-512 of everything before it`.
 * The checksum is how a wrong password is recognised: the root secret decrypts garbage.
 * The padding (1024–9215 bytes, as the reference) hides the manifest's exact size.
 */
export function encodeManifest(m: RootManifest): Buffer {
  const records: [string, ManifestRecord][] = NAMES.map((name) => [name, m[name]]);
  if (m.recovery) records.push(['recovery', m.recovery]);
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1'), Buffer.of(VERSION, records.length)];
  for (const [name, record] of records) {
    parts.push(Buffer.of(name.length), Buffer.from(name, 'latin1'), record.ghid.bytes, record.master.toRecord());
  }
  const padLength = 1024 + (randomBytes(2).readUInt16BE(0) & 0x1fff);
  const pad = Buffer.alloc(2);
  pad.writeUInt16BE(padLength);
  parts.push(pad, randomBytes(padLength));
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha512').update(body).digest()]);
}

export function decodeManifest(data: Buffer): RootManifest {
  // A wrong password decrypts to noise, which starts with "HGXR" and our version once in 2^40:
  // with that header, a checksum that fails means a right password and a damaged manifest.
  const ours = data.length >= 5 && data.toString('latin1', 0, 4) === MAGIC && data[4] === VERSION;
  const body = data.subarray(0, Math.max(0, data.length - 64));
  if (data.length < 70 || !timingSafeEqual(createHash('sha512').update(body).digest(), data.subarray(data.length - 64))) {
    if (ours) throw new DamagedAccount('root', 'its checksum does not match: the manifest was damaged or cut short');
    throw new IncorrectPassword();
  }
  // The checksum matched: the password is right, so what follows is about the format.
  if (body.subarray(0, 4).toString('latin1') !== MAGIC) {
    throw new AccountFromOtherVersion('reference-0.1', 'The account was made by the Python Hypergolix (its root manifest has no "HGXR" header)');
  }
  if (body[4]! < VERSION) throw new DamagedAccount('root', `unknown manifest version ${body[4]}`);
  if (body[4] !== VERSION) {
    throw new AccountFromOtherVersion(`ours-v${body[4]}`, `The account was made by a newer Hypergolix (root manifest version ${body[4]}; this version reads ${VERSION})`);
  }
  try {
    return readRecords(body);
  } catch (err) {
    if (err instanceof MalformedGolixPrimitive && !(err instanceof DamagedAccount)) throw new DamagedAccount('root', err.message, { cause: err });
    throw err;
  }
}

function readRecords(body: Buffer): RootManifest {
  const r = new Reader(body, 'root manifest');
  r.take(5);
  const out: Partial<RootManifest> = {};
  for (let i = r.u8(); i > 0; i--) {
    const name = r.take(r.u8()).toString('latin1');
    // A copy: a view would keep the whole decrypted manifest (every object's master secret) in memory with it.
    const ghid = Ghid.fromBytes(Buffer.from(r.ghid().bytes));
    const master = Secret.fromRecord(r.take(SECRET_RECORD_LENGTH));
    if ((NAMES as readonly string[]).includes(name)) out[name as ManifestName] = { ghid, master };
    else if (name === 'recovery') out.recovery = { ghid, master };
  }
  r.take(r.u16());
  r.end();
  for (const name of NAMES) if (!out[name]) throw new DamagedAccount('root', `the manifest lacks "${name}"`);
  return out as RootManifest;
}
