/**
 * The runtime of the Node build (`dist/index.js`): sockets from the `ws` package (no `Origin`
 * header, the IPC size cap), the key read from the daemon's home. Node modules are imported
 * lazily, so the same build still runs in an Electron renderer without Node integration (then
 * with the global WebSocket, and `token` given).
 */
import { IPC_MAX_MESSAGE_BYTES, IPC_TOKEN_FILE } from '../../../src/wire/index.js';
import { AuthFailed, NotConnected } from './errors.js';
import { runtime as browser } from './runtime-browser.js';
import type { OpeningSocket, Runtime, SocketFactory } from './runtime.js';

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The directories searched for the daemon's home, in order (hypergolix-reference §6.2). */
async function searchDirs(): Promise<string[]> {
  const os = await import('node:os');
  const path = await import('node:path');
  const env = process.env;
  const dirs: string[] = [];
  if (env.HYPERGOLIX_HOME?.trim()) dirs.push(path.resolve(env.HYPERGOLIX_HOME));
  dirs.push(process.cwd(), path.join(os.homedir(), '.hypergolix'), '/etc/hypergolix');
  if (process.platform === 'win32') dirs.push(path.join(env.LOCALAPPDATA?.trim() || path.join(os.homedir(), 'AppData', 'Local'), 'Hypergolix'));
  return dirs;
}

let sockets: Promise<SocketFactory> | null = null;

export const runtime: Runtime = {
  socketFactory(): Promise<SocketFactory> {
    sockets ??= (async () => {
      if (!isNode()) return browser.socketFactory();
      const ws = await import('ws').catch(() => {
        throw new NotConnected('No WebSocket implementation: install the "ws" package');
      });
      const WS = ws.WebSocket ?? (ws as unknown as { default: typeof ws.WebSocket }).default;
      return (url: string) => new WS(url, { maxPayload: IPC_MAX_MESSAGE_BYTES, perMessageDeflate: false }) as unknown as OpeningSocket;
    })();
    return sockets;
  },

  async readKeyText(file: string): Promise<string> {
    if (!isNode()) return browser.readKeyText(file);
    const fs = await import('node:fs/promises');
    try {
      return await fs.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT') throw new AuthFailed(`No IPC key at ${file}: the daemon creates it when it starts (hypergolix start app)`);
      throw new AuthFailed(`Cannot read the IPC key at ${file}: ${(err as Error).message}`);
    }
  },

  async findKeyFile(): Promise<string> {
    if (!isNode()) return browser.findKeyFile();
    const fs = await import('node:fs');
    const path = await import('node:path');
    const dirs = await searchDirs();
    for (const dir of dirs) {
      for (const name of ['hypergolix.yml', 'hgx-cfg.json']) {
        const found = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
        if (found?.isFile()) return path.join(dir, IPC_TOKEN_FILE);
        // As the daemon's search: a folder of that name stops it (no daemon runs from a home behind it).
        if (found?.isDirectory()) throw new AuthFailed(`${path.join(dir, name)} is a folder, not a config file: no daemon runs with it there; move it aside, or pass tokenFile`);
      }
    }
    throw new AuthFailed(`No Hypergolix home found (looked in ${dirs.join(', ')}); set HYPERGOLIX_HOME or pass tokenFile`);
  },
};
