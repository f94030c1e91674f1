/**
 * The runtime of the browser build (`dist/browser.js`, for pages and Electron renderers): the
 * global WebSocket, and no file system, so the host hands the app the IPC key (`token`).
 * Imports no Node built-in and no package.
 */
import { AuthFailed, NotConnected } from './errors.js';
import type { OpeningSocket, Runtime, SocketFactory } from './runtime.js';

const NO_FILES = 'Pass { token } to HGXLink.connect: the IPC key file cannot be read here (no file system)';

export const runtime: Runtime = {
  async socketFactory(): Promise<SocketFactory> {
    const G = (globalThis as { WebSocket?: new (url: string) => OpeningSocket }).WebSocket;
    if (!G) throw new NotConnected('No WebSocket implementation here: the browser build needs a global WebSocket');
    return (url: string) => new G(url);
  },
  async readKeyText(): Promise<string> {
    throw new AuthFailed(NO_FILES);
  },
  async findKeyFile(): Promise<string> {
    throw new AuthFailed(NO_FILES);
  },
};
