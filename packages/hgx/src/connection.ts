/**
 * The link's side of one IPC connection to the daemon: the wire peer (`src/wire/peer.ts`) over an
 * open socket, speaking the SDK's errors — an `NK` is an IpcError with its code and details, a
 * connection that is gone is NotConnected — and answering the daemon's requests (`@O`, `!O`,
 * `XO`, `^S`, `^F`) with the handlers the link gives it.
 */
import {
  ConnectionClosed,
  HypergolixError,
  IPC_ERROR_CODE,
  IPC_MAX_MESSAGE_BYTES,
  MessageTooLarge,
  Peer,
  TooManyRequests,
  type CloseInfo,
  type Refusal,
  type RequestHandler,
  type WireSocket,
} from '../../../src/wire/index.js';
import { HgxError, IpcError, NotConnected, ipcErrorOf } from './errors.js';

export interface DaemonConnectionOptions {
  handlers: ReadonlyMap<string, RequestHandler>;
  requestTimeoutMs: number;
  onClose: (info: CloseInfo) => void;
}

/** The SDK's error for a failed request. */
function sdkError(err: unknown): Error {
  if (err instanceof HgxError) return err;
  if (err instanceof ConnectionClosed) return new NotConnected(err.message);
  if (err instanceof TooManyRequests) return new IpcError(0x000a, err.message);
  if (err instanceof MessageTooLarge) return new IpcError(0xfffe, err.message);
  // A timeout or a malformed answer (CommsError, 000E).
  if (err instanceof HypergolixError) return new IpcError(err.code, err.message);
  return err instanceof Error ? err : new HgxError(String(err));
}

/** How the app answers a failed handler: an IpcError keeps its code, anything else is IPCError (FFFF). */
function refusalOf(err: unknown): Refusal {
  if (err instanceof IpcError) return { code: err.code ?? IPC_ERROR_CODE, message: err.message };
  return { code: IPC_ERROR_CODE, message: 'The app failed to handle the request' };
}

export class DaemonConnection {
  readonly #peer: Peer;

  constructor(socket: WireSocket, o: DaemonConnectionOptions) {
    this.#peer = new Peer(socket, {
      name: 'daemon',
      handlers: o.handlers,
      requestTimeoutMs: o.requestTimeoutMs,
      maxMessageBytes: IPC_MAX_MESSAGE_BYTES,
      onClose: o.onClose,
      nakError: ipcErrorOf,
      refusalOf,
    });
  }

  get isOpen(): boolean {
    return this.#peer.isOpen;
  }

  /** Resolves with the `AK` body; rejects with IpcError, NotConnected or HgxError. */
  async request(verb: string, body?: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    try {
      return await this.#peer.request(verb, body, timeoutMs === undefined ? {} : { timeoutMs });
    } catch (err) {
      throw sdkError(err);
    }
  }

  close(code = 1000, reason = ''): void {
    this.#peer.close(code, reason);
  }
}
