/**
 * `@hypergolix/hgx`: the TypeScript SDK for Hypergolix apps. It talks to the user's local daemon
 * over the IPC protocol (hypergolix-reference §4, §5) and works in Node (with the `ws` package)
 * and in an Electron renderer or a browser (global WebSocket; pass the key as `token` there).
 *
 * - `HGXLink.connect({ port?, host?, token?, tokenFile?, timeoutMs? })` → a link; `link.whoami`
 * - `link.new(JsonObj | Obj, state, { apiId, dynamic, private, legroom })`, `link.get(cls, ghid)`,
 *   `link.recast(obj, cls)`
 * - `link.registerShareHandler(apiId, (ghid, origin, apiId) => …)`, `deregisterShareHandler`
 * - `link.registerToken(token?)` → startup GHID or null; `registerStartup(obj)`, `deregisterStartup()`
 * - objects: `state`, `ghid`, `apiId`, `author`, `private`, `dynamic`, `isAlive`, `push()`,
 *   `sync()`, `share(fingerprint)`, `freeze()`, `hold()`, `discard()`, `delete()`, and events
 *   `'update'`, `'delete'`, `'shared'`, `'share-failed'`
 * - errors: `HgxError` and its subclasses `NotConnected`, `AuthFailed`, `IncompatibleDaemon`,
 *   `DeadObject`, `StorageFull`, `LocallyImmutable`, `Unsharable`, `WrongClass`, `StateError`,
 *   `IpcError` (with `code`; `StorageFull` is one: the daemon's disk is full), `UnreadableAnswer`
 *   (the daemon's answer was damaged or not what the protocol says)
 * - versions: `SDK_VERSION`, `SUPPORTED_IPC_PROTOCOLS` (checked against the daemon's at connect;
 *   `link.daemonProtocol`)
 *
 * Python pickles (api_id `…02`) are never unpickled: `get(Obj, ghid)` shows them as bytes and
 * `get(JsonObj, ghid)` refuses them.
 */
export { HGXLink } from './link.js';
export type { ConnectOptions, LinkEvents, NewOptions, ShareHandler } from './link-options.js';
export { HgxObject, JsonObj, Obj, type AnyObj, type JsonValue, type ObjEvents } from './objects.js';
export type { LinkPort, ObjClass, ObjInit, OpenObject, StateOf } from './port.js';
export { ApiId, ghidText, type ApiIdText, type GhidLike, type GhidText } from './ids.js';
export {
  AuthFailed,
  DeadObject,
  HgxError,
  IncompatibleDaemon,
  IpcError,
  LocallyImmutable,
  NotConnected,
  StateError,
  StorageFull,
  Unsharable,
  UnreadableAnswer,
  WrongClass,
  type ProtocolRange,
} from './errors.js';
export { SDK_VERSION, SUPPORTED_IPC_PROTOCOLS } from './version.js';
export {
  DEFAULT_IPC_PORT,
  IPC_PROTOCOL_VERSION,
  IPC_TOKEN_FILE,
  type CacheCheckJson as CacheCheck,
  type CacheStorageJson as CacheStorage,
  type ContactJson as Contact,
  type DaemonStatusJson as DaemonStatus,
  type RemoteStatusJson as RemoteStatus,
} from '../../../src/wire/index.js';
