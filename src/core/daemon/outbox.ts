import { join } from 'node:path';
import { DurableQueue } from '../util/durable-queue.js';

/**
 * Publishes not yet acknowledged by one remote, in order, kept on disk so that a restart or a
 * crash loses nothing (defect 21). It holds the objects' bytes, not references into the cache:
 * a frame superseded locally before it was sent must still reach the remote, or subscribers
 * would see a gap wider than the legroom and could not ratchet across it. An entry's key is its
 * object's GHID; a done entry is sent again after a crash, which the remote answers as already
 * stored.
 */
export type Outbox = DurableQueue;

export function openOutbox(dir: string, remote: string): Promise<Outbox> {
  return DurableQueue.open(join(dir, `${remote.replace(/[^A-Za-z0-9.-]/g, '_')}.outbox`));
}
