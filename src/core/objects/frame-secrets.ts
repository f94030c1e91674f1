import type { Geoc, Gobd, Secret } from '../golix/index.js';
import { decodeAppObject, type ApiId } from './hgxd.js';
import { healSecret, type KnownSecret } from './secrets.js';

/** What a frame's container holds, and the secret that opened it. */
export interface OpenedFrame {
  secret: Secret;
  apiId: ApiId;
  state: Buffer;
}

/**
 * The secrets to try on a frame's container. `healed`: a secret known here (`known`, null when
 * the object has no record here) carried along the frame's vector, the only one to try. Else a
 * share's secret, carried from each container of the vector: it opens whichever was current
 * when the share was sent, which may be any entry by now. With neither, healSecret's
 * UnknownSecret (a record that cannot catch up and no share to give way to).
 */
export function secretsToTry(frame: Gobd, known: readonly KnownSecret[] | null, share: Secret | null): { healed: Secret | null; candidates: Secret[] } {
  if (known) {
    try {
      const healed = healSecret(frame, known);
      return { healed, candidates: [healed] };
    } catch (err) {
      if (!share) throw err;
    }
  }
  if (!share) return { healed: null, candidates: [] };
  return { healed: null, candidates: frame.targets.map((container) => healSecret(frame, { container, secret: share })) };
}

/** The first of `candidates` that yields an app object from the container, or null. */
export function openWithAny(container: Geoc, candidates: readonly Secret[]): OpenedFrame | null {
  for (const secret of candidates) {
    try {
      return { secret, ...decodeAppObject(secret.apply(container.payload)) };
    } catch {
      // not this one
    }
  }
  return null;
}

/** Whether a secret known here can be carried along the frame's vector to the newest container's. */
export function readableWith(frame: Gobd, known: readonly KnownSecret[]): boolean {
  try {
    healSecret(frame, known);
    return true;
  } catch {
    return false;
  }
}
