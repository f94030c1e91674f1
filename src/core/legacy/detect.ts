import type { Ghid } from '../golix/index.js';
import { PRIMARY_MANIFEST_MAX, PRIMARY_MANIFEST_MIN } from './account-2016.js';
import { NotThisFormat, type AccountFormat } from './errors.js';
import { REFERENCE_MANIFEST_MAX, REFERENCE_MANIFEST_MIN } from './reference-account.js';
import { fetchRootFrame } from './root.js';
import { fetchObject, type ObjectSource } from './source.js';

export interface FormatDetection {
  /**
   * The formats the account can be in, the one to try first first. One entry when the public
   * shapes decide; two (`ours`, `reference-0.1`) when only the password can: both write GOBD v16
   * root nodes with manifests of overlapping lengths.
   */
  candidates: readonly AccountFormat[];
  /** The root frame's binder: the account's fingerprint, the scrypt salt of every format. */
  fingerprint: Ghid;
  /** What the decision rests on. */
  frameVersion: number;
  manifestLength: number;
}

/**
 * Which format an account is in, from what anyone can see without its password: the root
 * frame's GOBD version (v15 only in 2016 accounts) and the length of its current container (the
 * reference's manifests have fixed records plus 1024–9215 bytes of padding). Throws
 * LegacyObjectMissing when the root node or its container is in no source, NotThisFormat when
 * the user ID names no account of any known format.
 */
export async function detectAccountFormat(source: ObjectSource, userId: Ghid): Promise<FormatDetection> {
  const root = await fetchRootFrame(source, userId, 'any');
  const container = await fetchObject(source, root.targets[0]!, 'root manifest container');
  if (container.type !== 'GEOC') throw new NotThisFormat('any', null, `The root node of ${userId.short} does not point to a container`);
  const manifestLength = container.payload.length;
  const within = (min: number, max: number) => manifestLength >= min && manifestLength <= max;
  const facts = { fingerprint: root.binder, frameVersion: root.version, manifestLength };
  if (root.version === 15) {
    if (!within(PRIMARY_MANIFEST_MIN, PRIMARY_MANIFEST_MAX)) {
      throw new NotThisFormat('any', null, `A v15 root node with a ${manifestLength}-byte manifest is no 2016 account`);
    }
    return { candidates: ['2016'], ...facts };
  }
  return { candidates: within(REFERENCE_MANIFEST_MIN, REFERENCE_MANIFEST_MAX) ? ['ours', 'reference-0.1'] : ['ours'], ...facts };
}
