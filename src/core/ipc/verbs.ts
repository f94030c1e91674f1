/**
 * Each IPC verb to the concern that handles it, for one app's connection: all but the key's
 * handshakes (`AU`, `AC`/`AP`) wait for the connection's admission. The server (server.ts)
 * is the transport and the gate; what each verb does is in the modules this table names.
 */
import type { DaemonPort } from '../daemon/port.js';
import type { RequestHandler } from '../remote/connection.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { Sharing } from '../sharing/sharing.js';
import {
  IPC_PROTOCOL_VERSION,
  IpcVerb,
  ONE,
  decodeProtocolVersion,
  encodeProtocolVersion,
  type DaemonStatusJson,
} from '../../wire/index.js';
import type { AppRegistry } from './app-registry.js';
import { statusHandlers } from './daemon-status.js';
import type { KeyGate } from './key-gate.js';
import type { ObjectAccess } from './object-access.js';
import { peopleHandlers } from './people.js';
import { IpcRefusal } from './refusal.js';
import type { Session } from './session.js';
import type { StatusWatch } from './status-watch.js';

/** What the verbs reach: the server's concerns. */
export interface VerbParts {
  daemon: DaemonPort;
  sharing: Sharing;
  registry: AppRegistry;
  access: ObjectAccess;
  gate: KeyGate;
  statusWatch: StatusWatch;
  /** The daemon's status as `D?` answers an app: the other apps connected are counted, not it. */
  statusFor(asking: Session): DaemonStatusJson;
  logger: RemoteLogger;
  /** Where apps find the key, for the refusal of a verb sent before the proof. */
  tokenFile: string | undefined;
}

/** The handlers of one connection's requests. */
export function verbHandlers(s: Session, p: VerbParts): Map<string, RequestHandler> {
  const gated = (fn: RequestHandler): RequestHandler => (body, ctx) => {
    s.lastActivity = Date.now();
    if (!s.admitted) {
      throw new IpcRefusal(`Authenticate first: prove the key (AC, then AP) from ${p.tokenFile ?? 'the ipc-token file in the Hypergolix home'}`);
    }
    return fn(body, ctx);
  };
  const V = IpcVerb;
  const { registry: r, access: a } = p;
  const table: [string, RequestHandler][] = [
    [V.version, (b) => answerVersion(s, b, p.logger)],
    [V.whoami, () => p.daemon.fingerprint.bytes],
    [V.registrationLink, (b) => registrationLink(s, b, p.daemon)],
    [V.setToken, (b, ctx) => r.setToken(s, b, ctx)],
    [V.getStartup, () => r.getStartup(s)],
    [V.registerStartup, (b) => r.registerStartup(s, b)],
    [V.deregisterStartup, () => r.deregisterStartup(s)],
    [V.registerApi, (b, ctx) => r.registerApi(s, b, ctx)],
    [V.deregisterApi, (b) => r.deregisterApi(s, b)],
    [V.newObject, (b, ctx) => a.newObject(s, b, ctx)],
    [V.getObject, (b) => a.getObject(s, b)],
    [V.updateObject, (b, ctx) => a.updateObject(s, b, ctx)],
    [V.syncObject, (b) => a.syncObject(s, b)],
    [V.shareObject, (b) => a.shareObject(s, b)],
    [V.freezeObject, (b) => a.freezeObject(s, b)],
    [V.holdObject, (b) => a.holdObject(s, b)],
    [V.discardObject, (b) => a.discardObject(s, b)],
    [V.deleteObject, (b) => a.deleteObject(s, b)],
  ];
  table.push(...peopleHandlers(s, p.daemon, p.sharing));
  table.push(...statusHandlers(s, p.statusFor, p.statusWatch, p.daemon));
  const map = new Map<string, RequestHandler>(table.map(([verb, fn]) => [verb, gated(fn)]));
  map.set(V.auth, (b) => (p.gate.rawKey(s, b), ONE));
  map.set(V.authChallenge, (b) => p.gate.challenge(s, b));
  map.set(V.authProof, (b) => (p.gate.proof(s, b), ONE));
  return map;
}

/** `?V`: the daemon's IPC protocol version; an app that says another one is logged (it decides). */
function answerVersion(s: Session, body: Buffer, logger: RemoteLogger): Uint8Array {
  if (body.length > 0) {
    const theirs = decodeProtocolVersion(body);
    if (theirs !== IPC_PROTOCOL_VERSION) logger.warn(`${s.name}: the app speaks IPC protocol ${theirs}, this daemon ${IPC_PROTOCOL_VERSION}`);
  }
  return encodeProtocolVersion(IPC_PROTOCOL_VERSION);
}

/** `?R`: signing for the account is for the user's own tools, never for a legacy client. */
async function registrationLink(s: Session, body: Buffer, daemon: DaemonPort): Promise<Buffer> {
  if (!s.authenticated) throw new IpcRefusal('Registration links need a connection authenticated with the IPC key');
  const remote = body.length > 0 ? body.toString('utf8') : undefined;
  return Buffer.from(await daemon.registrationLink(remote), 'utf8');
}
