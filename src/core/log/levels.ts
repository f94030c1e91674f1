import { ValueError } from '../golix/errors.js';
import { VERBOSITIES, parseVerbosity as parseVerbosityField, type Verbosity } from '../../common/config-fields.js';

/**
 * How much a process logs, least to most. `shouty` adds WebSocket frame summaries to `debug`;
 * `extreme` adds event-loop diagnostics to `shouty` (hypergolix-reference §7). The spellings
 * and aliases accepted are the config file's (src/common/config-fields.ts).
 */
export { VERBOSITIES, type Verbosity };

/**
 * The levels a single line is written at, lowest (most important) first; electron-log compares
 * levels by their index in this list. `shouty` lines are frames, `extreme` lines are loop stats.
 */
export const LEVELS = ['error', 'warn', 'info', 'debug', 'shouty', 'extreme'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** Parses a verbosity from config or CLI input; throws ValueError naming the accepted values. */
export function parseVerbosity(value: unknown): Verbosity {
  const r = parseVerbosityField(value);
  if (r.ok) return r.value;
  throw new ValueError(`unknown log verbosity ${JSON.stringify(value)}: ${r.error}`);
}

/** The most detailed level a verbosity lets through. */
export function maxLevelOf(verbosity: Verbosity): LogLevel {
  return verbosity === 'warning' ? 'warn' : verbosity;
}

export function levelRank(level: LogLevel): number {
  return LEVELS.indexOf(level);
}
