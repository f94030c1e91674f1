import { ValueError } from './errors.js';
import { Ghid } from './ghid.js';
import { sha512 } from './header.js';
import type { PrivateIdentity } from './identity.js';
import { packGdxx, packGeoc, packGobd, packGobs, type Gdxx, type Geoc, type Gobd, type Gobs } from './objects.js';
import type { Secret } from './secret.js';
import { signObject } from './sign.js';

/** Where a dynamic binding stands: enough to write its next frame. */
export interface Frame {
  dynamic: Ghid;
  counter: bigint;
  /** Targets of the current frame, newest first. */
  targets: readonly Ghid[];
}

/** Hypergolix's default legroom: old targets kept in each frame (golix §9.1). */
export const DEFAULT_LEGROOM = 7;

/** Encrypts `plaintext` under `secret` and signs it as `author`. */
export async function makeContainer(author: PrivateIdentity, secret: Secret, plaintext: Buffer): Promise<Geoc> {
  return signObject<Geoc>(packGeoc(author.ghid, secret.apply(plaintext)), author);
}

export async function makeStatic(binder: PrivateIdentity, target: Ghid): Promise<Gobs> {
  return signObject<Gobs>(packGobs(binder.ghid, target), binder);
}

export async function makeDebinding(debinder: PrivateIdentity, target: Ghid): Promise<Gdxx> {
  return signObject<Gdxx>(packGdxx(debinder.ghid, target), debinder);
}

/**
 * The next frame of a dynamic binding (or its first, when `previous` is omitted): counter + 1,
 * the new target in front, at most `legroom` old targets behind it.
 */
export async function makeFrame(binder: PrivateIdentity, target: Ghid, previous?: Frame, legroom = DEFAULT_LEGROOM): Promise<Gobd> {
  const { unsigned } = nextFrameBytes(binder.ghid, target, previous, legroom);
  return signObject<Gobd>(unsigned, binder);
}

function nextFrameBytes(binder: Ghid, target: Ghid, previous: Frame | undefined, legroom: number) {
  if (!Number.isInteger(legroom) || legroom < 1 || legroom > 255) throw new ValueError('legroom must be 1..255');
  if (!previous) return packGobd(binder, 0n, [target]);
  const targets = [target, ...previous.targets.slice(0, legroom)];
  return packGobd(binder, previous.counter + 1n, targets, previous.dynamic);
}

/**
 * One update of a dynamic object: the new container and the frame binding it. The container's
 * GHID is its prefix hash, so the frame can be packed before either is signed, and the two
 * RSA signatures run in parallel on the thread pool.
 */
export async function makeUpdate(
  identity: PrivateIdentity,
  secret: Secret,
  plaintext: Buffer,
  previous?: Frame,
  legroom = DEFAULT_LEGROOM,
): Promise<{ container: Geoc; frame: Gobd }> {
  const unsignedGeoc = packGeoc(identity.ghid, secret.apply(plaintext));
  const containerGhid = Ghid.fromDigest(sha512(unsignedGeoc));
  const { unsigned } = nextFrameBytes(identity.ghid, containerGhid, previous, legroom);
  const [container, frame] = await Promise.all([signObject<Geoc>(unsignedGeoc, identity), signObject<Gobd>(unsigned, identity)]);
  return { container, frame };
}

/** Where a parsed frame leaves its binding: what makeFrame/makeUpdate need to write the next one. */
export function frameOf(gobd: Gobd): Frame {
  if (gobd.counter === null) {
    // v15 frames have no counter; a v16 successor starts above any counter a v15 chain implies.
    return { dynamic: gobd.dynamic, counter: BigInt(gobd.history.length), targets: gobd.targets };
  }
  return { dynamic: gobd.dynamic, counter: gobd.counter, targets: gobd.targets };
}
