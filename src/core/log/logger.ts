import elog from 'electron-log/node';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { join } from 'node:path';
import { HypergolixError } from '../golix/errors.js';
import { FileSink } from './file-sink.js';
import { formatLine } from './format.js';
import { LEVELS, levelRank, maxLevelOf, parseVerbosity, type LogLevel, type Verbosity } from './levels.js';

export interface Logger {
  /** Dotted scope: `hgxapp`, `hgxapp.remote`, … */
  readonly name: string;
  readonly verbosity: Verbosity;
  /** Whether logged Errors carry their full stack (config `debug`). */
  readonly debugStacks: boolean;
  /** The live log file, or null for loggers without one. */
  readonly file: string | null;
  /** Verbosity is `shouty` or `extreme`: WebSocket frames are logged. */
  readonly shouty: boolean;
  /** Verbosity is `extreme`: event-loop delay is logged every few seconds. */
  readonly extreme: boolean;
  /** Same as `shouty`; transports check it before building a frame summary. */
  readonly frames: boolean;
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
  /** One WebSocket frame (`direction` e.g. `in`/`out`/`>`/`<`); written only at shouty or above. */
  frame(direction: string, summary: string): void;
  /** A logger writing to the same file whose scope is `<name>.<scope>`. */
  child(scope: string): Logger;
  /** Calls `listener` with every formatted line this logger tree writes; returns the unsubscribe. */
  onLine(listener: LineListener): () => void;
  /** Stops the loop monitor and closes the file, for this logger and all its children. Idempotent. */
  close(): Promise<void>;
}

export type LineListener = (line: string, level: LogLevel) => void;

export interface MemoryLogger extends Logger {
  /** Every formatted line, oldest first. */
  readonly lines: string[];
}

export interface LoggerOptions {
  /** File prefix and root scope: `hgxapp`, `hgxserver`, … */
  name: string;
  /** Directory for the log files (created 0700 if missing); null or omitted: no file. */
  logdir?: string | null;
  verbosity?: Verbosity | string;
  /** Full stack traces for logged Errors; otherwise one line `Name: message`. */
  debug?: boolean;
  /** Also write lines to stderr (foreground runs). Default false. */
  console?: boolean;
  /** Rotation threshold in bytes. Default 5 MiB. */
  maxSize?: number;
  /** Rotated files kept. Default 10. */
  maxFiles?: number;
  /** Period of the extreme-verbosity loop report. Default 10 s. */
  loopReportMs?: number;
  /** Time source for the file name (tests). */
  now?: () => Date;
}

/** A log file or directory could not be set up at start. Writes after that never throw. */
export class LogSetupError extends HypergolixError {}

export const DEFAULT_MAX_SIZE = 5 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 10;
const DEFAULT_LOOP_REPORT_MS = 10_000;

let consoleEnabled = true;
let stderrGuarded = false;

/**
 * Process-wide switch for console output of every logger. A detached daemon turns it off once its
 * parent has let go of the terminal: the lines are in the file, and stderr may now be a closed pipe.
 */
export function setConsoleEnabled(enabled: boolean): void {
  consoleEnabled = enabled;
}

function writeConsole(line: string): void {
  if (!consoleEnabled) return;
  if (!stderrGuarded) {
    // A closed stderr pipe reports EPIPE as an 'error' event, which would otherwise be fatal.
    stderrGuarded = true;
    process.stderr.on('error', () => {});
  }
  process.stderr.write(line + '\n');
}

/** `<name>_YYYY.MM.DD_HH.MM.SS.log`, local time, as the reference names its logs (§8). */
function logFileName(name: string, date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${name}_${date.getFullYear()}.${p(date.getMonth() + 1)}.${p(date.getDate())}` +
    `_${p(date.getHours())}.${p(date.getMinutes())}.${p(date.getSeconds())}.log`
  );
}

type ElectronLogger = typeof elog;
let instanceSeq = 0;

/** Shared state of one logger tree: one electron-log instance, one file, one verbosity. */
class Root {
  readonly maxRank: number;
  readonly listeners = new Set<LineListener>();
  closed = false;
  private monitor: { histogram: IntervalHistogram; timer: NodeJS.Timeout } | null = null;
  private readonly instance: ElectronLogger | null;
  private readonly logId: string;

  readonly verbosity: Verbosity;
  readonly debugStacks: boolean;
  readonly sink: FileSink | null;
  readonly toConsole: boolean;
  readonly memory: string[] | null;

  constructor(o: {
    verbosity: Verbosity;
    debugStacks: boolean;
    sink?: FileSink | null;
    toConsole?: boolean;
    memory?: string[] | null;
    /** Only real loggers route through electron-log; memory and null loggers need no dispatch. */
    electronLog?: boolean;
    discard?: boolean;
  }) {
    this.verbosity = o.verbosity;
    this.debugStacks = o.debugStacks;
    this.sink = o.sink ?? null;
    this.toConsole = o.toConsole ?? false;
    this.memory = o.memory ?? null;
    this.closed = o.discard ?? false;
    this.maxRank = levelRank(maxLevelOf(o.verbosity));
    this.logId = `hgx-${process.pid}-${++instanceSeq}`;
    this.instance = o.electronLog ? this.createInstance() : null;
  }

  /**
   * A separate electron-log instance per tree, so an app and an embedded server in one process
   * keep separate files and levels; the global default instance is never touched.
   */
  private createInstance(): ElectronLogger {
    const create = elog.create as unknown as (options: object) => ElectronLogger;
    // errorHandler: null keeps create() from re-pointing the shared default error handler at us.
    const inst = create({ logId: this.logId, levels: [...LEVELS], errorHandler: null });
    for (const key of Object.keys(inst.transports)) inst.transports[key] = null;
    const transport = Object.assign((message: { date: Date; level: string; scope?: string; data: unknown[] }) => this.emit(message), {
      level: maxLevelOf(this.verbosity),
      transforms: [],
    });
    inst.transports['hgx'] = transport as unknown as ElectronLogger['transports']['file'];
    return inst;
  }

  log(level: LogLevel, scope: string, data: unknown[]): void {
    if (this.closed || levelRank(level) > this.maxRank) return;
    try {
      const message = { data, date: new Date(), level, scope };
      if (this.instance) this.instance.processMessage(message as unknown as Parameters<ElectronLogger['processMessage']>[0]);
      else this.emit(message);
    } catch {
      // Logging must never take its caller down.
    }
  }

  private emit(message: { date: Date; level: string; scope?: string; data: unknown[] }): void {
    const level = message.level as LogLevel;
    const line = formatLine(message.date, level, message.scope ?? '', message.data, this.debugStacks);
    this.sink?.write(line);
    this.memory?.push(line);
    if (this.toConsole) {
      try {
        writeConsole(line);
      } catch {
        // a broken terminal is not the caller's problem
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(line, level);
      } catch {
        // a faulty listener must not stop the others or the caller
      }
    }
  }

  startLoopMonitor(scope: string, periodMs: number): void {
    const resolutionMs = 10;
    const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    histogram.enable();
    // The histogram records the whole interval between samples, so the sampling period itself is
    // subtracted to report the delay alone.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs).toFixed(1);
    const timer = setInterval(() => {
      if (histogram.count === 0) return;
      this.log('extreme', scope, [
        `event loop delay p50=${ms(histogram.percentile(50))}ms p99=${ms(histogram.percentile(99))}ms ` +
          `max=${ms(histogram.max)}ms`,
      ]);
      histogram.reset();
    }, periodMs);
    // Diagnostics must not keep an otherwise finished process alive.
    timer.unref();
    this.monitor = { histogram, timer };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.monitor) {
      clearInterval(this.monitor.timer);
      this.monitor.histogram.disable();
      this.monitor = null;
    }
    this.sink?.close();
    this.listeners.clear();
    // electron-log keeps every instance in a static map; drop ours so closed trees can be collected.
    const instances = (elog as unknown as { Logger?: { instances?: Record<string, unknown> } }).Logger?.instances;
    if (instances) delete instances[this.logId];
  }
}

class ScopedLogger implements Logger {
  constructor(
    private readonly root: Root,
    readonly name: string,
  ) {}

  /** The file written now (its name moves on when another start took it meanwhile: FileSink). */
  get file(): string | null {
    return this.root.sink?.path ?? null;
  }

  get verbosity(): Verbosity {
    return this.root.verbosity;
  }
  get debugStacks(): boolean {
    return this.root.debugStacks;
  }
  get shouty(): boolean {
    return this.root.maxRank >= levelRank('shouty');
  }
  get extreme(): boolean {
    return this.root.maxRank >= levelRank('extreme');
  }
  get frames(): boolean {
    return this.shouty;
  }

  error(message: string, ...details: unknown[]): void {
    this.root.log('error', this.name, [message, ...details]);
  }
  warn(message: string, ...details: unknown[]): void {
    this.root.log('warn', this.name, [message, ...details]);
  }
  info(message: string, ...details: unknown[]): void {
    this.root.log('info', this.name, [message, ...details]);
  }
  debug(message: string, ...details: unknown[]): void {
    this.root.log('debug', this.name, [message, ...details]);
  }
  frame(direction: string, summary: string): void {
    this.root.log('shouty', this.name, [`${direction} ${summary}`]);
  }
  child(scope: string): Logger {
    return new ScopedLogger(this.root, this.name ? `${this.name}.${scope}` : scope);
  }
  onLine(listener: LineListener): () => void {
    this.root.listeners.add(listener);
    return () => this.root.listeners.delete(listener);
  }
  async close(): Promise<void> {
    this.root.close();
  }
}

class ScopedMemoryLogger extends ScopedLogger implements MemoryLogger {
  constructor(
    root: Root,
    name: string,
    readonly lines: string[],
  ) {
    super(root, name);
  }
}

/**
 * A logger writing `<logdir>/<name>_YYYY.MM.DD_HH.MM.SS.log` (a new file per call), rotated at
 * `maxSize` keeping `maxFiles` backups. Throws LogSetupError if the directory or file cannot be
 * created; after that no log call ever throws.
 */
export function createLogger(options: LoggerOptions): Logger {
  const verbosity = parseVerbosity(options.verbosity ?? 'warning');
  let sink: FileSink | null = null;
  if (options.logdir) {
    const path = join(options.logdir, logFileName(options.name, (options.now ?? (() => new Date()))()));
    try {
      sink = new FileSink(path, {
        maxSize: options.maxSize ?? DEFAULT_MAX_SIZE,
        maxFiles: options.maxFiles ?? DEFAULT_MAX_FILES,
      });
    } catch (err) {
      throw new LogSetupError(`cannot create log file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  const root = new Root({ verbosity, debugStacks: options.debug ?? false, sink, toConsole: options.console ?? false, electronLog: true });
  if (root.maxRank >= levelRank('extreme')) {
    root.startLoopMonitor(`${options.name}.loop`, options.loopReportMs ?? DEFAULT_LOOP_REPORT_MS);
  }
  return new ScopedLogger(root, options.name);
}

/** A logger that keeps its lines in memory, for tests. Default verbosity: debug. */
export function createMemoryLogger(options: Partial<Pick<LoggerOptions, 'name' | 'verbosity' | 'debug'>> = {}): MemoryLogger {
  const lines: string[] = [];
  const root = new Root({ verbosity: parseVerbosity(options.verbosity ?? 'debug'), debugStacks: options.debug ?? false, memory: lines });
  return new ScopedMemoryLogger(root, options.name ?? 'test', lines);
}

/** A logger that discards everything. */
export const nullLogger: Logger = new ScopedLogger(new Root({ verbosity: 'error', debugStacks: false, discard: true }), '');
