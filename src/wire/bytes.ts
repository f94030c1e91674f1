/**
 * Byte helpers on plain `Uint8Array` (no Buffer, so they run in a browser as well as in Node):
 * joining, comparing, hexadecimal and URL-safe base64 (the text form of GHIDs and API IDs).
 */
import { ValueError } from './errors.js';

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isAllZero(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

export function toHex(a: Uint8Array): string {
  let s = '';
  for (let i = 0; i < a.length; i++) s += a[i]!.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new ValueError('Expected an even number of hexadecimal digits');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i] as const));

/** URL-safe base64 with `=` padding: the text form of GHIDs (golix §1) and API IDs. */
export function b64urlEncode(a: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < a.length; i += 3) {
    const n = (a[i]! << 16) | (a[i + 1]! << 8) | a[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  if (a.length - i === 1) {
    const n = a[i]! << 16;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (a.length - i === 2) {
    const n = (a[i]! << 16) | (a[i + 1]! << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return s;
}

/**
 * Decodes URL-safe base64, padded (to a multiple of 4) or unpadded; null for anything else: other
 * characters, padding where none belongs, or trailing bits that are not zero (which would let
 * several texts stand for the same bytes).
 */
export function b64urlDecode(text: string): Uint8Array | null {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d /* = */) end--;
  const padding = text.length - end;
  if (padding > 2 || (padding > 0 && text.length % 4 !== 0)) return null;
  if (end % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    const v = B64_INDEX.get(text[i]!);
    if (v === undefined) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
