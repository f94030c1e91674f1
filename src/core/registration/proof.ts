/**
 * The proof that a registration comes from the account itself, for the server it meant: the
 * account's identity signs the server's challenge, the server's name the challenge carries, and
 * its own fingerprint, so a page link registers exactly that fingerprint, nobody can register
 * someone else's, and a server cannot pass a challenge of another server off as its own (the
 * daemon signs only a challenge naming the server it asked, client.ts; the server seals only
 * names it answers to, http.ts). The signed bytes start with a context line no Golix object
 * starts with, so such a signature can never pass for an object's.
 *
 * v2: `hypergolix registration v2 \n server \n challenge \n fingerprint`. v1, for a challenge of a
 * server from before (LEGACY_CHALLENGE), named no server: `… v1 \n challenge \n fingerprint`.
 * Only challenges of either form are ever signed, so no server can have an account sign text
 * of its choosing.
 */
import { verify } from 'node:crypto';
import { Ghid, PublicIdentity, ValueError, type PrivateIdentity } from '../golix/index.js';
import { PSS } from '../golix/identity.js';
import { LEGACY_CHALLENGE, readChallenge } from './challenges.js';

const CONTEXT = 'hypergolix registration v2\n';
const CONTEXT_V1 = 'hypergolix registration v1\n';

/** Text offered for signing that is not a registration challenge. */
export class NotAChallenge extends ValueError {}

/**
 * The bytes signed for a registration over `challenge`: v2 for a challenge naming its server,
 * v1 for an older server's. Throws NotAChallenge for any other text.
 */
export function registrationMessage(challenge: string, fingerprint: string): Buffer {
  const fields = readChallenge(challenge);
  if (fields) return Buffer.from(`${CONTEXT}${fields.server}\n${challenge}\n${fingerprint}`, 'utf8');
  if (LEGACY_CHALLENGE.test(challenge)) return v1Message(challenge, fingerprint);
  throw new NotAChallenge('The server sent something other than a registration challenge; it was not signed');
}

function v1Message(challenge: string, fingerprint: string): Buffer {
  return Buffer.from(`${CONTEXT_V1}${challenge}\n${fingerprint}`, 'utf8');
}

/** The account's signature over a challenge, base64url. Rejects with NotAChallenge for other text. */
export async function signChallenge(identity: PrivateIdentity, challenge: string): Promise<string> {
  return (await identity.sign(registrationMessage(challenge, identity.ghid.text))).toString('base64url');
}

/**
 * Whether `signature` (base64url) is `gidc`'s over the challenge and its own fingerprint.
 * False for anything malformed; never throws.
 */
export function verifyChallenge(gidc: Buffer, fingerprint: string, challenge: string, signature: string): Promise<boolean> {
  if (typeof challenge !== 'string' || (!readChallenge(challenge) && !LEGACY_CHALLENGE.test(challenge))) return Promise.resolve(false);
  return verifyOver(gidc, fingerprint, (fp) => registrationMessage(challenge, fp), signature);
}

/**
 * Whether `signature` is `gidc`'s in the v1 form over a challenge that names its server: what a
 * daemon from before v2 sends. Such a link is refused (it names no server), and the page says
 * to update Hypergolix rather than that someone else signed it.
 */
export function signedByOlderVersion(gidc: Buffer, fingerprint: string, challenge: string, signature: string): Promise<boolean> {
  if (!readChallenge(challenge)) return Promise.resolve(false);
  return verifyOver(gidc, fingerprint, (fp) => v1Message(challenge, fp), signature);
}

function verifyOver(gidc: Buffer, fingerprint: string, message: (fp: string) => Buffer, signature: string): Promise<boolean> {
  let identity: PublicIdentity;
  try {
    identity = PublicIdentity.fromBytes(gidc);
  } catch {
    return Promise.resolve(false);
  }
  const fp = Ghid.tryText(fingerprint);
  if (!fp || !identity.ghid.equals(fp) || !/^[A-Za-z0-9_-]{1,1024}$/.test(signature)) return Promise.resolve(false);
  const sig = Buffer.from(signature, 'base64url');
  // As long as the modulus, exactly: OpenSSL reads a shorter one as the same number, so a signature
  // whose first byte is zero (one in 256) would also verify without it — a second encoding of it.
  if (sig.length * 8 !== identity.signingKey.asymmetricKeyDetails?.modulusLength) return Promise.resolve(false);
  return new Promise((resolve) =>
    verify('sha512', message(fp.text), { key: identity.signingKey, ...PSS }, sig, (err, ok) => resolve(!err && ok)),
  );
}
