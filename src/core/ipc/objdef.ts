import type { AppObject } from '../objects/manager.js';
import { encodeObjDef } from '../../wire/index.js';

/**
 * An app object as an objdef (hypergolix-reference §4.3). Pushes (`!O`) carry no privacy flag
 * and no legroom: those are the asking app's records, reported only in answers.
 */
export function objDefOf(obj: AppObject, records: { private: boolean; legroom: number } = { private: false, legroom: 0 }): Uint8Array {
  return encodeObjDef({
    address: obj.ghid.bytes,
    author: obj.author.bytes,
    private: records.private,
    dynamic: obj.dynamic,
    legroom: records.legroom,
    apiId: obj.apiId,
    isLink: false,
    state: obj.state,
  });
}
