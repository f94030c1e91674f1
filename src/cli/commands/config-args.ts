/**
 * The words of `hypergolix config`, parsed by hand: the reference's `-ah HOST PORT TLS` takes
 * three values, which parseArgs cannot express. Every value is checked by the validators the
 * config file uses, so a value accepted here is one the file accepts.
 */
import {
  HOSTED_REMOTE,
  hostKey,
  parseBoolean,
  parseHost,
  parsePort,
  parsePublicNames,
  parseRemoteSpec,
  parseSharingPolicy,
  parseVerbosity,
  showValue,
  type Field,
  type RemoteSpec,
  type SharingPolicy,
  type Verbosity,
} from '../../common/config-fields.js';
import type { ConfigEdits } from '../../core/config/index.js';
import { CliError } from '../command.js';

export const HOSTED_GONE = `Note: the hosted service at ${HOSTED_REMOTE.host} no longer exists, so this remote will not connect.`;

export interface ConfigArgs {
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
  /** server.public_names; [] resets it (any name). */
  publicNames?: string[];
  /** What to say after a successful save, in flag order (said against the file as it was). */
  notes: ConfigNote[];
}

/** One thing a save did, to be put in words once the file it changed is known. */
export type ConfigNote =
  | { readonly kind: 'add'; readonly remote: RemoteSpec; readonly extra: readonly string[] }
  | { readonly kind: 'remove'; readonly remote: { host: string; port: number } }
  | { readonly kind: 'only' | 'verbosity' | 'debug' | 'ipcPort' | 'sharing' | 'publicNames' };

const usageError = (message: string) => new CliError(`${message}. See "hypergolix config --help".`, 2);

function check<T>(flag: string, value: string, r: Field<T>): T {
  if (r.ok) return r.value;
  // The flag and value lead the message already, so the validator's closing ", not <value>" would repeat them.
  // That closing part is `, not ` and showValue's rendering: quoted text (cut with … when long), or a word.
  const what = r.error.replace(/, not (?:"(?:[^"\\]|\\.)*(?:"|…)|[^,"]*)$/, '');
  throw usageError(`${flag} ${showValue(value)}: the value ${what}`);
}

/** Sets a one-value setting; given again, it must say the same (as --only and --debug must). */
function setOnce<K extends 'root' | 'verbosity' | 'ipcPort' | 'sharing'>(p: ConfigArgs, key: K, value: NonNullable<ConfigArgs[K]>, flag: string): void {
  if (p[key] !== undefined && p[key] !== value) throw usageError(`${flag} is given twice with different values`);
  if (p[key] === undefined && key !== 'root') p.notes.push({ kind: key as 'verbosity' | 'ipcPort' | 'sharing' });
  p[key] = value;
}

const sameRemote = (a: { host: string; port: number }, b: { host: string; port: number }) => a.port === b.port && hostKey(a.host) === hostKey(b.host);

export const describeRemote = (r: { host: string; port: number; tls?: boolean }) =>
  `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}${r.tls === undefined ? '' : r.tls ? ' (TLS)' : ' (no TLS)'}`;

/** One flag's handler: `take(n)` consumes its n values, `noValue()` refuses an `=value`. */
interface FlagContext {
  flag: string;
  take(n: number): string[];
  noValue(): void;
}
type Handler = (p: ConfigArgs, c: FlagContext) => void;

function added(p: ConfigArgs, r: RemoteSpec, ...extra: string[]): void {
  const twice = p.add.find((x) => sameRemote(x, r));
  if (twice && twice.tls !== r.tls) throw usageError(`${describeRemote(r)} is added twice, with and without TLS`);
  if (p.remove.some((x) => sameRemote(x, r))) throw usageError(`${describeRemote({ host: r.host, port: r.port })} is both added and removed`);
  if (twice) return;
  p.add.push(r);
  p.notes.push({ kind: 'add', remote: r, extra });
}

function removed(p: ConfigArgs, r: { host: string; port: number }): void {
  if (p.add.some((x) => sameRemote(x, r))) throw usageError(`${describeRemote(r)} is both added and removed`);
  if (p.remove.some((x) => sameRemote(x, r))) return;
  p.remove.push(r);
  p.notes.push({ kind: 'remove', remote: r });
}

const FLAGS: Record<string, Handler> = {
  '--root': (p, { flag, take }) => {
    const v = take(1)[0]!;
    // An empty path would be the current directory, which the search then finds on every run.
    if (v.trim() === '') throw usageError(`${flag} needs the path of a folder`);
    setOnce(p, 'root', v, flag);
  },
  '--whoami': (p, { noValue }) => {
    noValue();
    p.whoami = true;
  },
  '--register': (p, { noValue }) => {
    noValue();
    p.register = true;
  },
  '--add-remote': (p, { flag, take }) => {
    const v = take(1)[0]!;
    added(p, check(flag, v, parseRemoteSpec(v)));
  },
  '--remove-remote': (p, { flag, take }) => {
    const v = take(1)[0]!;
    const r = check(flag, v, parseRemoteSpec(v, { allowTls: false }));
    removed(p, { host: r.host, port: r.port });
  },
  '--addhost': (p, { flag, take }) => {
    const [h, port, tls] = take(3) as [string, string, string];
    added(p, {
      host: check(`${flag} HOST`, h, parseHost(h)),
      port: check(`${flag} PORT`, port, parsePort(port)),
      tls: check(`${flag} TLS`, tls, parseBoolean(tls)),
    });
  },
  '--removehost': (p, { flag, take }) => {
    const [h, port] = take(2) as [string, string];
    removed(p, { host: check(`${flag} HOST`, h, parseHost(h)), port: check(`${flag} PORT`, port, parsePort(port)) });
  },
  '--only': (p, { flag, take }) => {
    const v = take(1)[0]!;
    if (v !== 'local' && v !== 'hgx') throw usageError(`${flag} ${showValue(v)}: use "local" (no remotes) or "hgx"`);
    if (p.only && p.only !== v) throw usageError(`${flag} is given twice with different values`);
    if (!p.only) p.notes.push({ kind: 'only' });
    p.only = v;
  },
  '--add': (p, { flag, take }) => {
    const v = take(1)[0]!;
    if (v !== 'hgx') throw usageError(`${flag} ${showValue(v)}: only "hgx" is a named remote; use --add-remote HOST:PORT[:tls]`);
    added(p, { ...HOSTED_REMOTE }, HOSTED_GONE);
  },
  '--remove': (p, { flag, take }) => {
    const v = take(1)[0]!;
    if (v !== 'hgx') throw usageError(`${flag} ${showValue(v)}: only "hgx" is a named remote; use --remove-remote HOST:PORT`);
    removed(p, { host: HOSTED_REMOTE.host, port: HOSTED_REMOTE.port });
  },
  '--verbosity': (p, { flag, take }) => {
    const v = take(1)[0]!;
    setOnce(p, 'verbosity', check(flag, v, parseVerbosity(v)), flag);
  },
  '--debug': (p, c) => setDebug(p, c, true),
  '--no-debug': (p, c) => setDebug(p, c, false),
  '--ipc-port': (p, { flag, take }) => {
    const v = take(1)[0]!;
    setOnce(p, 'ipcPort', check(flag, v, parsePort(v)), flag);
  },
  '--sharing': (p, { flag, take }) => {
    const v = take(1)[0]!;
    setOnce(p, 'sharing', check(flag, v, parseSharingPolicy(v)), flag);
  },
  '--public-names': (p, { flag, take }) => {
    const v = take(1)[0]!;
    const names = check(flag, v, parsePublicNames(v));
    if (p.publicNames !== undefined && p.publicNames.join() !== names.join()) throw usageError(`${flag} is given twice with different values`);
    if (p.publicNames === undefined) p.notes.push({ kind: 'publicNames' });
    p.publicNames = names;
  },
};

function setDebug(p: ConfigArgs, c: FlagContext, on: boolean): void {
  c.noValue();
  if (p.debug !== undefined && p.debug !== on) throw usageError('--debug and --no-debug contradict each other');
  if (p.debug === undefined) p.notes.push({ kind: 'debug' });
  p.debug = on;
}

/** The reference's short spellings. */
const ALIASES: Record<string, string> = { '-ah': '--addhost', '-rh': '--removehost', '-o': '--only', '-a': '--add', '-r': '--remove', '-v': '--verbosity', '-ipc': '--ipc-port' };

export function parseConfigArgs(argv: readonly string[]): ConfigArgs {
  const p: ConfigArgs = { whoami: false, register: false, add: [], remove: [], notes: [] };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const inline = eq > 0 ? word.slice(eq + 1) : undefined;
    if (!flag.startsWith('-')) throw usageError(`unexpected argument ${showValue(flag)}`);
    const name = Object.hasOwn(ALIASES, flag) ? ALIASES[flag]! : flag;
    const handler = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (!handler) throw usageError(`unknown option ${flag}`);
    handler(p, {
      flag,
      take(n) {
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
      },
      noValue() {
        if (inline !== undefined) throw usageError(`${flag} takes no value`);
      },
    });
  }
  if (p.only && (p.add.length > 0 || p.remove.length > 0)) {
    throw usageError('--only replaces the whole list of remotes, so it cannot be combined with adding or removing remotes');
  }
  return p;
}

/** The edits the flags ask for; null when they ask for none. */
export function configEdits(p: ConfigArgs): ConfigEdits | null {
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
  // None is the default, so the key leaves the file.
  if (p.publicNames !== undefined) e.server = { public_names: p.publicNames.length ? p.publicNames : null };
  return Object.keys(e).length ? e : null;
}
