import { UnknownSecret, type Ghid } from '../golix/index.js';

/**
 * A frame names a container that is not here (nor on any remote asked): the frame can arrive
 * before its container does (both are published, frame first, and a reference-era server
 * announces the frame at once), or the frame was superseded and its container removed while it
 * was being read. Fetching again, a moment later, is the remedy. On the wire it is
 * UnknownSecret (000D).
 */
export class ContainerMissing extends UnknownSecret {
  constructor(
    readonly container: Ghid,
    readonly dynamic: Ghid,
    what = 'object',
  ) {
    super(`Container ${container.short} of ${what} ${dynamic.short} is missing`);
  }
}

/**
 * The object is neither here nor on any remote asked: deleted by its author, or never uploaded
 * (or no remote is connected to ask). Not a matter of keys, so nobody is asked to share it again;
 * on the wire it is UnknownSecret (000D), as the daemon always answered an app's open of it.
 */
export class ObjectNotFound extends UnknownSecret {
  constructor(
    readonly ghid: Ghid,
    message = `Object ${ghid.short} was not found locally or on any remote`,
  ) {
    super(message);
  }
}

/** No secret known here reads the object: an UnknownSecret other than a container not here yet (which waiting cures) or an object found nowhere. */
export function noSecretReads(err: unknown): boolean {
  return err instanceof UnknownSecret && !(err instanceof ContainerMissing) && !(err instanceof ObjectNotFound);
}
