/**
 * The apps connected to the running daemon, for the status page (issue #14 item 5): who they are
 * (their app token, if any), what they follow, when they last asked something; and disconnecting
 * one at the user's request.
 */
import { ERROR_CODES, HostFailure, type ConnectedAppJson } from '../common/contract.js';
import type { StartedApp } from './daemon-runner.js';

export function appsOf(app: StartedApp | null): ConnectedAppJson[] {
  return (app?.ipc?.apps() ?? []).map((a) => ({
    id: a.id,
    token: a.token,
    legacy: a.legacy,
    sendsKey: a.sendsKey,
    apis: a.apis.length,
    tracked: a.tracked,
    connectedAt: a.connectedAt,
    lastActivity: a.lastActivity,
  }));
}

export async function disconnectApp(app: StartedApp | null, id: number): Promise<{}> {
  if (!app?.ipc?.disconnect(id)) throw new HostFailure(ERROR_CODES.notFound, 'That app is not connected any more');
  return {};
}
