/**
 * The numbers both ends of a connection and the config file agree on, each defined here and
 * imported everywhere else. No imports: the wire codecs, the engine, the CLI and the UI read them.
 */

/** Where a persistence server listens unless `server.port` says otherwise (the reference's port). */
export const DEFAULT_SERVER_PORT = 7770;

/** Where the app daemon takes IPC connections from apps unless `process.ipc_port` says otherwise. */
export const DEFAULT_IPC_PORT = 7772;

/**
 * The reference's largest message, remote and IPC alike, and the default of
 * `server.max_message_bytes`: 10 MiB.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
