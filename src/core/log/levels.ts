import { ValueError } from '../golix/errors.js';

/**
 * How much a process logs, least to most. `shouty` adds WebSocket frame summaries to `debug`;
 * `extreme` adds event-loop diagnostics to `shouty` (hypergolix-reference §7).
 */
export type Verbosity = 'error' | 'warning' | 'info' | 'debug' | 'shouty' | 'extreme';

/** The level a single line is written at. `shouty` lines are frames, `extreme` lines are loop stats. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'shouty' | 'extreme';

/** Lowest (most important) first; electron-log compares levels by their index in this list. */
export const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'shouty', 'extreme'];

export const VERBOSITIES: readonly Verbosity[] = ['error', 'warning', 'info', 'debug', 'shouty', 'extreme'];

/** The CLI's historical aliases (hypergolix-reference §7) plus the spellings people type anyway. */
const ALIASES: Readonly<Record<string, Verbosity>> = {
  quiet: 'error',
  normal: 'warning',
  warn: 'warning',
  loud: 'info',
  louder: 'debug',
};

/** Python logging's numeric levels, which old configs may still carry. */
const NUMERIC: ReadonlyArray<readonly [number, Verbosity]> = [
  [40, 'error'],
  [30, 'warning'],
  [20, 'info'],
  [10, 'debug'],
  [5, 'shouty'],
  [1, 'extreme'],
];

/** Parses a verbosity from config or CLI input; throws ValueError naming the accepted values. */
export function parseVerbosity(value: unknown): Verbosity {
  if (typeof value === 'number' && Number.isInteger(value)) {
    for (const [n, v] of NUMERIC) if (value >= n) return v;
    return 'extreme';
  }
  if (typeof value === 'string') {
    const key = value.trim().toLowerCase();
    if ((VERBOSITIES as readonly string[]).includes(key)) return key as Verbosity;
    const alias = ALIASES[key];
    if (alias) return alias;
  }
  throw new ValueError(
    `unknown log verbosity ${JSON.stringify(value)}; use one of ${VERBOSITIES.join(', ')} ` +
      `(or quiet, normal, loud, louder)`,
  );
}

/** The most detailed level a verbosity lets through. */
export function maxLevelOf(verbosity: Verbosity): LogLevel {
  return verbosity === 'warning' ? 'warn' : verbosity;
}

export function levelRank(level: LogLevel): number {
  return LEVELS.indexOf(level);
}
