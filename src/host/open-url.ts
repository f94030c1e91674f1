/**
 * Opening a web page in the user's browser, for `hypergolix config --register` and any host
 * that has no Electron `shell.openExternal`: only http(s), and never through a shell, on any
 * platform. A registration URL comes from hypergolix.yml, which a remote's operator may have
 * suggested; through `cmd /c start` a `|`, `^`, `&` or `%` in it would run commands.
 *
 * - Linux and the BSDs: `xdg-open URL`;
 * - macOS: `/usr/bin/open URL`;
 * - Windows: `rundll32.exe url.dll,FileProtocolHandler URL` (the shell's URL handler, no
 *   cmd.exe), with the command line built here (`windowsCommandLine`) and passed verbatim, so
 *   what the tests check is exactly what CreateProcess gets.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** A URL that will not be opened, and why (`reason` as data: 'scheme', 'malformed', 'characters'). */
export class UnsafeUrlError extends Error {
  override readonly name = 'UnsafeUrlError';
  constructor(
    readonly reason: 'scheme' | 'malformed' | 'characters',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The URL as it will be opened: parsed and serialized (so spaces, quotes and angle brackets are
 * percent-encoded), http or https only, with `|` and `^` (which no URL needs raw; some
 * handlers pass them on to a shell) percent-encoded too. Throws UnsafeUrlError otherwise.
 */
export function checkOpenableUrl(raw: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new UnsafeUrlError('characters', 'the URL holds control characters');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UnsafeUrlError('malformed', `not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeUrlError('scheme', `only http:// and https:// pages are opened, not ${url.protocol}`);
  if (url.hostname === '') throw new UnsafeUrlError('malformed', 'the URL names no host');
  const href = url.href.replace(/\|/g, '%7C').replace(/\^/g, '%5E');
  if (/[\s"<>`]/.test(href)) throw new UnsafeUrlError('characters', 'the URL holds characters a browser would not accept');
  return href;
}

export interface OpenerCommand {
  file: string;
  args: string[];
  /** Windows: the whole command line, passed as is (windowsVerbatimArguments). */
  commandLine?: string;
}

/**
 * One argument quoted for a Windows command line the way CommandLineToArgvW and the C runtime
 * read it back (libuv's rule): unquoted when it has no space, tab or quote; otherwise in
 * quotes, with a quote escaped and the backslashes before a quote (or the closing one) doubled.
 */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      slashes++;
      continue;
    }
    out += ch === '"' ? '\\'.repeat(slashes * 2 + 1) + '"' : '\\'.repeat(slashes) + ch;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

export function windowsCommandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map(quoteWindowsArg).join(' ');
}

/** What runs to open `url` (already checked by checkOpenableUrl) on `platform`. */
export function openerCommand(url: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): OpenerCommand {
  if (platform === 'darwin') return { file: '/usr/bin/open', args: [url] };
  if (platform === 'win32') {
    const root = env['SystemRoot'] || env['SYSTEMROOT'] || 'C:\\Windows';
    const file = join(root, 'System32', 'rundll32.exe').replace(/\//g, '\\');
    const args = ['url.dll,FileProtocolHandler', url];
    return { file, args, commandLine: windowsCommandLine(file, args) };
  }
  return { file: 'xdg-open', args: [url] };
}

/**
 * Opens `raw` in the browser, detached. Resolves once the opener has started (an opener may
 * be the browser itself, which would not exit soon; a CLI must not wait for it); rejects with
 * UnsafeUrlError before anything runs, or when the opener cannot be started.
 */
export function openUrl(raw: string, o: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const platform = o.platform ?? process.platform;
  const env = o.env ?? process.env;
  let cmd: OpenerCommand;
  try {
    cmd = openerCommand(checkOpenableUrl(raw), platform, env);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return new Promise((resolve, reject) => {
    // Verbatim on Windows: libuv then joins the arguments with spaces as they are, so the one
    // argument is the quoted rest of the command line.
    const args = cmd.commandLine ? [cmd.args.map(quoteWindowsArg).join(' ')] : cmd.args;
    const child = spawn(cmd.file, args, {
      detached: true,
      stdio: 'ignore',
      windowsHide: true,
      shell: false,
      env,
      ...(cmd.commandLine ? { windowsVerbatimArguments: true } : {}),
    });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
