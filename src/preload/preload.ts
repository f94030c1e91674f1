/**
 * The only bridge between the sandboxed renderer and the main process. It exposes exactly
 * `window.hypergolix = { request, subscribe }` and two channels, and checks what passes in
 * both directions with the contract, so a compromised page can send nothing but well-formed
 * requests and the page never sees an IpcRendererEvent (which would leak `sender`).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { ERROR_CODES, IPC_CHANNELS, checkResponse, fail, parseEvent, parseRequest, type HostEvent, type Response } from '../common/contract.js';
import { tryParse } from '../common/wire-check.js';

async function request(raw: unknown): Promise<Response> {
  const req = parseRequest(raw);
  if (!req.ok) return fail(req.error.code, req.error.message);
  try {
    const answer: unknown = await ipcRenderer.invoke(IPC_CHANNELS.request, req.value);
    const res = tryParse(checkResponse(req.value.kind), answer);
    return res.ok ? (res.value as Response) : fail(ERROR_CODES.internal, `The host answered oddly: ${res.error.message}`);
  } catch (e) {
    return fail(ERROR_CODES.unavailable, e instanceof Error ? e.message : 'The host is not answering');
  }
}

function subscribe(listener: unknown): () => void {
  if (typeof listener !== 'function') throw new TypeError('subscribe needs a function');
  const onEvent = (_e: IpcRendererEvent, raw: unknown) => {
    const ev = parseEvent(raw);
    if (ev.ok) (listener as (ev: HostEvent) => void)(ev.value);
  };
  ipcRenderer.on(IPC_CHANNELS.event, onEvent);
  return () => {
    ipcRenderer.removeListener(IPC_CHANNELS.event, onEvent);
  };
}

contextBridge.exposeInMainWorld('hypergolix', { request, subscribe });
