/**
 * The words of `hypergolix config`, parsed by hand: the reference's `-ah HOST PORT TLS` takes
 * three values, which parseArgs cannot express. Every value is checked by the validators the
 * config file uses, so a value accepted here is one the file accepts.
 */
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
  /** Lines printed after a successful save, in flag order. */
  notes: string[];
}

const usageError = (message: string) => new CliError(`${message}. See "hypergolix config --help".`, 2);

function check<T>(flag: string, value: string, r: Field<T>): T {
  if (r.ok) return r.value;
  // The flag and value lead the message already, so the validator's closing ", not <value>" would repeat them.
  throw usageError(`${flag} ${showValue(value)}: the value ${r.error.replace(/, not [^,]*$/, '')}`);
}

export const describeRemote = (r: { host: string; port: number; tls?: boolean }) =>
  `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}${r.tls === undefined ? '' : r.tls ? ' (TLS)' : ' (no TLS)'}`;

/** One flag's handler: `take(n)` consumes its n values, `noValue()` refuses an `=value`. */
interface FlagContext {
  flag: string;
  take(n: number): string[];
  noValue(): void;
}
type Handler = (p: ConfigArgs, c: FlagContext) => void;

function added(p: ConfigArgs, r: RemoteSpec, ...notes: string[]): void {
  p.add.push(r);
  p.notes.push(`Added remote ${describeRemote(r)}.`, ...notes);
}

const FLAGS: Record<string, Handler> = {
  '--root': (p, { take }) => {
    p.root = take(1)[0]!;
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
    const r = check(flag, v, parseRemoteSpec(v));
    p.remove.push({ host: r.host, port: r.port });
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
    p.remove.push({ host: check(`${flag} HOST`, h, parseHost(h)), port: check(`${flag} PORT`, port, parsePort(port)) });
  },
  '--only': (p, { flag, take }) => {
    const v = take(1)[0]!;
    if (v !== 'local' && v !== 'hgx') throw usageError(`${flag} ${showValue(v)}: use "local" (no remotes) or "hgx"`);
    if (p.only && p.only !== v) throw usageError(`${flag} is given twice with different values`);
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
    p.remove.push({ host: HOSTED_REMOTE.host, port: HOSTED_REMOTE.port });
  },
  '--verbosity': (p, { flag, take }) => {
    const v = take(1)[0]!;
    p.verbosity = check(flag, v, parseVerbosity(v));
  },
  '--debug': (p, c) => setDebug(p, c, true),
  '--no-debug': (p, c) => setDebug(p, c, false),
  '--ipc-port': (p, { flag, take }) => {
    const v = take(1)[0]!;
    p.ipcPort = check(flag, v, parsePort(v));
  },
  '--sharing': (p, { flag, take }) => {
    const v = take(1)[0]!;
    p.sharing = check(flag, v, parseSharingPolicy(v));
  },
};

function setDebug(p: ConfigArgs, c: FlagContext, on: boolean): void {
  c.noValue();
  if (p.debug !== undefined && p.debug !== on) throw usageError('--debug and --no-debug contradict each other');
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
  return Object.keys(e).length ? e : null;
}
