import { verify as verifyCallback } from 'node:crypto';
import { InvalidIdentity, VerificationFailure } from './errors.js';
import type { Ghid } from './ghid.js';
import { sha512 } from './header.js';
import { PSS, type PrivateIdentity, type PublicIdentity } from './identity.js';
import { parseObject, signerOf, type SignedObject, type Unsigned } from './objects.js';

/**
 * Finishes a signed object: appends the file digest and the signer's RSA-PSS signature.
 * Standard PSS over the prefix equals py_golix's prehashed PSS over the file hash (golix §5).
 */
export async function signUnsigned(unsigned: Unsigned, signer: PrivateIdentity): Promise<Buffer> {
  const signature = await signer.sign(unsigned);
  return Buffer.concat([unsigned, sha512(unsigned), signature]);
}

/** Signs and re-parses, so callers get the same typed object a receiver would. */
export async function signObject<T extends SignedObject>(unsigned: Unsigned, signer: PrivateIdentity): Promise<T> {
  return parseObject(await signUnsigned(unsigned, signer)) as T;
}

/** Checks a signature on the thread pool. The hash was already recomputed by the parser. */
export function checkSignature(obj: SignedObject, signer: PublicIdentity): Promise<boolean> {
  return new Promise((resolve) =>
    verifyCallback('sha512', obj.raw.subarray(0, obj.hashedLength), { key: signer.signingKey, ...PSS }, obj.signature, (err, ok) =>
      resolve(!err && ok),
    ),
  );
}

/**
 * Verifies a signed object against its signer's identity, which must be the one the object
 * names. Throws InvalidIdentity for a mismatched identity and VerificationFailure for a bad
 * signature.
 */
export async function verifyObject(obj: SignedObject, signer: PublicIdentity): Promise<void> {
  const named: Ghid = signerOf(obj)!;
  if (!named.equals(signer.ghid)) {
    throw new InvalidIdentity(`${obj.type} ${obj.ghid.short} is signed by ${named.short}, not ${signer.ghid.short}`);
  }
  if (!(await checkSignature(obj, signer))) {
    throw new VerificationFailure(`${obj.type} ${obj.ghid.short}: signature does not verify`);
  }
}
