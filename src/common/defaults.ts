/**
 * The defaults the config file shares with the wire protocol, owned by src/wire/defaults.ts (the
 * runtime-neutral protocol module, which imports nothing) and re-exported here for the config
 * table, the CLI and the UI.
 */
export { DEFAULT_IPC_PORT, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SERVER_PORT, DEFAULT_UNREGISTERED_UPLOAD_BYTES } from '../wire/defaults.js';
