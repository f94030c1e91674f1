import { spawn } from 'node:child_process';
import { homedir as osHomedir } from 'node:os';
import {
  HOSTED_REMOTE,
  parseBoolean,
  parseHost,
  parsePort,
  parseRemoteSpec,
  parseSharingPolicy,
  parseVerbosity,
  showValue,
  type Field,
  type RemoteSpec,
  type SharingPolicy,
  type Verbosity,
} from '../../common/config-fields.js';
import { loadConfig, updateConfig, type ConfigEdits, type HypergolixConfig, type LoadedConfig } from '../../core/config/index.js';
import { CliError, type CliIO, type Command } from '../command.js';

const RESTART = 'Restart Hypergolix to apply the changes.';
const HOSTED_GONE = `Note: the hosted service at ${HOSTED_REMOTE.host} no longer exists, so this remote will not connect.`;

const USAGE = `Usage: hypergolix config [options]

Shows or edits the configuration file (hypergolix.yml). Without options it prints where the file
is and what it says. If there is no file yet, one is created with the defaults.

Where the file is:
  --root PATH                 use this config file, or the hypergolix.yml in this directory
                              (otherwise: $HYPERGOLIX_HOME, the current directory, ~/.hypergolix,
                              /etc/hypergolix, %LOCALAPPDATA%\\Hypergolix on Windows)

Account:
  --whoami                    print this account's fingerprint (what others share with) and user ID
  --register                  open the registration page of the first remote that has one,
                              for this account's fingerprint

Edits (each is checked before anything is written):
  --add-remote HOST:PORT[:tls]          add a persistence server (IPv6: [::1]:7770)
  --remove-remote HOST:PORT             remove one
  -ah, --addhost HOST PORT TLS          the same, reference style (TLS: y/n, true/false, 1/0 …)
  -rh, --removehost HOST PORT
  -o, --only local                      remove every remote: this computer only
  -o, --only hgx | -a, --add hgx | -r, --remove hgx
                                        the reference's hosted server ${HOSTED_REMOTE.host}:${HOSTED_REMOTE.port},
                                        which no longer exists
  -v, --verbosity LEVEL                 error, warning, info, debug, shouty, extreme
                                        (or quiet, normal, loud, louder)
  --debug, --no-debug                   debug mode on or off
  -ipc, --ipc-port PORT                 the port apps use to reach the daemon (default 7772)
  --sharing all|known|ask               who may share with you without being asked (default ask)

Other settings are edited in the file itself; it keeps your comments. Beyond the reference's keys
(process, instrumentation, user, remotes, server) it understands:
  process.ipc_legacy_clients   let Python hgx apps connect without the per-install key (false)
  server.max_message_bytes     largest message or object, e.g. "16 MiB" (10 MiB)
  server.accept_v15            accept 2016-format objects (false)
  server.max_subscriptions     per connection (10000)
  server.publish_allowlist     fingerprints allowed to publish (null: anyone)
  server.quota_bytes_per_identity, server.quota_objects_per_identity
                               storage per identity, e.g. "500 MiB" (null: no quota)
  server.publish_rate_per_identity
                               publishes per second per identity (null: no limit)
  server.publish_burst         publishes one identity may make at once (ten seconds' worth)
  server.unsigned_publish_rate_per_connection
                               identity and request publishes per second per connection (null)
  remotes[].registration       a remote's registration page, for --register
  sharing.accept, sharing.block
  desktop.embedded_server, desktop.start_at_login, desktop.unlock_automatically,
  desktop.notifications.{incoming_share, share_result, remote_unreachable, daemon_error}
`;

interface Parsed {
  root?: string;
  whoami: boolean;
  register: boolean;
  add: RemoteSpec[];
  remove: { host: string; port: number }[];
  only?: 'local' | 'hgx';
  verbosity?: Verbosity;
  debug?: boolean;
  ipcPort?: number;
  sharing?: SharingPolicy;
  /** Lines printed after a successful save, in flag order. */
  notes: string[];
}

const usageError = (message: string) => new CliError(`${message}. See "hypergolix config --help".`, 2);

function check<T>(flag: string, value: string, r: Field<T>): T {
  if (r.ok) return r.value;
  // The flag and value lead the message already, so the validator's closing ", not <value>" would repeat them.
  throw usageError(`${flag} ${showValue(value)}: the value ${r.error.replace(/, not [^,]*$/, '')}`);
}

const describeRemote = (r: { host: string; port: number; tls?: boolean }) =>
  `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}${r.tls === undefined ? '' : r.tls ? ' (TLS)' : ' (no TLS)'}`;

/** A hand parser: the reference's `-ah HOST PORT TLS` takes three values, which parseArgs cannot express. */
export function parseConfigArgs(argv: readonly string[]): Parsed {
  const p: Parsed = { whoami: false, register: false, add: [], remove: [], notes: [] };
  let removeTouched = false;
  let addTouched = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const inline = eq > 0 ? word.slice(eq + 1) : undefined;
    const take = (n: number): string[] => {
      if (inline !== undefined) {
        if (n !== 1) throw usageError(`${flag} takes ${n} values, given separately`);
        return [inline];
      }
      const vals = argv.slice(i + 1, i + 1 + n);
      if (vals.length < n || vals.some((v) => v.startsWith('-') && !/^-\d/.test(v))) {
        throw usageError(`${flag} needs ${n === 1 ? 'a value' : `${n} values`}`);
      }
      i += n;
      return vals;
    };
    const noValue = () => {
      if (inline !== undefined) throw usageError(`${flag} takes no value`);
    };
    switch (flag) {
      case '--root':
        p.root = take(1)[0]!;
        break;
      case '--whoami':
        noValue();
        p.whoami = true;
        break;
      case '--register':
        noValue();
        p.register = true;
        break;
      case '--add-remote': {
        const v = take(1)[0]!;
        const r = check(flag, v, parseRemoteSpec(v));
        p.add.push(r);
        p.notes.push(`Added remote ${describeRemote(r)}.`);
        addTouched = true;
        break;
      }
      case '--remove-remote': {
        const v = take(1)[0]!;
        const r = check(flag, v, parseRemoteSpec(v));
        p.remove.push({ host: r.host, port: r.port });
        removeTouched = true;
        break;
      }
      case '-ah':
      case '--addhost': {
        const [h, port, tls] = take(3) as [string, string, string];
        const r = {
          host: check(`${flag} HOST`, h, parseHost(h)),
          port: check(`${flag} PORT`, port, parsePort(port)),
          tls: check(`${flag} TLS`, tls, parseBoolean(tls)),
        };
        p.add.push(r);
        p.notes.push(`Added remote ${describeRemote(r)}.`);
        addTouched = true;
        break;
      }
      case '-rh':
      case '--removehost': {
        const [h, port] = take(2) as [string, string];
        p.remove.push({ host: check(`${flag} HOST`, h, parseHost(h)), port: check(`${flag} PORT`, port, parsePort(port)) });
        removeTouched = true;
        break;
      }
      case '-o':
      case '--only': {
        const v = take(1)[0]!;
        if (v !== 'local' && v !== 'hgx') throw usageError(`${flag} ${showValue(v)}: use "local" (no remotes) or "hgx"`);
        if (p.only && p.only !== v) throw usageError(`${flag} is given twice with different values`);
        p.only = v;
        break;
      }
      case '-a':
      case '--add':
      case '-r':
      case '--remove': {
        const v = take(1)[0]!;
        const adding = flag === '-a' || flag === '--add';
        if (v !== 'hgx') {
          throw usageError(`${flag} ${showValue(v)}: only "hgx" is a named remote; use ${adding ? '--add-remote HOST:PORT[:tls]' : '--remove-remote HOST:PORT'}`);
        }
        if (adding) {
          p.add.push({ ...HOSTED_REMOTE });
          p.notes.push(`Added remote ${describeRemote(HOSTED_REMOTE)}.`, HOSTED_GONE);
          addTouched = true;
        } else {
          p.remove.push({ host: HOSTED_REMOTE.host, port: HOSTED_REMOTE.port });
          removeTouched = true;
        }
        break;
      }
      case '-v':
      case '--verbosity': {
        const v = take(1)[0]!;
        p.verbosity = check(flag, v, parseVerbosity(v));
        break;
      }
      case '--debug':
      case '--no-debug': {
        noValue();
        const on = flag === '--debug';
        if (p.debug !== undefined && p.debug !== on) throw usageError('--debug and --no-debug contradict each other');
        p.debug = on;
        break;
      }
      case '-ipc':
      case '--ipc-port': {
        const v = take(1)[0]!;
        p.ipcPort = check(flag, v, parsePort(v));
        break;
      }
      case '--sharing': {
        const v = take(1)[0]!;
        p.sharing = check(flag, v, parseSharingPolicy(v));
        break;
      }
      default:
        throw usageError(flag.startsWith('-') ? `unknown option ${flag}` : `unexpected argument ${showValue(flag)}`);
    }
  }
  if (p.only && (addTouched || removeTouched)) {
    throw usageError('--only replaces the whole list of remotes, so it cannot be combined with adding or removing remotes');
  }
  return p;
}

function edits(p: Parsed): ConfigEdits | null {
  const e: ConfigEdits = {};
  if (p.only === 'local') e.remotes = { replace: [] };
  else if (p.only === 'hgx') e.remotes = { replace: [{ ...HOSTED_REMOTE }] };
  else if (p.add.length || p.remove.length) e.remotes = { remove: p.remove, add: p.add };
  if (p.verbosity !== undefined || p.debug !== undefined) {
    e.instrumentation = {};
    if (p.verbosity !== undefined) e.instrumentation.verbosity = p.verbosity;
    if (p.debug !== undefined) e.instrumentation.debug = p.debug;
  }
  if (p.ipcPort !== undefined) e.process = { ipc_port: p.ipcPort };
  if (p.sharing !== undefined) e.sharing = { accept: p.sharing };
  return Object.keys(e).length ? e : null;
}

const SHARING_TEXT: Record<SharingPolicy, string> = {
  all: 'all (accept shares from anyone)',
  known: 'known (accept shares from known contacts only)',
  ask: 'ask (accept known contacts, ask about anyone else)',
};

export function summary(loaded: LoadedConfig): string {
  const c = loaded.config;
  const col = (label: string, value: string) => `${(label ? label + ':' : '').padEnd(13)}${value}`;
  const lines = [col('Config file', loaded.path)];
  lines.push(...identityLines(c, col));
  if (c.user.root_secret) lines.push(col('Root secret', 'stored in this file (risky: anyone who can read it can open your account)'));
  if (c.remotes.length === 0) lines.push(col('Remotes', 'none (this computer only)'));
  c.remotes.forEach((r, i) => {
    const reg = r.registration ? `, registration: ${r.registration}` : '';
    lines.push(col(i === 0 ? 'Remotes' : '', describeRemote(r) + reg));
  });
  lines.push(col('Logging', `${c.instrumentation.verbosity}, debug ${c.instrumentation.debug ? 'on' : 'off'}`));
  lines.push(col('IPC port', `${c.process.ipc_port}${c.process.ipc_legacy_clients ? ' (legacy apps may connect without a key)' : ''}`));
  lines.push(col('Server', `${describeRemote({ host: c.server.host, port: c.server.port })}${c.desktop.embedded_server ? ' (run by the desktop app)' : ''}`));
  const blocked = c.sharing.block.length ? `; ${c.sharing.block.length} blocked` : '';
  lines.push(col('Sharing', SHARING_TEXT[c.sharing.accept] + blocked));
  return lines.join('\n');
}

function identityLines(c: HypergolixConfig, col: (l: string, v: string) => string): string[] {
  const { fingerprint, user_id } = c.user;
  if (!fingerprint && !user_id) return [col('Account', 'no account yet (create one with "hypergolix start app" or the desktop app)')];
  return [col('Fingerprint', fingerprint?.text ?? '(not recorded)'), col('User ID', user_id?.text ?? '(not recorded)')];
}

export interface ConfigCommandDeps {
  /** Opens a URL in the user's browser; failures are ignored. Default: xdg-open, open or start. */
  openUrl?: (url: string, platform: NodeJS.Platform) => void;
  /** Whether stdout is a terminal (a script piping the output should not get a browser). */
  stdoutIsTTY?: () => boolean;
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** The machine-wide config directory searched after the home directory. Default /etc/hypergolix. */
  systemDir?: string;
}

function defaultOpenUrl(url: string, platform: NodeJS.Platform): void {
  const [cmd, args] =
    platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore', windowsHide: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Opening the page is a convenience; the URL is already printed.
  }
}

function displayAvailable(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
}

export function createConfigCommand(deps: ConfigCommandDeps = {}): Command {
  const platform = deps.platform ?? process.platform;
  const openUrl = deps.openUrl ?? defaultOpenUrl;
  const stdoutIsTTY = deps.stdoutIsTTY ?? (() => Boolean(process.stdout.isTTY));

  return {
    name: 'config',
    summary: 'show or edit the configuration (hypergolix.yml); --whoami, --register',
    usage: USAGE,
    async run(argv: string[], io: CliIO): Promise<number> {
      const p = parseConfigArgs(argv);
      const change = edits(p);
      const homedir = io.env['HOME'] || io.env['USERPROFILE'] || osHomedir();

      let loaded = await loadConfig({
        root: p.root,
        create: true,
        env: io.env,
        cwd: io.cwd,
        homedir,
        platform,
        ...(deps.systemDir !== undefined ? { systemDir: deps.systemDir } : {}),
      });
      if (loaded.created) io.out(`Welcome to Hypergolix! Created a new configuration file: ${loaded.path}`);
      if (loaded.migratedFrom) io.out(`Converted the 2016 configuration to ${loaded.path}; the original is kept as ${loaded.migratedFrom}.`);
      for (const w of loaded.warnings) io.err(`warning: ${w.message}`);

      if (change) {
        const before = loaded;
        const notes = [...p.notes];
        for (const r of p.remove) {
          const there = before.config.remotes.some((x) => x.host.toLowerCase() === r.host.toLowerCase() && x.port === r.port);
          notes.push(there ? `Removed remote ${describeRemote(r)}.` : `Remote ${describeRemote(r)} is not configured; nothing to remove.`);
        }
        if (p.only === 'local') notes.push('Removed all remotes: Hypergolix keeps everything on this computer.');
        if (p.only === 'hgx') notes.push(`Remotes set to ${describeRemote(HOSTED_REMOTE)} only.`, HOSTED_GONE);
        if (p.verbosity !== undefined) notes.push(`Verbosity set to ${p.verbosity}.`);
        if (p.debug !== undefined) notes.push(`Debug mode ${p.debug ? 'on' : 'off'}.`);
        if (p.ipcPort !== undefined) notes.push(`IPC port set to ${p.ipcPort}.`);
        if (p.sharing !== undefined) notes.push(`Sharing policy set to ${SHARING_TEXT[p.sharing]}.`);

        loaded = await updateConfig(before, change);
        for (const n of notes) io.out(n);
        if (loaded.text === before.text && !before.legacy) io.out(`Nothing changed in ${loaded.path}.`);
        else io.out(`Saved ${loaded.path}. ${RESTART}`);
      }

      if (p.whoami) {
        const { fingerprint, user_id } = loaded.config.user;
        if (!fingerprint && !user_id) {
          io.out('No account yet: create one with "hypergolix start app" or the desktop app.');
          return 1;
        }
        io.out(`Fingerprint: ${fingerprint?.text ?? '(not recorded)'}`);
        io.out(`User ID:     ${user_id?.text ?? '(not recorded)'}`);
      }

      if (p.register) {
        const fingerprint = loaded.config.user.fingerprint;
        if (!fingerprint) {
          throw new CliError('no account yet, so there is no fingerprint to register; create one first with "hypergolix start app" or the desktop app', 1);
        }
        const remote = loaded.config.remotes.find((r) => r.registration);
        if (!remote) {
          throw new CliError(
            'none of the configured remotes offers registration (a remote offers it with a "registration:" URL in hypergolix.yml). ' +
              'Servers you run yourself need no registration.',
            1,
          );
        }
        const url = new URL(remote.registration!);
        url.searchParams.set('fingerprint', fingerprint.text);
        io.out(`Register this account with ${describeRemote(remote)} at:\n  ${url.href}`);
        if (stdoutIsTTY() && displayAvailable(platform, io.env)) {
          try {
            openUrl(url.href, platform);
            io.out('Opening it in your browser.');
          } catch {
            // The URL is printed; a missing opener is not an error.
          }
        }
      }

      if (!change && !p.whoami && !p.register) io.out(summary(loaded));
      return 0;
    },
  };
}

export const configCommand: Command = createConfigCommand();
