/**
 * setupIpc: the main-process end of the preload's two channels. Requests are validated by the
 * contract's `dispatch` (a malformed one never reaches the controller) and accepted only from
 * our own page; events go to the window.
 */
import { ERROR_CODES, IPC_CHANNELS, dispatch, fail, type HostEvent, type HostPort, type Response } from '../common/contract.js';
import { isAppUrl } from './window.js';

/** The slice of ipcMain used here. */
export interface IpcMainPort {
  handle(channel: string, handler: (event: { senderFrame: { url: string } | null }, raw: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export function setupIpc(ipcMain: IpcMainPort, host: HostPort, send: (channel: string, ev: HostEvent) => void): () => void {
  ipcMain.handle(IPC_CHANNELS.request, async (event, raw): Promise<Response> => {
    // Only the app's own page may ask (a frame from anywhere else never should exist; refuse it if it does).
    const from = event.senderFrame?.url ?? '';
    if (!isAppUrl(from)) return fail(ERROR_CODES.badRequest, 'Requests are accepted only from the Hypergolix window');
    return dispatch(host, raw);
  });
  const unsubscribe = host.subscribe((ev) => send(IPC_CHANNELS.event, ev));
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_CHANNELS.request);
  };
}
