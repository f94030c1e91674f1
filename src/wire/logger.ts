/**
 * The slice of a logger a peer needs. It is structurally a subset of `src/core/log`'s Logger, so
 * that one can be passed straight in; anything with these methods (console included) works.
 */
export interface PeerLogger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
  /** One WebSocket frame summary, written only at `shouty` verbosity. */
  frame?(direction: 'in' | 'out', summary: string): void;
  /**
   * Whether `frame` lines are written at all. Checked before a summary is built, because
   * building one per frame is measurable at thousands of frames per second. Absent means
   * "yes, if `frame` exists".
   */
  readonly frames?: boolean;
}

const noop = (): void => {};

/** Drops everything: the default for every peer. */
export const silentLogger: PeerLogger = { error: noop, warn: noop, info: noop, debug: noop };

/** The frame sink of a logger, or null when frames are not being logged. */
export function frameSink(logger: PeerLogger): ((direction: 'in' | 'out', summary: string) => void) | null {
  if (!logger.frame || logger.frames === false) return null;
  return logger.frame.bind(logger);
}
