/**
 * Which daemons this SDK talks to. Right after authenticating, the link asks the daemon's IPC
 * protocol version (`?V`, sending its own) and refuses a daemon outside `SUPPORTED_IPC_PROTOCOLS`
 * with IncompatibleDaemon, naming both sides and which one to update — before the first
 * request whose bytes the two might read differently. A legacy link (`legacy: true`, for the
 * Python reference daemon, which knows no `?V`) skips the check when the daemon does not answer it.
 */
import { IPC_PROTOCOL_VERSION, IpcVerb, decodeProtocolVersion, encodeProtocolVersion } from '../../../src/wire/index.js';
import { IncompatibleDaemon, IpcError, type ProtocolRange } from './errors.js';

/** This package's version (kept equal to package.json's by a test). */
export const SDK_VERSION = '0.4.0';

/**
 * The IPC protocol versions this SDK speaks: 1 is Hypergolix 0.2's (hypergolix-reference §4 + `AU`
 * + `?V`), with the key proof (`AC`/`AP`) added since: a daemon without it is refused at `AC` (auth.ts).
 */
export const SUPPORTED_IPC_PROTOCOLS: ProtocolRange = Object.freeze({ min: 1, max: IPC_PROTOCOL_VERSION });

type Ask = (verb: string, body: Uint8Array) => Promise<Uint8Array>;

/** The daemon's IPC protocol version, or null for a legacy daemon that knows no `?V`; else IncompatibleDaemon. */
export async function checkDaemonProtocol(ask: Ask, legacy: boolean): Promise<number | null> {
  const { min, max } = SUPPORTED_IPC_PROTOCOLS;
  const speaks = min === max ? `${min}` : `${min}–${max}`;
  let answer: Uint8Array;
  try {
    answer = await ask(IpcVerb.version, encodeProtocolVersion(IPC_PROTOCOL_VERSION));
  } catch (err) {
    if (!(err instanceof IpcError)) throw err;
    if (legacy) return null;
    throw new IncompatibleDaemon(
      `The daemon does not tell its IPC protocol version (${err.message}): it is older than @hypergolix/hgx ${SDK_VERSION}, which speaks IPC protocol ${speaks} (Hypergolix 0.2 or later). Update Hypergolix, or connect with { legacy: true } to a reference daemon that admits legacy clients`,
      null,
      SUPPORTED_IPC_PROTOCOLS,
    );
  }
  let theirs: number;
  try {
    theirs = decodeProtocolVersion(answer);
  } catch {
    throw new IncompatibleDaemon(`The daemon answered the IPC protocol version check with ${answer.length} bytes instead of 2: it is not a daemon @hypergolix/hgx ${SDK_VERSION} can talk to`, null, SUPPORTED_IPC_PROTOCOLS);
  }
  if (theirs < min || theirs > max) {
    const fix = theirs > max ? 'update the SDK (npm install @hypergolix/hgx@latest)' : 'update Hypergolix, or use an older @hypergolix/hgx';
    throw new IncompatibleDaemon(`The daemon speaks IPC protocol ${theirs}; @hypergolix/hgx ${SDK_VERSION} speaks ${speaks}: ${fix}`, theirs, SUPPORTED_IPC_PROTOCOLS);
  }
  return theirs;
}

/** The code a daemon refuses a verb it does not know with (CommsError, 000E). */
const UNKNOWN_VERB = 0x000e;

/**
 * A request of a verb added after 0.4 (`what`, in words) refused as unknown: IncompatibleDaemon
 * naming the Hypergolix to update to; anything else as it was.
 */
export function olderDaemonOr(err: unknown, what: string, daemonProtocol: number | null): unknown {
  if (!(err instanceof IpcError) || err.code !== UNKNOWN_VERB) return err;
  return new IncompatibleDaemon(`The daemon is of Hypergolix 0.4 or older, which cannot ${what} (it tries them on its own, at most 30 s apart): update Hypergolix`, daemonProtocol, SUPPORTED_IPC_PROTOCOLS);
}
