import { DispatchError, GHID_LENGTH } from '../golix/index.js';

const MAGIC = Buffer.from('hgxd', 'latin1');
const VERSION = 0;
const HEADER = MAGIC.length + 1 + GHID_LENGTH;

/** An API ID: 65 bytes shaped like an algo-0 GHID (`0x00` + 64 bytes), an app-defined schema tag. */
export type ApiId = Buffer;

/** The reference's default api_ids (hypergolix-reference §5.3): raw bytes, pickle, JSON. */
export const API_ID_RAW = defaultApiId(1);
/** Objects of accounts made by the Python Hypergolix may carry it (read as bytes, never unpickled). */
export const API_ID_PICKLE = defaultApiId(2);
export const API_ID_JSON = defaultApiId(3);

function defaultApiId(n: number): ApiId {
  const id = Buffer.alloc(GHID_LENGTH);
  id[GHID_LENGTH - 1] = n;
  return id;
}

export function checkApiId(id: Uint8Array): ApiId {
  if (id.length !== GHID_LENGTH || id[0] !== 0) throw new DispatchError('An API ID is 65 bytes starting with 0x00');
  return Buffer.from(id);
}

/** Every app-object container decrypts to `"hgxd" | 0x00 | api_id (65) | state` (hypergolix-reference §2.7). */
export function encodeAppObject(apiId: ApiId, state: Buffer): Buffer {
  return Buffer.concat([MAGIC, Buffer.of(VERSION), checkApiId(apiId), state]);
}

/**
 * Decodes an app-object plaintext. A wrong magic or version is how a wrong secret shows up
 * (AES-CTR has no integrity of its own), so it is reported as such (defect 10).
 */
export function decodeAppObject(plaintext: Buffer): { apiId: ApiId; state: Buffer } {
  if (plaintext.length < HEADER || !plaintext.subarray(0, 4).equals(MAGIC) || plaintext[4] !== VERSION) {
    throw new DispatchError('Not a Hypergolix app object (wrong secret, or not an app object)');
  }
  return { apiId: Buffer.from(plaintext.subarray(5, HEADER)), state: plaintext.subarray(HEADER) };
}
