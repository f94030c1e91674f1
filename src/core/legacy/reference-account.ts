import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidIdentity, ValueError, type Ghid, type Gobd, type Secret } from '../golix/index.js';
import { IncorrectPassword } from '../account/errors.js';
import { REFERENCE_KDF, deriveRootSecret, type KdfParams } from '../account/kdf.js';
import { assembleAccount, MANIFEST_RECORD_LENGTH, readManifestRecord, valuesByName, type ManifestRecord } from './account-assembly.js';
import { readSecrets, unpickle } from './account-objects.js';
import { DamagedAccount, NotThisFormat } from './errors.js';
import type { LegacyAccount, SystemObject, SystemObjectName } from './legacy-account.js';
import { openMasterObject, readMasterFrame, type ObjectSource } from './source.js';
import { fetchRootFrame } from './root.js';

/** The eleven records of the HEAD root manifest, in order (hypergolix-reference §2.4). */
export const REFERENCE_MANIFEST_NAMES = [
  'identity',
  'privateer_persistent',
  'privateer_quarantine',
  'rolodex_pending',
  'rolodex_outstanding',
  'dispatch_tokens',
  'dispatch_startup',
  'dispatch_private',
  'dispatch_incoming',
  'dispatch_orphan_acks',
  'dispatch_orphan_naks',
] as const satisfies readonly SystemObjectName[];

const CHECKSUM_LENGTH = 64;
/** The reference pads with 1024–9215 bytes; only the records and the checksum matter here. */
export const REFERENCE_MANIFEST_MIN = REFERENCE_MANIFEST_NAMES.length * MANIFEST_RECORD_LENGTH + 1024 + CHECKSUM_LENGTH;
export const REFERENCE_MANIFEST_MAX = REFERENCE_MANIFEST_NAMES.length * MANIFEST_RECORD_LENGTH + 9215 + CHECKSUM_LENGTH;
const TOKEN_LENGTH = 16;
const OUR_MANIFEST_MAGIC = Buffer.from('HGXR', 'latin1');

export interface ReferenceLoginOptions {
  source: ObjectSource;
  userId: Ghid;
  /** When known (from the config), the root frame's binder must be it. */
  fingerprint?: Ghid | null;
  /** The password, or… */
  password?: string;
  /** …the root secret itself (`user.root_secret` in a reference config, hypergolix-reference §2.2). */
  rootSecret?: Secret;
  /** scrypt cost; the reference's fixed N = 2^15, r 8, p 1 by default. */
  kdf?: KdfParams;
}

/**
 * Opens an account made by py_hypergolix 0.1.0 (its head), read-only: password → root secret
 * (§2.2), the root manifest and its checksum (§2.4), then the eleven system objects, each
 * decoded by the restricted pickle decoder. Errors: IncorrectPassword (checksum),
 * NotThisFormat (a 2016 account, or one in this project's format), DamagedAccount (right
 * password, wrong content), LegacyObjectMissing (an object no source has).
 */
export async function openReferenceAccount(o: ReferenceLoginOptions): Promise<LegacyAccount> {
  const root = await fetchRootFrame(o.source, o.userId, 'reference-0.1');
  if (root.version !== 16) throw new NotThisFormat('reference-0.1', '2016', `Account ${o.userId.short} was made by the 2016 Hypergolix`);
  const fingerprint = checkFingerprint(root, o.fingerprint);
  if (o.password === undefined && !o.rootSecret) throw new ValueError('Opening an account needs its password or its root secret');
  const rootSecret = o.rootSecret ?? (await deriveRootSecret(o.password!, fingerprint, o.kdf ?? REFERENCE_KDF));
  const { plaintext } = await readMasterFrame(o.source, root, rootSecret, 'root');
  const records = readRootManifest(plaintext);
  const opened = await Promise.all(
    records.map(async ({ name, ghid, master }) => {
      const { frame, container, plaintext: state } = await openMasterObject(o.source, ghid, master, fingerprint, name);
      const object: SystemObject = { name, ghid, master, frame: frame.ghid, container: container.ghid };
      return { object, value: unpickle(name, state) };
    }),
  );
  const value = valuesByName(opened);
  const systemObjects = opened.map((x) => x.object);
  const persistentSecrets = readSecrets('privateer_persistent', value('privateer_persistent'));
  return assembleAccount({ format: 'reference-0.1', userId: o.userId, fingerprint, rootSecret, systemObjects, persistentSecrets }, value, TOKEN_LENGTH);
}

/** The root frame's binder is the fingerprint; a configured one must agree. */
export function checkFingerprint(root: Gobd, configured: Ghid | null | undefined): Ghid {
  if (configured && !configured.equals(root.binder)) {
    throw new InvalidIdentity(`User ID ${root.dynamic.short} belongs to ${root.binder.short}, not the configured fingerprint ${configured.short}`);
  }
  return root.binder;
}

/**
 * The root manifest: 11 × (GHID 65 | master secret 53) | padding | SHA-512 of everything before.
 * A checksum mismatch is a wrong password; a right checksum over our own manifest format is an
 * account of this project.
 */
export function readRootManifest(plaintext: Buffer): ManifestRecord<SystemObjectName>[] {
  const body = plaintext.subarray(0, Math.max(0, plaintext.length - CHECKSUM_LENGTH));
  const sum = plaintext.subarray(body.length);
  if (sum.length !== CHECKSUM_LENGTH || !timingSafeEqual(createHash('sha512').update(body).digest(), sum)) throw new IncorrectPassword();
  if (body.subarray(0, OUR_MANIFEST_MAGIC.length).equals(OUR_MANIFEST_MAGIC)) {
    throw new NotThisFormat('reference-0.1', 'ours', 'The account is in this project\'s own format');
  }
  if (body.length < REFERENCE_MANIFEST_NAMES.length * MANIFEST_RECORD_LENGTH) throw new DamagedAccount('root', `a manifest of ${plaintext.length} bytes is too short`);
  return REFERENCE_MANIFEST_NAMES.map((name, i) => readManifestRecord(body, i * MANIFEST_RECORD_LENGTH, name));
}
