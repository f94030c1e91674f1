/**
 * `hypergolix config --help`: the options, then every key of hypergolix.yml with what it does
 * and its default, printed from the table of src/common/config-keys.ts so that the help, the
 * file and the settings page never disagree.
 */
import { formatBytes, HOSTED_REMOTE } from '../../common/config-fields.js';
import { CONFIG_KEYS, type KeySpec } from '../../common/config-keys.js';
import { keysOf, type KeyEntry } from '../../common/config-paths.js';
import { DEFAULT_IPC_PORT } from '../../common/defaults.js';

const OPTIONS = `Usage: hypergolix config [options]

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
  -ipc, --ipc-port PORT                 the port apps use to reach the daemon (default ${DEFAULT_IPC_PORT})
  --sharing all|known|ask               who may share with you without being asked (default ${CONFIG_KEYS.sharing.accept.default})
  --public-names NAME[,NAME…]           server.public_names: the names (host or host:port) the server
                                        gives registration challenges under ("" for any name)

Other settings are edited in the file itself; it keeps your comments. Null or a missing key means
the default; relative paths are taken from the file's directory.`;

/** A key's default as the help shows it. */
function shownDefault(spec: KeySpec & { required?: boolean }): string {
  if (spec.required) return 'required';
  if (spec.shownDefault !== undefined) return `default ${spec.shownDefault}`;
  if (spec.kind === 'size' && spec.default !== null) return `default ${formatBytes(spec.default)}`;
  return `default ${Array.isArray(spec.default) ? '[]' : String(spec.default)}`;
}

const NAME_WIDTH = 30;
const LINE_WIDTH = 100;

/** One key: its name, then its help and default wrapped beside it (below it when the name is long). */
function entry({ path, spec }: KeyEntry): string[] {
  const name = `  ${path.join('.')}`;
  // The default stays whole on one line ("default <config dir>/logs").
  const words = [...`${spec.help};`.split(' '), shownDefault(spec)];
  const lines: string[] = [];
  let line = name.length < NAME_WIDTH ? name.padEnd(NAME_WIDTH) : (lines.push(name), ' '.repeat(NAME_WIDTH));
  let fresh = true;
  for (const word of words) {
    if (!fresh && line.length + 1 + word.length > LINE_WIDTH) {
      lines.push(line);
      line = ' '.repeat(NAME_WIDTH);
      fresh = true;
    }
    line += fresh ? word : ` ${word}`;
    fresh = false;
  }
  lines.push(line);
  return lines;
}

/** The full usage text. */
export function configUsage(): string {
  const keys = keysOf();
  return [
    OPTIONS,
    '',
    "The reference's keys (process, instrumentation, user, remotes, server):",
    ...keys.filter((k) => k.spec.reference).flatMap(entry),
    '',
    "This project's keys (the Python reference ignores them):",
    ...keys.filter((k) => !k.spec.reference).flatMap(entry),
    '',
  ].join('\n');
}
