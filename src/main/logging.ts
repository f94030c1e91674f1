/**
 * The main process's own log goes through electron-log's main entry (main.ts sets its file
 * to <logdir>/hgxdesktop.log and catches uncaught errors there). The controller expects the
 * core Logger interface; `loggerOver` adapts any electron-log-like set of level functions to
 * it, so it is tested without Electron. The daemon and the embedded server keep their own
 * files (core/log's createLogger), as under the CLI.
 */
import type { Logger } from '../core/log/index.js';

/** electron-log's LogFunctions, as far as used here. */
export interface LevelFunctions {
  error(...params: unknown[]): void;
  warn(...params: unknown[]): void;
  info(...params: unknown[]): void;
  debug(...params: unknown[]): void;
}

export function loggerOver(target: LevelFunctions, name: string, file: string | null, close: () => Promise<void> = async () => {}): Logger {
  const listeners = new Set<(line: string, level: 'error' | 'warn' | 'info' | 'debug') => void>();
  const make = (scope: string): Logger => {
    const at =
      (level: 'error' | 'warn' | 'info' | 'debug') =>
      (message: string, ...details: unknown[]) => {
        const line = `${scope}: ${message}`;
        target[level](line, ...details);
        for (const l of listeners) l(line, level);
      };
    return {
      name: scope,
      verbosity: 'info',
      debugStacks: false,
      file,
      shouty: false,
      extreme: false,
      frames: false,
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      frame() {},
      child: (s: string) => make(`${scope}.${s}`),
      onLine(listener) {
        listeners.add(listener as (line: string, level: 'error' | 'warn' | 'info' | 'debug') => void);
        return () => listeners.delete(listener as (line: string, level: 'error' | 'warn' | 'info' | 'debug') => void);
      },
      close,
    };
  };
  return make(name);
}
