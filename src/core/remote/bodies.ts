/**
 * The result and request bodies of the remote protocol that are not Golix objects
 * (hypergolix-reference §3.3): the one-byte `01`/`00` results and GHID lists. The framing is the
 * wire module's (`src/wire/frame.ts`); the verbs are in `verbs.ts`.
 */
import { CommsError, GHID_LENGTH, Ghid, MalformedGolixPrimitive } from '../golix/index.js';

/** The one-byte `01`/`00` results of `PB`, `-S`, `?E`, … */
export const ONE: Buffer = Buffer.of(1);
export const ZERO: Buffer = Buffer.of(0);

export function encodeBool(value: boolean): Buffer {
  return value ? ONE : ZERO;
}

/** Reads a `01`/`00` result; anything else is a CommsError (the peer broke the protocol). */
export function decodeBool(body: Uint8Array): boolean {
  if (body.length === 1 && (body[0] === 0 || body[0] === 1)) return body[0] === 1;
  throw new CommsError(`Expected a 01/00 result, got ${body.length} bytes`);
}

/** A request body that is exactly one raw GHID; anything else is MalformedGolixPrimitive (0001). */
export function decodeGhid(body: Buffer): Ghid {
  return Ghid.fromBytes(body);
}

/** GHIDs back to back, no count (reference §3.3). */
export function encodeGhidList(ghids: Iterable<Ghid>): Buffer {
  const parts: Buffer[] = [];
  for (const g of ghids) parts.push(g.bytes);
  return Buffer.concat(parts);
}

export function decodeGhidList(body: Buffer): Ghid[] {
  if (body.length % GHID_LENGTH !== 0) {
    throw new MalformedGolixPrimitive(`A GHID list is a multiple of ${GHID_LENGTH} bytes, got ${body.length}`);
  }
  const out: Ghid[] = [];
  for (let at = 0; at < body.length; at += GHID_LENGTH) out.push(Ghid.fromBytes(body.subarray(at, at + GHID_LENGTH)));
  return out;
}
