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

/**
 * How long close() waits for the daemon to answer the closing handshake before it drops the
 * socket: a daemon that stopped reading would otherwise hold it (and the app's process) for the
 * socket's own timeout, 30 s in `ws`.
 */
const CLOSE_HANDSHAKE_MS = 1000;

export class DaemonConnection {
  readonly #peer: Peer;
  readonly #socket: WireSocket;
  /** Rejects every request still waiting once close() is called: their answers no longer matter. */
  readonly #abandoned: Promise<never>;
  #abandon!: (err: Error) => void;
  #dropTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(socket: WireSocket, o: DaemonConnectionOptions) {
    this.#socket = socket;
    this.#abandoned = new Promise<never>((_, reject) => (this.#abandon = reject));
    this.#abandoned.catch(() => {});
    this.#peer = new Peer(socket, {
      name: 'daemon',
      handlers: o.handlers,
      requestTimeoutMs: o.requestTimeoutMs,
      maxMessageBytes: IPC_MAX_MESSAGE_BYTES,
      onClose: (info) => {
        if (this.#dropTimer) clearTimeout(this.#dropTimer);
        o.onClose(info);
      },
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
      return await Promise.race([this.#peer.request(verb, body, timeoutMs === undefined ? {} : { timeoutMs }), this.#abandoned]);
    } catch (err) {
      throw sdkError(err);
    }
  }

  /** Closes the connection: requests still waiting fail now with NotConnected, not when (or if) the daemon answers the close. */
  close(code = 1000, reason = ''): void {
    this.#abandon(new NotConnected(`daemon: connection closed (${code}${reason ? ` ${reason}` : ''})`));
    if (!this.#peer.isOpen) return;
    this.#peer.close(code, reason);
    this.#dropTimer ??= setTimeout(() => {
      // `ws` drops at once with terminate(); a browser's socket has none and keeps its own timeout.
      const s = this.#socket as WireSocket & { terminate?: () => void };
      if (typeof s.terminate === 'function') s.terminate();
    }, CLOSE_HANDSHAKE_MS);
  }
}
