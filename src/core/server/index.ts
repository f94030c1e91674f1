/** The persistence-server host: a configured store + rules engine + WebSocket server, ready to embed. */
export { startServer, type RunningServer, type StartServerOptions } from './host.js';
export { SERVER_NODE_FLAGS, tuneServerHeap } from './heap.js';
