// Test vectors for benchmarks: the shared fixtures loader, plus raw node:crypto keys for bounds.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { fromB64url } from '../../src/core/golix/index.js';
import { manifest } from '../../test/fixtures/vectors.js';

export { V16_DIR, V2016_DIRS, manifest, read2016, v16Identity, v16Objects } from '../../test/fixtures/vectors.js';

/** A manifest identity's RSA signing key as a plain node:crypto KeyObject (for raw bounds). */
export function manifestPrivateKey(index: 0 | 1 | 2): KeyObject {
  const der = fromB64url(manifest().identities[index]!.private.signature_pkcs8_der);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
