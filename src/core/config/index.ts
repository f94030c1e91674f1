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
 * Every key, with its default, its validator and what it means, is declared once in
 * src/common/config-keys.ts (the reference's keys of §6.1 first, in its order, then the
 * project's, which the reference ignores when reading); `hypergolix config --help` lists them.
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
  plainConfig,
  type ConfigWarning,
  type HypergolixConfig,
  type SharingPolicy,
  type Verbosity,
} from './schema.js';
export { findConfig, defaultConfigPath, searchDirs, type ConfigLocation, type ConfigSource, type LocateOptions } from './locate.js';
export type { ConfigEdits, RemoteInput } from './edits.js';
export {
  loadConfig,
  updateConfig,
  validateConfig,
  takeOwnWrite,
  withPermissionWarnings,
  type LoadOptions,
  type LoadedConfig,
  type ValidateContext,
  type Validated,
} from './file.js';
export { watchConfig, type ConfigChange, type ConfigWatcher, type WatchOptions } from './watch.js';
