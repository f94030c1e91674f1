/** Logging shared by the app daemon, the server and their hosts (hypergolix-reference §8). */
export {
  createLogger,
  createMemoryLogger,
  nullLogger,
  setConsoleEnabled,
  LogSetupError,
  DEFAULT_MAX_FILES,
  DEFAULT_MAX_SIZE,
  type LineListener,
  type Logger,
  type LoggerOptions,
  type MemoryLogger,
} from './logger.js';
export { parseVerbosity, VERBOSITIES, type LogLevel, type Verbosity } from './levels.js';
export { formatLine } from './format.js';
