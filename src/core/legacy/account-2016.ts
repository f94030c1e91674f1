import { scrypt, timingSafeEqual } from 'node:crypto';
import { Secret, type Ghid } from '../golix/index.js';
import { IncorrectPassword } from '../account/errors.js';
import { REFERENCE_KDF, checkKdf, type KdfParams } from '../account/kdf.js';
import { assembleAccount, MANIFEST_RECORD_LENGTH, readManifestRecord, valuesByName, type ManifestRecord } from './account-assembly.js';
import { readNameMap, readSecrets, unpickle } from './account-objects.js';
import { DamagedAccount, NotThisFormat } from './errors.js';
import type { LegacyAccount, SystemObject, SystemObjectName } from './legacy-account.js';
import { checkFingerprint } from './reference-account.js';
import { fetchRootFrame } from './root.js';
import { fetchAccountFrame, fetchCurrentContainer, openMasterObject, readMasterFrame, type ObjectSource } from './source.js';

const VALIDATOR_LENGTH = 32;
/** The primary manifest's four records after the validator (hypergolix-reference §2.9). */
const PRIMARY_NAMES = ['identity', 'privateer_persistent', 'privateer_quarantine', 'secondary_manifest'] as const;
export const PRIMARY_MANIFEST_MIN = VALIDATOR_LENGTH + PRIMARY_NAMES.length * MANIFEST_RECORD_LENGTH + 1024;
export const PRIMARY_MANIFEST_MAX = VALIDATOR_LENGTH + PRIMARY_NAMES.length * MANIFEST_RECORD_LENGTH + 9215;
const TOKEN_LENGTH = 4;

/** The secondary manifest's names, and the HEAD names of the same objects. */
const SECONDARY_NAMES = {
  'rolodex.pending': 'rolodex_pending',
  'rolodex.outstanding': 'rolodex_outstanding',
  'dispatch.alltokens': 'dispatch_tokens',
  'dispatch.startup': 'dispatch_startup',
  'dispatch.private': 'dispatch_private',
  'ipc.incoming': 'dispatch_incoming',
  'ipc.orphan_acks': 'dispatch_orphan_acks',
  'ipc.orphan_naks': 'dispatch_orphan_naks',
} as const satisfies Record<string, SystemObjectName>;
type SecondaryName = keyof typeof SECONDARY_NAMES;

export interface Login2016Options {
  source: ObjectSource;
  userId: Ghid;
  fingerprint?: Ghid | null;
  password: string;
  /** scrypt cost of the password and its validator; the 2016 default N = 2^15 (the test vectors use 1024). */
  kdf?: KdfParams;
}

/**
 * Opens an account made by py_hypergolix in September 2016, read-only (hypergolix-reference
 * §2.9): the primary manifest (GOBD v15, checked by its password validator), its four
 * master-secret objects, then the secondary manifest's eight objects, whose secrets are in the
 * persistent store. Errors as openReferenceAccount.
 */
export async function open2016Account(o: Login2016Options): Promise<LegacyAccount> {
  const root = await fetchRootFrame(o.source, o.userId, '2016');
  if (root.version !== 15) throw new NotThisFormat('2016', null, `Account ${o.userId.short} has GOBD v16 frames: it is not a 2016 account`);
  const fingerprint = checkFingerprint(root, o.fingerprint);
  const kdf = checkKdf(o.kdf ?? REFERENCE_KDF);
  const rootSecret = await primaryMaster(o.password, fingerprint, kdf);
  const { plaintext } = await readMasterFrame(o.source, root, rootSecret, 'root');
  await checkValidator(plaintext, rootSecret, kdf);
  const primary = await Promise.all(
    readPrimaryRecords(plaintext).map(async ({ name, ghid, master }) => {
      const { frame, container, plaintext: state } = await openMasterObject(o.source, ghid, master, fingerprint, name);
      return { object: { name, ghid, master, frame: frame.ghid, container: container.ghid } as SystemObject, value: unpickle(name, state) };
    }),
  );
  const primaryValue = (name: (typeof PRIMARY_NAMES)[number]) => primary.find((x) => x.object.name === name)!.value;
  const persistentSecrets = readSecrets('privateer_persistent', primaryValue('privateer_persistent'));
  const names = readNameMap('secondary_manifest', primaryValue('secondary_manifest'), Object.keys(SECONDARY_NAMES) as SecondaryName[]);
  const secondary = await Promise.all(
    [...names].map(async ([oldName, ghid]) => {
      const name = SECONDARY_NAMES[oldName];
      const frame = await fetchAccountFrame(o.source, ghid, fingerprint, name);
      const container = await fetchCurrentContainer(o.source, frame, name);
      const secret = persistentSecrets.get(container.ghid.text);
      if (!secret) throw new DamagedAccount(name, `the persistent store lacks the secret of its container ${container.ghid.short}`);
      return { object: { name, ghid, master: null, frame: frame.ghid, container: container.ghid } as SystemObject, value: unpickle(name, secret.apply(container.payload)) };
    }),
  );
  const opened = [...primary, ...secondary];
  const systemObjects = opened.map((x) => x.object);
  return assembleAccount({ format: '2016', userId: o.userId, fingerprint, rootSecret, systemObjects, persistentSecrets }, valuesByName(opened), TOKEN_LENGTH);
}

/**
 * The 2016 primary master: scrypt over the password as pycryptodome encoded a Python string
 * (Latin-1), salted with the fingerprint. A password outside Latin-1 cannot have made the account.
 */
async function primaryMaster(password: string, fingerprint: Ghid, kdf: KdfParams): Promise<Secret> {
  if ([...password].some((c) => c.codePointAt(0)! > 0xff)) throw new IncorrectPassword();
  const out = await scryptBytes(Buffer.from(password, 'latin1'), fingerprint.bytes, 48, kdf);
  return Secret.create(out.subarray(0, 32), out.subarray(32));
}

/** The first 32 bytes are scrypt(primary master key, 32 zero bytes): a mismatch is a wrong password. */
async function checkValidator(plaintext: Buffer, master: Secret, kdf: KdfParams): Promise<void> {
  const validator = await scryptBytes(master.key, Buffer.alloc(VALIDATOR_LENGTH), VALIDATOR_LENGTH, kdf);
  if (plaintext.length < VALIDATOR_LENGTH || !timingSafeEqual(validator, plaintext.subarray(0, VALIDATOR_LENGTH))) throw new IncorrectPassword();
}

function readPrimaryRecords(plaintext: Buffer): ManifestRecord<(typeof PRIMARY_NAMES)[number]>[] {
  if (plaintext.length < VALIDATOR_LENGTH + PRIMARY_NAMES.length * MANIFEST_RECORD_LENGTH) {
    throw new DamagedAccount('root', `a primary manifest of ${plaintext.length} bytes is too short`);
  }
  return PRIMARY_NAMES.map((name, i) => readManifestRecord(plaintext, VALIDATOR_LENGTH + i * MANIFEST_RECORD_LENGTH, name));
}

function scryptBytes(password: Buffer, salt: Buffer, length: number, { n, r, p }: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, length, { N: n, r, p, maxmem: 256 * n * r + 16 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
}
