/** The persistence-server host: a configured store + rules engine + WebSocket server, ready to embed. */
export { startServer, type RunningServer, type StartServerOptions } from './host.js';
