/**
 * The IPC object definition ("objdef", hypergolix-reference §4.2): a fixed 200-byte header
 * describing an object as an app sees it, then its state.
 *
 *     version (1) = 0 | address (65) | author (65) | private (1) | dynamic (1) | legroom (1) |
 *     api_id (65) | is_link (1) | state (rest)
 */
import { isAllZero } from './bytes.js';
import { MalformedGolixPrimitive, ValueError } from './errors.js';
import { GHID_BYTES } from './ids.js';

/** The fixed part of an objdef; the state follows. */
export const OBJDEF_HEADER_BYTES = 200;

/**
 * One object definition. GHIDs and the API ID are raw 65-byte identifiers; null stands for the
 * 65 zero bytes that mean "none" on the wire.
 */
export interface ObjDef {
  address: Uint8Array | null;
  author: Uint8Array | null;
  private: boolean;
  dynamic: boolean;
  /** 0 = the default (7); 1–255 old targets kept per frame. */
  legroom: number;
  apiId: Uint8Array | null;
  /** Linked objects are not supported: a daemon refuses `isLink` up front (defect 17/33). */
  isLink: boolean;
  state: Uint8Array;
}

const ZERO_ID = new Uint8Array(GHID_BYTES);

export function encodeObjDef(d: Partial<ObjDef> & { state: Uint8Array }): Uint8Array {
  const legroom = d.legroom ?? 0;
  if (!Number.isInteger(legroom) || legroom < 0 || legroom > 255) throw new ValueError('legroom must be 0..255 (0 = default)');
  const out = new Uint8Array(OBJDEF_HEADER_BYTES + d.state.length);
  out[0] = 0;
  out.set(idOrZero(d.address, 'address', 1), 1);
  out.set(idOrZero(d.author, 'author', 1), 66);
  out[131] = d.private ? 1 : 0;
  out[132] = d.dynamic ? 1 : 0;
  out[133] = legroom;
  out.set(idOrZero(d.apiId, 'api_id', 0), 134);
  out[199] = d.isLink ? 1 : 0;
  out.set(d.state, OBJDEF_HEADER_BYTES);
  return out;
}

/** An identifier field's bytes, checked as decodeObjDef checks them, so a mistake shows here and not at the other end. */
function idOrZero(id: Uint8Array | null | undefined, what: string, algo: number): Uint8Array {
  if (!id) return ZERO_ID;
  if (id.length !== GHID_BYTES) throw new ValueError(`The objdef ${what} is ${GHID_BYTES} bytes, got ${id.length}`);
  if (!isAllZero(id) && id[0] !== algo) throw new ValueError(`The objdef ${what} starts with ${id[0]}, expected ${algo}`);
  return id;
}

/**
 * Reads an objdef. Structural problems are MalformedGolixPrimitive (`NK 0001`); the meaning of
 * the fields (is_link, legroom range, …) is for the receiver to judge. Identifiers are copies;
 * the state is a view into `data`.
 */
export function decodeObjDef(data: Uint8Array): ObjDef {
  if (data.length < OBJDEF_HEADER_BYTES) {
    throw new MalformedGolixPrimitive(`An object definition is at least ${OBJDEF_HEADER_BYTES} bytes, got ${data.length}`);
  }
  if (data[0] !== 0) throw new MalformedGolixPrimitive(`Unsupported object definition version ${data[0]}`);
  const id = (at: number, what: string, algo: number): Uint8Array | null => {
    const raw = data.subarray(at, at + GHID_BYTES);
    if (isAllZero(raw)) return null;
    if (raw[0] !== algo) throw new MalformedGolixPrimitive(`The objdef ${what} starts with ${raw[0]}, expected ${algo}`);
    // A copy, not a view: a Buffer's slice() would share (and keep alive) the whole message.
    return new Uint8Array(raw);
  };
  const flag = (at: number, what: string): boolean => {
    const v = data[at]!;
    if (v > 1) throw new MalformedGolixPrimitive(`The objdef ${what} flag is ${v}, not 0 or 1`);
    return v === 1;
  };
  return {
    address: id(1, 'address', 1),
    author: id(66, 'author', 1),
    private: flag(131, 'private'),
    dynamic: flag(132, 'dynamic'),
    legroom: data[133]!,
    apiId: id(134, 'api_id', 0),
    isLink: flag(199, 'is_link'),
    state: data.subarray(OBJDEF_HEADER_BYTES),
  };
}
