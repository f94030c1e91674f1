/**
 * The wire: what the daemon, the persistence server and the `hgx` SDK say to each other, as
 * bytes. Runtime-neutral (Uint8Array and TextEncoder/TextDecoder only; no Node
 * built-ins, no Buffer) and importing nothing outside this folder, so that it can become a
 * package of its own that both sides depend on.
 *
 * - `defaults.ts`: the default ports, the 10 MiB message limit and the 30 s request timeout
 * - `errors.ts`: the error family with its wire codes (hypergolix-reference §3.2)
 * - `frame.ts`, `nak.ts`: the frame codec (§3.1) and `NK` bodies with their details
 * - `socket.ts`, `peer.ts`: the request/response peer over a WHATWG-shaped WebSocket
 * - `ipc.ts`, `objdef.ts`, `ids.ts`, `bytes.ts`: the IPC protocol (§4) and its identifiers
 * - `ipc-auth.ts`, `sha256.ts`: the IPC key proof (`AC`/`AP`), with its own HMAC-SHA-256
 * - `people.ts`: the project's IPC verbs for contacts and shares (JSON bodies)
 * - `status.ts`: the project's IPC verb for the daemon's status (JSON body)
 */
export * from './defaults.js';
export * from './errors.js';
export * from './frame.js';
export * from './nak.js';
export * from './socket.js';
export * from './logger.js';
export {
  Peer,
  type CloseInfo,
  type PeerHandle,
  type PeerOptions,
  type Refusal,
  type RequestContext,
  type RequestHandler,
  type RequestOptions,
} from './peer.js';
export { LONGEST_TIMER_MS, count as wholeNumberOption, timerDelay } from './peer-limits.js';
export * from './bytes.js';
export * from './ids.js';
export * from './ipc.js';
export * from './ipc-auth.js';
export { constantTimeEqual, hmacSha256, sha256 } from './sha256.js';
export * from './objdef.js';
export * from './people.js';
export * from './status.js';
