/** Incoming shares that wait for the user's decision, as the contract shows them, and the decision. */
import { ERROR_CODES, HostFailure, type IncomingShare } from '../common/contract.js';
import { NoSuchShare } from '../core/sharing/sharing.js';
import type { StartedApp } from './daemon-runner.js';

export function pendingShares(app: StartedApp): IncomingShare[] {
  try {
    // The object's API ID is only known once the share is opened, i.e. accepted.
    return app.sharing.pending().map((p) => ({ id: p.id, from: p.from.text, apiId: 'unknown', receivedAt: p.receivedAt }));
  } catch {
    return [];
  }
}

/** Accepts or declines a waiting share; `notFound` when it is no longer waiting. */
export async function answerShare(app: StartedApp | null, id: string, accept: boolean): Promise<void> {
  if (!app) throw new HostFailure(ERROR_CODES.invalidState, 'Unlock Hypergolix to answer shares');
  try {
    if (accept) await app.sharing.accept(id);
    else await app.sharing.decline(id);
  } catch (err) {
    if (err instanceof NoSuchShare) throw new HostFailure(ERROR_CODES.notFound, 'That share is no longer waiting');
    throw err;
  }
}
