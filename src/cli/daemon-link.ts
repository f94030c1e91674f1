/**
 * How CLI commands talk to the running app daemon: its IPC port from hypergolix.yml, the key
 * from `<home>/ipc-token`, one authenticated connection, JSON verbs (src/wire/people.ts).
 */
import { WebSocket } from 'ws';
import { loadConfig, type LoadedConfig } from '../core/config/index.js';
import { ipcTokenPath, readIpcToken } from '../core/ipc/index.js';
import { Connection, type RequestHandler } from '../core/remote/connection.js';
import { IpcVerb, decodeJsonBody, encodeJsonBody } from '../wire/index.js';
import { CliError, type CliIO } from './command.js';

export interface DaemonLink {
  call(verb: string, body?: unknown): Promise<unknown>;
  close(): void;
  /** Resolves once the connection has closed (the daemon stopped, or `close()`). */
  readonly closed: Promise<unknown>;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', (err) => reject(err));
  });
}

/** Connects to the daemon of the config at `root` (or found as usual); a CliError when none runs. */
export async function connectDaemon(io: CliIO, root?: string): Promise<DaemonLink> {
  return connectDaemonOf(await loadConfig({ root, env: io.env, cwd: io.cwd }));
}

/**
 * Connects to the daemon of a config already loaded (on `port`, else the config's IPC port); a
 * CliError when none runs. `handlers` answer what the daemon sends (`D!` after `D+`).
 */
export async function connectDaemonOf(loaded: LoadedConfig, port = loaded.config.process.ipc_port, handlers?: Map<string, RequestHandler>): Promise<DaemonLink> {
  let key: Buffer;
  try {
    key = await readIpcToken(ipcTokenPath(loaded.dir));
  } catch {
    throw new CliError(`The app daemon is not running (no IPC key in ${loaded.dir}). Start it with: hypergolix start app`, 1);
  }
  let ws: WebSocket;
  try {
    ws = await openSocket(`ws://127.0.0.1:${port}/`);
  } catch {
    throw new CliError(`The app daemon is not running (nothing answers on 127.0.0.1:${port}). Start it with: hypergolix start app`, 1);
  }
  const conn = new Connection(ws, { name: 'daemon', requestTimeoutMs: 30_000, ...(handlers ? { handlers } : {}) });
  await conn.request(IpcVerb.auth, key);
  return {
    async call(verb, body) {
      const answer = await conn.request(verb, body === undefined ? new Uint8Array(0) : encodeJsonBody(body));
      return answer.length === 1 && answer[0] === 1 ? true : decodeJsonBody(answer);
    },
    close: () => conn.close(),
    closed: conn.closed,
  };
}
