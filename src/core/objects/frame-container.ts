import type { Geoc, Gobd } from '../golix/index.js';
import { ContainerMissing } from './errors.js';
import type { ObjectIO } from './object-io.js';

/** A frame's container, fetched through `io`: ContainerMissing when nobody has it. */
export async function containerOf(io: ObjectIO, frame: Gobd): Promise<Geoc> {
  const container = await io.fetch(frame.targets[0]!);
  if (container?.type !== 'GEOC') throw new ContainerMissing(frame.targets[0]!, frame.dynamic);
  return container;
}

/**
 * A frame's container, or the newer frame that replaced `frame` here while its container was
 * asked for: an open racing the catch-up of a start. The old container went with the old frame,
 * so it is no longer here, and storing it again from a remote is refused as bound by nothing;
 * the newer frame is the one to read. Any other failure reaches the caller.
 */
export async function containerOrNewer(io: ObjectIO, frame: Gobd): Promise<Geoc | Gobd> {
  try {
    return await containerOf(io, frame);
  } catch (err) {
    const now = await io.fetch(frame.dynamic).catch(() => null);
    if (now?.type === 'GOBD' && now.dynamic.equals(frame.dynamic) && (now.counter ?? 0n) > (frame.counter ?? 0n)) return now;
    throw err;
  }
}
