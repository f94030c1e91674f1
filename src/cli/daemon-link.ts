/**
 * How CLI commands talk to the running app daemon: its IPC port (as the daemon wrote it in its
 * pid file, else from hypergolix.yml), the key from `<home>/ipc-token` (proved, never sent: the
 * listener proves it holds it first), one authenticated connection, JSON verbs
 * (src/wire/people.ts). When it cannot be reached, the error says why in the daemon's terms: not
 * running, or running but its key is missing, or not answering, or not the daemon at all.
 */
import { existsSync } from 'node:fs';
import { WebSocket } from 'ws';
import { loadConfig, type LoadedConfig } from '../core/config/index.js';
import { ipcTokenPath, readIpcToken } from '../core/ipc/index.js';
import { readPidFile } from '../core/process/pidfile.js';
import { Connection, type RequestHandler } from '../core/remote/connection.js';
import { ConnectionClosed, NotThisDaemon, RequestTimeout, decodeJsonBody, encodeJsonBody, proveKeyToDaemon } from '../wire/index.js';
import { CliError, type CliIO } from './command.js';

/** How long the connection and its authentication may take: a daemon that holds its port but is frozen must not hang the command. */
export const DAEMON_ANSWER_MS = 5_000;

/**
 * Why the daemon could not be reached: `why` in the daemon's terms; `pid` of the live process
 * holding its pid file, or null when none runs (then the advice is to start it).
 */
export class DaemonUnreachable extends CliError {
  constructor(
    readonly why: string,
    readonly pid: number | null,
    /** The words to print, when the daemon's own say it all (its refusal of the key). */
    message?: string,
  ) {
    super(message ?? (pid === null ? `The app daemon is not running (${why}). Start it with: hypergolix start app` : `The app daemon (pid ${pid}) is running, but ${why}`), 1);
  }
}

export interface DaemonLink {
  /** `timeoutMs`: how long the answer may take. @default 30 s */
  call(verb: string, body?: unknown, o?: { timeoutMs?: number }): Promise<unknown>;
  /** A verb whose bodies are not JSON, as bytes both ways. */
  raw(verb: string, body: Uint8Array): Promise<Uint8Array>;
  close(): void;
  /** Resolves once the connection has closed (the daemon stopped, or `close()`). */
  readonly closed: Promise<unknown>;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: DAEMON_ANSWER_MS });
    ws.once('open', () => resolve(ws));
    ws.once('error', (err) => reject(err));
  });
}

/** The app daemon's process as its pid file says: its pid, and the IPC port it wrote (null when none or impossible). */
export interface RunningDaemon {
  pid: number;
  ipcPort: number | null;
}

/** The app daemon's process, as its pid file says, when alive. */
export function runningDaemon(loaded: LoadedConfig): RunningDaemon | null {
  const found = readPidFile(loaded.config.process.pid_file);
  if (!found?.alive || found.pid === null) return null;
  const written = found.info?.ipc_port;
  return { pid: found.pid, ipcPort: Number.isInteger(written) && (written as number) >= 1 && (written as number) <= 65535 ? (written as number) : null };
}

/** The port the daemon listens on: the one it wrote at its start (the config's may have been edited since), else the config's. */
export function daemonIpcPort(loaded: LoadedConfig, running: RunningDaemon | null): number {
  return running?.ipcPort ?? loaded.config.process.ipc_port;
}

/** Connects to the daemon of the config at `root` (or found as usual); a CliError when none runs. */
export async function connectDaemon(io: CliIO, root?: string): Promise<DaemonLink> {
  return connectDaemonOf(await loadConfig({ root, env: io.env, cwd: io.cwd }));
}

/**
 * Connects to the daemon of a config already loaded, on the IPC port its pid file names (else
 * the config's); a CliError when none runs. `running` is the pid file as the caller already read
 * it (read here when not given); `handlers` answer what the daemon sends (`D!` after `D+`).
 */
export async function connectDaemonOf(loaded: LoadedConfig, o: { running?: RunningDaemon | null; handlers?: Map<string, RequestHandler> | undefined } = {}): Promise<DaemonLink> {
  const running = o.running === undefined ? runningDaemon(loaded) : o.running;
  const port = daemonIpcPort(loaded, running);
  const keyFile = ipcTokenPath(loaded.dir);
  const key = await readIpcToken(keyFile).catch(() => null);
  if (!key && !running) throw new DaemonUnreachable(`no IPC key in ${loaded.dir}`, null);
  // Its port is asked even without a key: a live pid where nothing listens is a stale pid file
  // (the fix is not the key), and a daemon that listens is told apart from one that is frozen.
  let ws: WebSocket;
  try {
    ws = await openSocket(`ws://127.0.0.1:${port}/`);
  } catch (err) {
    if (!running) throw new DaemonUnreachable(`nothing answers on 127.0.0.1:${port}`, null);
    if (/timed? ?out/i.test((err as Error).message)) throw new DaemonUnreachable(`it did not answer on 127.0.0.1:${port} within ${DAEMON_ANSWER_MS / 1000} s (busy, or stopped by a signal)`, running.pid);
    // Not told as running: the pid may be another program's now.
    const stale = `its pid file (${loaded.config.process.pid_file}) is stale and pid ${running.pid} is another program`;
    throw new DaemonUnreachable(`nothing answers on 127.0.0.1:${port}: it is starting or stopping, or ${stale}`, running.pid, `Pid ${running.pid} of the app daemon's pid file is alive, but nothing answers on 127.0.0.1:${port}: the daemon is starting or stopping, or ${stale}`);
  }
  if (!key) {
    ws.terminate();
    const state = existsSync(keyFile) ? 'is damaged' : 'is missing';
    throw new DaemonUnreachable(`its IPC key ${keyFile} ${state}, so nothing can connect to it. Restart it to write a new one: hypergolix stop app, then hypergolix start app`, running!.pid);
  }
  const conn = new Connection(ws, { name: 'daemon', requestTimeoutMs: 30_000, ...(o.handlers ? { handlers: o.handlers } : {}) });
  try {
    // The listener proves it holds the key before we prove we do: the key itself never goes out.
    await proveKeyToDaemon((verb, body) => conn.request(verb, body, { timeoutMs: DAEMON_ANSWER_MS }), key, port);
  } catch (err) {
    conn.close();
    const message = (err as Error).message;
    if (err instanceof NotThisDaemon) {
      if (!running) {
        const why = `another program answers on 127.0.0.1:${port} (${err.why}; the key was not sent)`;
        throw new DaemonUnreachable(why, null, `The app daemon is not running, and ${why}. The daemon needs that port: stop that program, or give the daemon another port with: hypergolix config --ipc-port PORT`);
      }
      throw new DaemonUnreachable(`what answers on 127.0.0.1:${port} does not hold the IPC key in ${keyFile} (${err.why}; the key was not sent): the key file was replaced since the daemon started (restart it: hypergolix stop app, then hypergolix start app), or another program holds the port`, running.pid);
    }
    // Its refusal says what is wrong in its own words; silence is ours to word.
    if (err instanceof RequestTimeout || err instanceof ConnectionClosed) throw new DaemonUnreachable(`it did not answer within ${DAEMON_ANSWER_MS / 1000} s (${message})`, running?.pid ?? null);
    throw new DaemonUnreachable(message, running?.pid ?? null, message);
  }
  return {
    async call(verb, body, o) {
      const answer = await conn.request(verb, body === undefined ? new Uint8Array(0) : encodeJsonBody(body), o);
      return answer.length === 1 && answer[0] === 1 ? true : decodeJsonBody(answer);
    },
    raw: (verb, body) => conn.request(verb, body),
    close: () => conn.close(),
    closed: conn.closed,
  };
}
