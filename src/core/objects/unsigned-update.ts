import { GHID_LENGTH, Ghid, MalformedGolixPrimitive, ghidOfUnsigned, type PreparedUpdate, type Unsigned } from '../golix/index.js';

/** An update acknowledged before it was signed, as the write-behind log keeps it. */
export interface UnsignedUpdate {
  /** The dynamic object it updates. */
  dynamic: Ghid;
  /** The new container's GHID (its prefix hash): the entry's key. */
  container: Ghid;
  unsignedContainer: Unsigned;
  unsignedFrame: Unsigned;
}

/**
 * `dynamic GHID (65) | container length u32 | unsigned container | unsigned frame`. Nothing
 * secret: the container is encrypted, and the frame is what the remote sees anyway.
 */
export function encodeUnsignedUpdate(dynamic: Ghid, prepared: PreparedUpdate): { ghid: string; raw: Buffer } {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(prepared.unsignedContainer.length);
  return { ghid: prepared.container.text, raw: Buffer.concat([dynamic.bytes, length, prepared.unsignedContainer, prepared.unsignedFrame]) };
}

/**
 * Reads an entry back; throws MalformedGolixPrimitive where it cannot be one (the log's
 * checksums make that a bug or a tampered file, not a torn write).
 */
export function decodeUnsignedUpdate(key: string, raw: Buffer): UnsignedUpdate {
  if (raw.length < GHID_LENGTH + 4) throw new MalformedGolixPrimitive(`unsigned update ${key.slice(0, 12)}… is ${raw.length} bytes`);
  const dynamic = Ghid.fromBytes(raw.subarray(0, GHID_LENGTH));
  const containerLength = raw.readUInt32BE(GHID_LENGTH);
  const start = GHID_LENGTH + 4;
  if (start + containerLength >= raw.length) throw new MalformedGolixPrimitive(`unsigned update ${key.slice(0, 12)}… is cut short`);
  const unsignedContainer = raw.subarray(start, start + containerLength) as Unsigned;
  const unsignedFrame = raw.subarray(start + containerLength) as Unsigned;
  const container = ghidOfUnsigned(unsignedContainer);
  if (container.text !== key) throw new MalformedGolixPrimitive(`unsigned update ${key.slice(0, 12)}… holds another container`);
  if (unsignedContainer.toString('latin1', 0, 4) !== 'GEOC' || unsignedFrame.toString('latin1', 0, 4) !== 'GOBD') {
    throw new MalformedGolixPrimitive(`unsigned update ${key.slice(0, 12)}… is not a container and a frame`);
  }
  return { dynamic, container, unsignedContainer, unsignedFrame };
}
