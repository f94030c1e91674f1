/**
 * The proof that a registration comes from the account itself: the account's identity signs
 * the server's challenge together with its own fingerprint, so a page link registers exactly
 * that fingerprint and nobody can register someone else's. The signed bytes start with a
 * context line no Golix object starts with, so such a signature can never pass for an object's.
 */
import { verify } from 'node:crypto';
import { Ghid, PublicIdentity, type PrivateIdentity } from '../golix/index.js';
import { PSS } from '../golix/identity.js';

const CONTEXT = 'hypergolix registration v1\n';

/** The bytes signed for a registration. */
export function registrationMessage(challenge: string, fingerprint: string): Buffer {
  return Buffer.from(`${CONTEXT}${challenge}\n${fingerprint}`, 'utf8');
}

/** The account's signature over a challenge, base64url. */
export async function signChallenge(identity: PrivateIdentity, challenge: string): Promise<string> {
  return (await identity.sign(registrationMessage(challenge, identity.ghid.text))).toString('base64url');
}

/**
 * Whether `signature` (base64url) is `gidc`'s over the challenge and its own fingerprint.
 * False for anything malformed; never throws.
 */
export function verifyChallenge(gidc: Buffer, fingerprint: string, challenge: string, signature: string): Promise<boolean> {
  let identity: PublicIdentity;
  try {
    identity = PublicIdentity.fromBytes(gidc);
  } catch {
    return Promise.resolve(false);
  }
  const fp = Ghid.tryText(fingerprint);
  if (!fp || !identity.ghid.equals(fp) || !/^[A-Za-z0-9_-]{1,1024}$/.test(signature)) return Promise.resolve(false);
  const sig = Buffer.from(signature, 'base64url');
  return new Promise((resolve) =>
    verify('sha512', registrationMessage(challenge, fp.text), { key: identity.signingKey, ...PSS }, sig, (err, ok) => resolve(!err && ok)),
  );
}
