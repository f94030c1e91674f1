/**
 * The IPC key proof: how an app and the daemon show each other that they hold the same per-user
 * IPC key (`<home>/ipc-token`) without either sending it.
 *
 * The first handshake (`AU`) sent the key itself, so whatever listened on the daemon's port
 * received it — a local program that bound the port while the daemon was down got the key from
 * the next `hypergolix status` and could then use the account through the real daemon. Now:
 *
 *   app → daemon  `AC`  app nonce (32)              → daemon nonce (32) ‖ daemon proof (32)
 *   app → daemon  `AP`  app proof (32)              → `01`
 *
 *   daemon proof = HMAC-SHA-256(key, "hypergolix ipc key proof v1 daemon" ‖ 00 ‖ port ‖ app nonce ‖ daemon nonce)
 *   app proof    = HMAC-SHA-256(key, "hypergolix ipc key proof v1 app"    ‖ 00 ‖ port ‖ app nonce ‖ daemon nonce)
 *
 * `port` (u16 BE) is the TCP port the daemon listens on, as the app dialled it. The app checks
 * the daemon's proof before it sends its own, so a listener that does not hold the key learns
 * nothing but a nonce. Naming the port stops a relay: a program on port P that passes the
 * exchange on to the real daemon on port Q gets a daemon proof over Q, which the app (having
 * dialled P) refuses. The roles' labels differ, so neither proof can stand for the other, and
 * both nonces are fresh per connection, so no proof can be replayed.
 *
 * `AU` is still accepted by the daemon from apps built with an older SDK; this project's apps
 * and tools never send it.
 */
import { concatBytes } from './bytes.js';
import { MalformedGolixPrimitive } from './errors.js';
import { IpcVerb } from './ipc.js';
import { constantTimeEqual, hmacSha256, SHA256_BYTES } from './sha256.js';

/** Each side's nonce, in bytes. */
export const AUTH_NONCE_BYTES = 32;
/** A proof (an HMAC-SHA-256), in bytes. */
export const AUTH_PROOF_BYTES = SHA256_BYTES;

export type ProofRole = 'daemon' | 'app';

const LABEL: Record<ProofRole, Uint8Array> = {
  daemon: new TextEncoder().encode('hypergolix ipc key proof v1 daemon\0'),
  app: new TextEncoder().encode('hypergolix ipc key proof v1 app\0'),
};

/** What a proof is an HMAC of: the role's label, the port, both nonces (app's first). */
export function proofMessage(role: ProofRole, port: number, appNonce: Uint8Array, daemonNonce: Uint8Array): Uint8Array {
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new MalformedGolixPrimitive(`An IPC port is 1 to 65535, got ${port}`);
  checkLength(appNonce, AUTH_NONCE_BYTES, 'An app nonce');
  checkLength(daemonNonce, AUTH_NONCE_BYTES, 'A daemon nonce');
  return concatBytes(LABEL[role], Uint8Array.of(port >> 8, port & 0xff), appNonce, daemonNonce);
}

/** A proof, computed with this module's HMAC (the daemon may use its runtime's: the bytes are the same). */
export function keyProof(key: Uint8Array, role: ProofRole, port: number, appNonce: Uint8Array, daemonNonce: Uint8Array): Uint8Array {
  return hmacSha256(key, proofMessage(role, port, appNonce, daemonNonce));
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new MalformedGolixPrimitive(`${what} is ${length} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
}

/** An `AC` body: the app's nonce. */
export function decodeAuthChallenge(body: Uint8Array): Uint8Array {
  checkLength(body, AUTH_NONCE_BYTES, 'An AC body (the app nonce)');
  return body.slice();
}

/** The daemon's answer to `AC`. */
export function encodeAuthChallengeAnswer(daemonNonce: Uint8Array, daemonProof: Uint8Array): Uint8Array {
  checkLength(daemonNonce, AUTH_NONCE_BYTES, 'A daemon nonce');
  checkLength(daemonProof, AUTH_PROOF_BYTES, 'A daemon proof');
  return concatBytes(daemonNonce, daemonProof);
}

export function decodeAuthChallengeAnswer(body: Uint8Array): { daemonNonce: Uint8Array; daemonProof: Uint8Array } {
  checkLength(body, AUTH_NONCE_BYTES + AUTH_PROOF_BYTES, 'An answer to AC');
  return { daemonNonce: body.slice(0, AUTH_NONCE_BYTES), daemonProof: body.slice(AUTH_NONCE_BYTES) };
}

/** An `AP` body: the app's proof. */
export function decodeAuthProof(body: Uint8Array): Uint8Array {
  checkLength(body, AUTH_PROOF_BYTES, 'An AP body (the app proof)');
  return body.slice();
}

/**
 * What listens on the port did not prove it holds the key (its proof was wrong, or its answer to
 * `AC` no proof at all): it is not the daemon of this key (another program, another user's
 * daemon, or a relay). Nothing was sent that it could use: only a nonce.
 */
export class NotThisDaemon extends Error {
  constructor(
    readonly port: number,
    /** What was wrong with the answer, for the message. */
    readonly why: string,
  ) {
    super(`What answers on IPC port ${port} could not prove it holds this IPC key (${why}): the key is not the one of the daemon there (another home's key file, or one replaced since it started), or what listens is not your Hypergolix daemon. The key was not sent.`);
    this.name = 'NotThisDaemon';
  }
}

/** The two requests of the proof, over whatever connection the caller has. */
export type AuthRequest = (verb: typeof IpcVerb.authChallenge | typeof IpcVerb.authProof, body: Uint8Array) => Promise<Uint8Array>;

/**
 * The app's side: checks that the listener on `port` holds `key`, then proves that it does too.
 * Resolves once the daemon admitted the connection; rejects with NotThisDaemon when the
 * listener's proof is wrong or missing (before anything of ours but a nonce was sent), and with
 * whatever `request` rejects with (the daemon's refusal, a timeout, a closed connection).
 */
export async function proveKeyToDaemon(request: AuthRequest, key: Uint8Array, port: number, random: (bytes: Uint8Array) => Uint8Array = (b) => globalThis.crypto.getRandomValues(b)): Promise<void> {
  const appNonce = random(new Uint8Array(AUTH_NONCE_BYTES));
  const answer = await request(IpcVerb.authChallenge, appNonce);
  if (answer.length !== AUTH_NONCE_BYTES + AUTH_PROOF_BYTES) throw new NotThisDaemon(port, `its answer to AC was ${answer.length} bytes, not ${AUTH_NONCE_BYTES + AUTH_PROOF_BYTES}`);
  const { daemonNonce, daemonProof } = decodeAuthChallengeAnswer(answer);
  if (!constantTimeEqual(daemonProof, keyProof(key, 'daemon', port, appNonce, daemonNonce))) throw new NotThisDaemon(port, 'its proof was not made with this key, or for this port');
  await request(IpcVerb.authProof, keyProof(key, 'app', port, appNonce, daemonNonce));
}
