/**
 * The configuration module: the only code that reads or writes `hypergolix.yml`.
 *
 * Finding it (hypergolix-reference §6.2): `$HYPERGOLIX_HOME`, the current directory,
 * `~/.hypergolix`, `/etc/hypergolix`, then `%LOCALAPPDATA%\Hypergolix` on Windows; the first
 * directory holding `hypergolix.yml` or the 2016 `hgx-cfg.json` wins, `hypergolix.yml` first when
 * both are there. An explicit root (file or directory) replaces the search. A missing config is
 * created in `$HYPERGOLIX_HOME`, else `~/.hypergolix` (`%LOCALAPPDATA%\Hypergolix` on Windows),
 * directory first (mode 0700), file mode 0600.
 *
 * The reference's keys (§6.1), in its order, with their defaults:
 *
 *   process.ghidcache          <cfgdir>/ghidcache
 *   process.logdir             <cfgdir>/logs
 *   process.pid_file           <cfgdir>/hypergolix.pid
 *   process.ipc_port           7772
 *   instrumentation.verbosity  info   (error, warning, info, debug, shouty, extreme; aliases quiet, normal, loud, louder)
 *   instrumentation.debug      false
 *   instrumentation.traceur    false  (unused)
 *   user.fingerprint           null   (GHID text)
 *   user.user_id               null   (GHID text)
 *   user.root_secret           null   (SH secret text; honoured, but warned about: defect 5)
 *   remotes                    []     (each {host, port, tls})
 *   server.ghidcache           <cfgdir>/server/ghidcache   (not the daemon's: defect 31)
 *   server.logdir              <cfgdir>/server/logs
 *   server.pid_file            <cfgdir>/hgx-server.pid
 *   server.host                127.0.0.1  (or AUTO, ANY, any case)
 *   server.port                7770
 *   server.verbosity           info
 *   server.debug               false
 *
 * The project's keys (the reference ignores them when reading):
 *
 *   process.ipc_legacy_clients        false  let Python `hgx` apps use IPC without the per-install key (loopback only)
 *   server.max_message_bytes          10 MiB largest message or object; at least 64 KiB, at most 1 GiB; "16 MiB" style allowed
 *   server.accept_v15                 false  accept 2016-format (GOBD v15) objects from clients
 *   server.max_subscriptions          10000  per connection
 *   server.publish_allowlist          null   fingerprints allowed to publish; null = anyone, [] = nobody
 *   server.quota_bytes_per_identity   null   bytes of stored objects one identity may have signed ("500 MiB" style
 *                                            allowed, 1 KiB to 1024 GiB); null = no quota. GIDCs and GARQs are free
 *   server.quota_objects_per_identity null   stored objects one identity may have signed; null = no limit
 *   server.publish_rate_per_identity  null   publishes per second per signing identity (0.5 = one every 2 s); null = no limit
 *   server.publish_burst              null   publishes one identity may make at once; null = ten seconds' worth of the rate
 *   server.unsigned_publish_rate_per_connection
 *                                     null   GIDC and GARQ publishes per second per connection (bursts of ten
 *                                            seconds' worth); null = no limit
 *   remotes[i].registration           (none) http(s) page where `config --register` sends the user's fingerprint
 *   sharing.accept                    ask    all | known | ask: who may share with this account without asking
 *   sharing.block                     []     fingerprints whose shares are refused
 *   desktop.embedded_server           false  the desktop app also runs a persistence server
 *   desktop.start_at_login            false
 *   desktop.notifications.incoming_share / share_result / remote_unreachable / daemon_error   true each
 *   desktop.unlock_automatically      false  (the secret itself lives in the OS keychain, never here)
 *
 * Null or missing means the default. Unknown keys are kept in the file and reported as warnings.
 * Relative paths are taken from the config's directory and `~/` from the home directory.
 *
 * Every save goes through one function that validates the exact text, writes it atomically,
 * keeps the user's comments and key order, and reads it back (defect 14). A bad file or a bad
 * edit is a ConfigError naming file, line and field; nothing is written.
 */
export { ConfigError, ConfigNotFound, formatField, parseField, type FieldPath } from './errors.js';
export {
  CONFIG_FILE,
  LEGACY_CONFIG_FILE,
  DEFAULT_IPC_PORT,
  DEFAULT_SERVER_PORT,
  DEFAULT_MAX_SUBSCRIPTIONS,
  defaultPaths,
  plainConfig,
  type ConfigWarning,
  type HypergolixConfig,
  type NotificationsConfig,
  type RemoteConfig,
  type SharingPolicy,
  type Verbosity,
} from './schema.js';
export { findConfig, defaultConfigPath, searchDirs, type ConfigLocation, type ConfigSource, type LocateOptions } from './locate.js';
export type { ConfigEdits, RemoteInput } from './document.js';
export {
  loadConfig,
  updateConfig,
  migrateLegacy,
  validateConfig,
  lastOwnWrite,
  type LoadOptions,
  type LoadedConfig,
  type ValidateContext,
  type Validated,
} from './store.js';
export { watchConfig, type ConfigChange, type ConfigWatcher, type WatchOptions } from './watch.js';
export { HOSTED_REMOTE } from '../../common/config-fields.js';
