/**
 * The daemon's side of the IPC handshakes: the key proof (`AC`/`AP`, src/wire/ipc-auth.ts), in
 * which the daemon proves it holds the IPC key before the app proves it does, and the first
 * handshake (`AU`, the key itself), still accepted from apps built with an older SDK.
 *
 * Each connection gets one proof exchange: its nonces are kept on the session between `AC` and
 * `AP`, and a wrong proof closes the connection as a wrong key does. Proofs are checked with
 * node:crypto's HMAC, the wire module's only builds the message.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RemoteLogger } from '../remote/logger.js';
import { IpcRefusal } from './refusal.js';
import type { Session } from './session.js';
import { sameKey } from './token.js';
import {
  AUTH_NONCE_BYTES,
  AUTH_TOKEN_BYTES,
  decodeAuthChallenge,
  decodeAuthProof,
  encodeAuthChallengeAnswer,
  proofMessage,
  type ProofRole,
} from '../../wire/index.js';

export interface KeyGateOptions {
  key: Uint8Array;
  /** The port the daemon listens on (both proofs name it). */
  port: () => number;
  logger: RemoteLogger;
  /** Where apps find the key, named in refusals. */
  tokenFile: string | undefined;
  /** Whether `AU` (the key itself) is accepted (`process.ipc_accept_sent_key`). */
  acceptSentKey: boolean;
  /** Admits a connection that proved the key (it may refuse: too many apps). */
  admit: (s: Session) => void;
  /** Closes a connection that failed, once its `NK` is out. */
  reject: (s: Session) => void;
}

export class KeyGate {
  constructor(private readonly o: KeyGateOptions) {}

  /** `AC`: the app's nonce → ours and the daemon's proof; the app checks it before proving anything. */
  challenge(s: Session, body: Uint8Array): Uint8Array {
    if (s.keyProof !== null || s.authenticated) throw this.fail(s, 'one key proof per connection: this one already began');
    const appNonce = decodeAuthChallenge(body);
    const daemonNonce = randomBytes(AUTH_NONCE_BYTES);
    s.keyProof = { appNonce, daemonNonce };
    return encodeAuthChallengeAnswer(daemonNonce, this.hmac('daemon', appNonce, daemonNonce));
  }

  /** `AP`: the app's proof over both nonces; admits the connection when it matches. */
  proof(s: Session, body: Uint8Array): void {
    const pending = s.keyProof;
    if (pending === null || s.authenticated) throw this.fail(s, 'AP comes after AC, once per connection');
    s.keyProof = { ...pending, spent: true };
    const theirs = decodeAuthProof(body);
    if (pending.spent || !timingSafeEqual(theirs, this.hmac('app', pending.appNonce, pending.daemonNonce))) {
      this.o.logger.warn(`${s.name}: wrong IPC key proof; closing the connection`);
      throw this.fail(s, 'that proof was not made with the IPC key of this Hypergolix daemon');
    }
    s.handshake = 'proof';
    this.o.admit(s);
  }

  /** `AU`: the key itself, from an app of an older SDK. */
  rawKey(s: Session, body: Uint8Array): void {
    if (!this.o.acceptSentKey) {
      this.o.logger.warn(`${s.name}: an app sent the IPC key itself (AU, hgx SDK 0.2), which process.ipc_accept_sent_key refuses; closing the connection`);
      throw this.fail(s, 'this daemon takes only the key proof (process.ipc_accept_sent_key is off): update the app to hgx SDK 0.3, or turn "Allow apps that send their key" on');
    }
    if (body.length === AUTH_TOKEN_BYTES && sameKey(body, this.o.key)) {
      if (!s.authenticated) this.o.logger.info(`${s.name}: authenticated with AU (the key itself), as SDKs before 0.3 do; its app should update its hgx SDK`);
      s.handshake ??= 'key';
      this.o.admit(s);
      return;
    }
    this.o.logger.warn(`${s.name}: wrong IPC key; closing the connection`);
    throw this.fail(s, 'that is not the IPC key of this Hypergolix daemon');
  }

  /** The refusal of a failed handshake; the connection closes once it is out. */
  private fail(s: Session, why: string): IpcRefusal {
    this.o.reject(s);
    return new IpcRefusal(`Authentication failed: ${why}${this.o.tokenFile ? ` (the key is in ${this.o.tokenFile})` : ''}`);
  }

  private hmac(role: ProofRole, appNonce: Uint8Array, daemonNonce: Uint8Array): Buffer {
    return createHmac('sha256', this.o.key).update(proofMessage(role, this.o.port(), appNonce, daemonNonce)).digest();
  }
}
