import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Reader, u16, u32 } from './bytes.js';
import { MalformedGolixPrimitive, ValueError, VerificationFailure } from './errors.js';
import { Ghid } from './ghid.js';
import { writeHeader } from './header.js';
import type { PrivateIdentity, PublicIdentity } from './identity.js';
import { parseObject, withDigest, type Garq } from './objects.js';
import { SECRET_RECORD_LENGTH, Secret } from './secret.js';

/** What a GARQ carries (golix §6.1). The author is named only inside the ciphertext. */
export type RequestBody =
  | { kind: 'HS'; target: Ghid; secret: Secret }
  | { kind: 'AK' | 'NK'; target: Ghid; status: number };

export type OpenedRequest = RequestBody & { author: Ghid; garq: Ghid };

/** OAEP-SHA512 on a 4096-bit key carries at most 382 bytes, so L ≤ 313 (golix §6.1). */
const MAX_INNER = 382;

export function encodeInner(author: Ghid, body: RequestBody): Buffer {
  let payload: Buffer;
  // Only the kinds a recipient reads (golix §6.1; 00 00 is never sent): any other would be lost there without a word here.
  if (!['HS', 'AK', 'NK'].includes(body.kind)) throw new ValueError(`A request is HS, AK or NK, not ${JSON.stringify(String(body.kind).slice(0, 8))}`);
  if (body.kind === 'HS') {
    payload = Buffer.concat([body.target.bytes, Buffer.of(SECRET_RECORD_LENGTH), body.secret.toRecord()]);
  } else {
    if (!Number.isInteger(body.status) || body.status < 0 || body.status > 0xffffffff) {
      throw new ValueError('Request status must be a u32');
    }
    payload = Buffer.concat([body.target.bytes, u32(body.status)]);
  }
  return Buffer.concat([author.bytes, Buffer.from(body.kind, 'latin1'), u16(payload.length), payload]);
}

export function decodeInner(inner: Buffer): { author: Ghid; body: RequestBody } {
  if (inner.length > MAX_INNER) throw new MalformedGolixPrimitive('Request container too long');
  const r = new Reader(inner, 'request container');
  // Copies, not views: a caller may wipe or reuse the decrypted plaintext.
  const author = Ghid.fromBytes(r.ghid().bytes);
  const kind = r.take(2).toString('latin1');
  const length = r.u16();
  if (length !== r.remaining) throw new MalformedGolixPrimitive(`Request container length ${length} does not match its payload`);
  const p = new Reader(r.take(length), `${kind} request`);
  let body: RequestBody;
  if (kind === 'HS') {
    const target = Ghid.fromBytes(p.ghid().bytes);
    const secretLength = p.u8();
    if (secretLength !== SECRET_RECORD_LENGTH) throw new MalformedGolixPrimitive(`Handshake secret length ${secretLength} is not ${SECRET_RECORD_LENGTH}`);
    body = { kind, target, secret: Secret.fromRecord(p.take(secretLength)) };
  } else if (kind === 'AK' || kind === 'NK') {
    body = { kind, target: Ghid.fromBytes(p.ghid().bytes), status: p.u32() };
  } else {
    // Kind 00 00 ("arbitrary") exists in the parser only; nothing may act on it (golix §6.1).
    throw new MalformedGolixPrimitive(`Unsupported request kind ${JSON.stringify(kind)}`);
  }
  p.end();
  return { author, body };
}

/** HKDF salt = XOR of the two GIDC addresses, so both sides derive the same MAC key (golix §6.2). */
function macKey(shared: Buffer, a: Ghid, b: Ghid): Buffer {
  const salt = Buffer.alloc(64);
  for (let i = 0; i < 64; i++) salt[i] = a.address[i]! ^ b.address[i]!;
  return Buffer.from(hkdfSync('sha512', shared, salt, Buffer.alloc(0), 64));
}

/** Builds a GARQ from `sender` to `recipient` (golix §6.2). */
export function buildRequest(sender: PrivateIdentity, recipient: PublicIdentity, body: RequestBody): Garq {
  const payload = recipient.encrypt(encodeInner(sender.ghid, body));
  const { body: hashed, digest } = withDigest(Buffer.concat([writeHeader('GARQ'), recipient.ghid.bytes, payload, Buffer.of(1)]));
  const mac = createHmac('sha512', macKey(sender.exchange(recipient), sender.ghid, recipient.ghid)).update(digest).digest();
  return parseObject(Buffer.concat([hashed, mac])) as Garq;
}

/**
 * Opens a GARQ addressed to `recipient` (golix §6.3): OAEP-decrypt, decode, resolve the author's
 * identity, and check the MAC in constant time. Every failure is a typed error, and the sender
 * learns nothing of which step failed.
 */
export async function openRequest(
  garq: Garq,
  recipient: PrivateIdentity,
  resolveAuthor: (author: Ghid) => Promise<PublicIdentity>,
): Promise<OpenedRequest> {
  if (!garq.recipient.equals(recipient.ghid)) throw new ValueError('Request is addressed to someone else');
  const { author, body } = decodeInner(await recipient.decrypt(garq.payload));
  const authorIdentity = await resolveAuthor(author);
  // The MAC binds the author named inside; the exchange must be with that very identity.
  if (!authorIdentity.ghid.equals(author)) throw new VerificationFailure('Request MAC cannot be checked: the identity found for its author is another one');
  const expected = createHmac('sha512', macKey(recipient.exchange(authorIdentity), author, recipient.ghid))
    .update(garq.ghid.address)
    .digest();
  if (!timingSafeEqual(expected, garq.mac)) throw new VerificationFailure('Request MAC does not verify');
  return { ...body, author, garq: garq.ghid };
}
