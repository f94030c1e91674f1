/**
 * How a remote's final refusal of one of our queued objects is said: most are news (a warning);
 * two follow from something that needs no one's attention and are said at debug level.
 */
import { Ghid, HypergolixError, UnboundContainer, codeName, parseObject } from '../golix/index.js';
import type { RemoteLogger } from '../remote/logger.js';

export function logFinalRefusal(logger: RemoteLogger, o: { remote: string; ghid: string; raw: Buffer; err: unknown; storedHere: boolean }): void {
  const { err } = o;
  const code = err instanceof HypergolixError ? codeName(err.code) : 'error';
  const refused = `remote ${o.remote} refused ${Ghid.fromText(o.ghid).short} (${code}): ${(err as Error).message}`;
  if (!o.storedHere) {
    // Superseded or deleted here since it was queued (resent after a crash, whose done records
    // were not written yet): the remote has something newer, and nothing is lost.
    logger.debug(`${refused}; it is superseded here too`);
  } else if (err instanceof UnboundContainer && parseObject(o.raw).type === 'GEOC') {
    // Our containers go right after the frames that bind them: the frame was refused (another
    // computer of the account wrote first), and the conflict it raised writes the state again.
    logger.debug(`${refused}; its frame was refused before it`);
  } else {
    logger.warn(refused);
  }
}
