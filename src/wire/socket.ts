/**
 * What a peer needs of a WebSocket: the WHATWG shape that browsers, Electron renderers and the
 * `ws` package all offer, plus a small optional adapter for what only a Node socket can do.
 */

/** `readyState` values (WHATWG WebSocket). */
export const READY_STATE = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;

/** WebSocket close codes the peers use (RFC 6455 §7.4.1). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  /** The close had no close frame (the connection dropped); never sent, only reported. */
  abnormal: 1006,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
  /** The user disconnected this app in Hypergolix (status page): the SDK does not reconnect. Private-use range. */
  closedByUser: 4001,
} as const;

export interface SocketEventMap {
  /** `data` is a string for a text message, else bytes in the form `binaryType` asked for. */
  message: { readonly data: unknown };
  close: { readonly code: number; readonly reason: string };
  error: { readonly message?: string; readonly error?: unknown };
}

/** The subset of the WHATWG WebSocket API a peer uses. */
export interface WireSocket {
  /** `arraybuffer` in browsers; `nodebuffer` for `ws`, whose messages are then Buffers. */
  binaryType: string;
  readonly readyState: number;
  /** Bytes handed to `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener<K extends keyof SocketEventMap>(type: K, listener: (event: SocketEventMap[K]) => void): void;
}

/**
 * What WHATWG sockets lack: ping/pong (for a heartbeat that notices a dead peer) and dropping
 * the connection without a closing handshake. The Node side supplies it for `ws`.
 */
export interface SocketExtras {
  /** Sends a WebSocket ping. */
  ping(): void;
  /** Calls `listener` on every pong. */
  onPong(listener: () => void): void;
  /** Drops the connection at once; the socket then reports its close as usual. */
  terminate(): void;
}

/**
 * Received message data as bytes: views of ArrayBuffers and typed arrays (a Uint8Array or
 * Buffer as it is, no copy), fragments joined; null for anything else (a text message).
 */
export function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) {
    const parts = data as Uint8Array[];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  return null;
}
