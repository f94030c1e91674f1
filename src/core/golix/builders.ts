import { ValueError } from './errors.js';
import { Ghid } from './ghid.js';
import { sha512 } from './header.js';
import type { PrivateIdentity } from './identity.js';
import { packGdxx, packGeoc, packGobd, packGobs, type Gdxx, type Geoc, type Gobd, type Gobs, type Unsigned } from './objects.js';
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
  if (!previous) return { ...packGobd(binder, 0n, [target]), counter: 0n, targets: [target] };
  const targets = [target, ...previous.targets.slice(0, legroom)];
  const counter = previous.counter + 1n;
  return { ...packGobd(binder, counter, targets, previous.dynamic), counter, targets };
}

/** An update packed but not signed yet: everything in it is known before either signature. */
export interface PreparedUpdate {
  unsignedContainer: Unsigned;
  unsignedFrame: Unsigned;
  /** The container's GHID (its prefix hash, the same however often it is signed). */
  container: Ghid;
  /** Where the binding stands once this frame is written. */
  frame: Frame;
}

/**
 * Packs one update of a dynamic object: the new container and the frame binding it. The
 * container's GHID is its prefix hash, so the frame can be packed before either is signed.
 */
export function prepareUpdate(
  identity: PrivateIdentity,
  secret: Secret,
  plaintext: Buffer,
  previous?: Frame,
  legroom = DEFAULT_LEGROOM,
): PreparedUpdate {
  const unsignedContainer = packGeoc(identity.ghid, secret.apply(plaintext));
  const container = ghidOfUnsigned(unsignedContainer);
  const { unsigned, dynamic, counter, targets } = nextFrameBytes(identity.ghid, container, previous, legroom);
  return { unsignedContainer, unsignedFrame: unsigned, container, frame: { dynamic, counter, targets } };
}

/** The GHID an object will have once signed: the SHA-512 of its unsigned prefix. */
export function ghidOfUnsigned(unsigned: Unsigned): Ghid {
  return Ghid.fromDigest(sha512(unsigned));
}

/** Signs a packed update; the two RSA signatures run in parallel on the thread pool. */
export async function signUpdate(identity: PrivateIdentity, unsignedContainer: Unsigned, unsignedFrame: Unsigned): Promise<{ container: Geoc; frame: Gobd }> {
  const [container, frame] = await Promise.all([signObject<Geoc>(unsignedContainer, identity), signObject<Gobd>(unsignedFrame, identity)]);
  return { container, frame };
}

/** One update of a dynamic object, packed and signed. */
export async function makeUpdate(
  identity: PrivateIdentity,
  secret: Secret,
  plaintext: Buffer,
  previous?: Frame,
  legroom = DEFAULT_LEGROOM,
): Promise<{ container: Geoc; frame: Gobd }> {
  const prepared = prepareUpdate(identity, secret, plaintext, previous, legroom);
  return signUpdate(identity, prepared.unsignedContainer, prepared.unsignedFrame);
}

/** Where a parsed frame leaves its binding: what makeFrame/makeUpdate need to write the next one. */
export function frameOf(gobd: Gobd): Frame {
  if (gobd.counter === null) {
    // v15 frames have no counter; a v16 successor starts above any counter a v15 chain implies.
    return { dynamic: gobd.dynamic, counter: BigInt(gobd.history.length), targets: gobd.targets };
  }
  return { dynamic: gobd.dynamic, counter: gobd.counter, targets: gobd.targets };
}
