/**
 * What a waiting share is, before it is accepted: its object type (api_id) and size, read with
 * the secret the share carries, without keeping the secret or opening the object for apps.
 * Best effort: an object not found yet, or a dynamic object that moved on past the shared
 * secret, reads as unknown (null) and the share still waits.
 */
import type { Ghid, GolixObject, Secret } from '../golix/index.js';
import { decodeAppObject } from '../objects/hgxd.js';

export interface ShareContents {
  /** api_id as GHID-shaped text, or null when it could not be read. */
  apiId: string | null;
  /** Bytes of the object's state, or null. */
  size: number | null;
  dynamic: boolean | null;
}

/** An api_id's text: the GHID text form (URL-safe base64, padded to 88 characters). */
export function apiIdText(apiId: Uint8Array): string {
  return Buffer.from(apiId).toString('base64url').padEnd(88, '=');
}

const UNKNOWN: ShareContents = { apiId: null, size: null, dynamic: null };

export async function peekShare(fetch: (g: Ghid) => Promise<GolixObject | null>, target: Ghid, secret: Secret): Promise<ShareContents> {
  try {
    const obj = await fetch(target);
    if (!obj) return UNKNOWN;
    const dynamic = obj.type === 'GOBD';
    const container = obj.type === 'GOBD' ? await fetch(obj.targets[0]!) : obj;
    if (!container || container.type !== 'GEOC') return { ...UNKNOWN, dynamic };
    const { apiId, state } = decodeAppObject(secret.apply(container.payload));
    return { apiId: apiIdText(apiId), size: state.length, dynamic };
  } catch {
    return UNKNOWN;
  }
}
