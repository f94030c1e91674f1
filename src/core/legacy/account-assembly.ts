import type { Buffer } from 'node:buffer';
import { Ghid, MalformedGolixPrimitive, Secret, SECRET_RECORD_LENGTH } from '../golix/index.js';
import {
  readIdentity,
  readIncoming,
  readOutstanding,
  readPending,
  readPrivate,
  readSecrets,
  readStartup,
  readTokens,
  readUnusedSetMap,
} from './account-objects.js';
import { DamagedAccount } from './errors.js';
import type { LegacyAccount, SystemObject, SystemObjectName } from './legacy-account.js';
import type { PyValue } from './pickle-values.js';

/**
 * What the reference's two account formats (HEAD, hypergolix-reference §2.4, and September 2016,
 * §2.9) share once each has found its system objects: the manifest record naming an object and
 * its master secret, and the account assembled from the objects' decoded values.
 */

/** A manifest record: the object's GHID (65 bytes), then its master secret. */
export const MANIFEST_RECORD_LENGTH = 65 + SECRET_RECORD_LENGTH;

export interface ManifestRecord<N extends SystemObjectName> {
  name: N;
  ghid: Ghid;
  master: Secret;
}

/** The record at `at`; a malformed GHID or secret is the root manifest's damage, named by the record. */
export function readManifestRecord<N extends SystemObjectName>(bytes: Buffer, at: number, name: N): ManifestRecord<N> {
  try {
    return { name, ghid: Ghid.fromBytes(bytes.subarray(at, at + 65)), master: Secret.fromRecord(bytes.subarray(at + 65, at + MANIFEST_RECORD_LENGTH)) };
  } catch (err) {
    if (err instanceof MalformedGolixPrimitive) throw new DamagedAccount('root', `record ${name}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** What a format has found before its objects' values are read. */
export type OpenedAccount = Pick<LegacyAccount, 'format' | 'userId' | 'fingerprint' | 'rootSecret' | 'systemObjects' | 'persistentSecrets'>;

/**
 * The account from its objects' decoded values, each checked against the shape the reference
 * writes. App tokens are 16 bytes at HEAD and 4 in 2016.
 */
export function assembleAccount(opened: OpenedAccount, value: (name: SystemObjectName) => PyValue, tokenLength: number): LegacyAccount {
  readUnusedSetMap('dispatch_orphan_acks', value('dispatch_orphan_acks'));
  readUnusedSetMap('dispatch_orphan_naks', value('dispatch_orphan_naks'));
  return {
    ...opened,
    identity: readIdentity(value('identity'), opened.fingerprint),
    quarantinedSecrets: readSecrets('privateer_quarantine', value('privateer_quarantine')),
    appTokens: readTokens('dispatch_tokens', value('dispatch_tokens'), tokenLength),
    startupObjects: readStartup('dispatch_startup', value('dispatch_startup'), tokenLength),
    privateObjects: readPrivate('dispatch_private', value('dispatch_private'), tokenLength),
    incomingShares: readIncoming('dispatch_incoming', value('dispatch_incoming')),
    pendingRequests: readPending('rolodex_pending', value('rolodex_pending')),
    outstandingShares: readOutstanding('rolodex_outstanding', value('rolodex_outstanding'), tokenLength),
  };
}

/** Looks an object's decoded value up by name among those opened. */
export function valuesByName(opened: readonly { object: SystemObject; value: PyValue }[]): (name: SystemObjectName) => PyValue {
  const byName = new Map(opened.map((x) => [x.object.name, x.value]));
  return (name) => {
    if (!byName.has(name)) throw new DamagedAccount(name, 'the account has no such object');
    return byName.get(name)!;
  };
}
