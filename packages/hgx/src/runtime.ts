/**
 * What the SDK needs from the place it runs: a way to open WebSockets and, where there is a file
 * system, a way to find and read the daemon's IPC key. `runtime-node.ts` is the Node one (the
 * `ws` package, `node:fs`); the browser build (`dist/browser.js`) replaces it with
 * `runtime-browser.ts` (the global WebSocket, no files), so that build holds no Node built-in.
 */
import type { WireSocket } from '../../../src/wire/index.js';

/** A socket being opened: the WHATWG event attributes, used until it is open. */
export interface OpeningSocket extends WireSocket {
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: { message?: string; error?: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => OpeningSocket;

export interface Runtime {
  /** How sockets are made here; rejects with NotConnected when there is no WebSocket at all. */
  socketFactory(): Promise<SocketFactory>;
  /** The text of a key file; rejects with AuthFailed (missing, unreadable, or no file system). */
  readKeyText(file: string): Promise<string>;
  /** The key file of the daemon's home, found the way Hypergolix finds its config; or AuthFailed. */
  findKeyFile(): Promise<string>;
}
