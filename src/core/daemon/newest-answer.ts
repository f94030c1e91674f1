/**
 * Which of the remotes' answers to a fetch is the object: one that is the object asked for
 * (its address is the GHID asked), and among frames of a dynamic GHID, on which several remotes
 * may disagree, the newest (defect 23); `local`, the copy here, is the one to beat.
 */
import { addressOf, parseObject, type Ghid, type GolixObject } from '../golix/index.js';
import type { RemoteClient } from '../remote/client.js';

export function newestAnswer(ghid: Ghid, local: GolixObject | null, answers: PromiseSettledResult<GolixObject>[]): GolixObject | null {
  let best = local;
  for (const a of answers) {
    if (a.status !== 'fulfilled') continue;
    const o = a.value;
    if (!addressOf(o).equals(ghid)) continue;
    if (!best || (o.type === 'GOBD' && best.type === 'GOBD' && (o.counter ?? 0n) > (best.counter ?? 0n))) best = o;
  }
  return best;
}

/** The newest of `local` and what each connected remote answers for `ghid` (newestAnswer). */
export async function newestOf(ghid: Ghid, local: GolixObject | null, clients: readonly Pick<RemoteClient, 'connected' | 'get'>[]): Promise<GolixObject | null> {
  const answers = await Promise.allSettled(clients.filter((c) => c.connected).map((c) => c.get(ghid).then((raw) => parseObject(raw))));
  return newestAnswer(ghid, local, answers);
}
