/**
 * App integration over IPC (hypergolix-reference §4): the daemon's WebSocket server for `hgx`
 * apps, its per-user key file, and the wire codec the SDK shares. Starting it from a config is
 * the assembly's job (assembly/app-ipc.ts).
 */
export { IpcRefusal, IpcServer, type ConnectedApp, type IpcServerEvents, type IpcServerOptions } from './server.js';
export { ipcTokenPath, loadOrCreateIpcToken, loadOrCreateIpcTokenSync, readIpcToken, IPC_TOKEN_FILE } from './token.js';
