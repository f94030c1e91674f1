/**
 * The numbers both ends of a connection agree on unless configured otherwise, each defined here
 * once: the engine, the SDK, the config table (src/common/config-keys.ts) and the UI import them.
 */

/** Where a persistence server listens unless `server.port` says otherwise (the reference's port). */
export const DEFAULT_SERVER_PORT = 7770;

/** Where the app daemon takes IPC connections from apps unless `process.ipc_port` says otherwise. */
export const DEFAULT_IPC_PORT = 7772;

/**
 * The reference's largest message, remote and IPC alike (defect 30), and the default of
 * `server.max_message_bytes`: 10 MiB.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * What an unregistered identity may store on a server whose `server.registration` is on, unless
 * `server.unregistered_upload_bytes` says otherwise: the 10 MB up of the Hypergolix docs.
 */
export const DEFAULT_UNREGISTERED_UPLOAD_BYTES = 10 * 1024 * 1024;

/** How long a request waits for its answer unless the peer is configured otherwise: 30 s, the reference's. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
