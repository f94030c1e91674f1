import { scrypt } from 'node:crypto';
import { Secret, ValueError, type Ghid } from '../golix/index.js';

/** scrypt cost parameters. The salt is always the fingerprint (hypergolix-reference §2.2). */
export interface KdfParams {
  algorithm: 'scrypt';
  n: number;
  r: number;
  p: number;
}

/**
 * New accounts: N = 2^17, r = 8 (128 MiB, the current OWASP recommendation for scrypt). The
 * parameters are recorded in the config's `account.kdf`, so they can be raised later.
 */
export const DEFAULT_KDF: KdfParams = { algorithm: 'scrypt', n: 2 ** 17, r: 8, p: 1 };
/** The reference's fixed cost, for accounts it made. */
export const REFERENCE_KDF: KdfParams = { algorithm: 'scrypt', n: 2 ** 15, r: 8, p: 1 };
/** The low cost (N = 2^10) the Python Hypergolix's 2016 demo accounts were made with. */
export const LOW_2016_KDF: KdfParams = { algorithm: 'scrypt', n: 2 ** 10, r: 8, p: 1 };

export function checkKdf(params: unknown): KdfParams {
  const p = params as Partial<KdfParams> | null;
  const pow2 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1024 && v <= 2 ** 22 && (v & (v - 1)) === 0;
  if (!p || p.algorithm !== 'scrypt' || !pow2(p.n) || !Number.isInteger(p.r) || p.r! < 1 || p.r! > 32 || !Number.isInteger(p.p) || p.p! < 1 || p.p! > 16) {
    throw new ValueError('Key derivation parameters must be scrypt with N a power of two in 2^10..2^22, r 1..32, p 1..16');
  }
  return { algorithm: 'scrypt', n: p.n!, r: p.r!, p: p.p! };
}

/**
 * Password → root secret: scrypt(P = UTF-8 password, S = the 65 fingerprint bytes, dkLen 48),
 * key = out[0:32], seed = out[32:48]. Runs on the thread pool; never blocks the event loop.
 */
export function deriveRootSecret(password: string, fingerprint: Ghid, params: KdfParams = DEFAULT_KDF): Promise<Secret> {
  const { n, r, p } = checkKdf(params);
  return new Promise((resolve, reject) =>
    scrypt(Buffer.from(password, 'utf8'), fingerprint.bytes, 48, { N: n, r, p, maxmem: 256 * n * r + 16 * 1024 * 1024 }, (err, out) =>
      err ? reject(err) : resolve(Secret.create(out.subarray(0, 32), out.subarray(32, 48))),
    ),
  );
}
