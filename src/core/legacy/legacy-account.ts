import type { Ghid, PrivateIdentity, Secret } from '../golix/index.js';
import type { LegacyFormat } from './errors.js';

/**
 * The reference's account objects, by the names of its HEAD root manifest (hypergolix-reference
 * §2.4). A 2016 account has the same objects under other names, plus its secondary manifest.
 */
export type SystemObjectName =
  | 'identity'
  | 'privateer_persistent'
  | 'privateer_quarantine'
  | 'rolodex_pending'
  | 'rolodex_outstanding'
  | 'dispatch_tokens'
  | 'dispatch_startup'
  | 'dispatch_private'
  | 'dispatch_incoming'
  | 'dispatch_orphan_acks'
  | 'dispatch_orphan_naks'
  | 'secondary_manifest';

export interface SystemObject {
  name: SystemObjectName;
  /** Its dynamic GHID. */
  ghid: Ghid;
  /** The master secret its frames derive from; null for a 2016 secondary object, whose secret is in the persistent store. */
  master: Secret | null;
  /** Its current frame and container. */
  frame: Ghid;
  container: Ghid;
}

/** A share nobody picked up yet: the object and who shared it. */
export interface IncomingShare {
  ghid: Ghid;
  origin: Ghid;
}

/** A handshake this account sent and that is not answered yet: the request GARQ, what it shares, with whom. */
export interface PendingRequest {
  request: Ghid;
  target: Ghid;
  recipient: Ghid;
}

/** An object shared with someone, and the app tokens waiting for the answer. */
export interface OutstandingShare {
  target: Ghid;
  recipient: Ghid;
  tokens: readonly Buffer[];
}

/**
 * An account made by the Python Hypergolix, read: everything its system objects hold, as typed
 * values. Secrets are keyed by container GHID text, as the reference keys them.
 */
export interface LegacyAccount {
  format: LegacyFormat;
  userId: Ghid;
  fingerprint: Ghid;
  /** Rebuilt from the private keys; its GIDC is the fingerprint's. */
  identity: PrivateIdentity;
  /** What the password derives (the root secret; the 2016 "primary master"). */
  rootSecret: Secret;
  systemObjects: readonly SystemObject[];
  /** Every secret the account committed, by container GHID text. */
  persistentSecrets: ReadonlyMap<string, Secret>;
  /** Secrets received in shares and not used yet, by container GHID text. */
  quarantinedSecrets: ReadonlyMap<string, Secret>;
  /** Registered app tokens (16 bytes; 4 in 2016), without the null token. */
  appTokens: readonly Buffer[];
  /** The object each app opens at startup. */
  startupObjects: readonly { token: Buffer; ghid: Ghid }[];
  /** Objects only one app may see. */
  privateObjects: readonly { ghid: Ghid; token: Buffer }[];
  incomingShares: readonly IncomingShare[];
  pendingRequests: readonly PendingRequest[];
  outstandingShares: readonly OutstandingShare[];
}
