/**
 * The assembly, the top floor of the core: a running app daemon (daemon + sharing + IPC) or a
 * persistence server, wired from a config. Nothing else in src/core imports it; hosts (the CLI,
 * Electron, the desktop controller) start what they need through it.
 */
export { configuredKdf, startApp, stopApp, type AppCredentials, type StartAppOptions, type StartedApp } from './app.js';
export { startAppIpc, type AppIpcOptions } from './app-ipc.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export { SERVER_NODE_FLAGS, tuneServerHeap } from './heap.js';
