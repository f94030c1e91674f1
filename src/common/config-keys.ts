/**
 * Every key of hypergolix.yml, declared once: its kind (which validator of config-fields.ts
 * checks it), its default, whether the Python reference knows it, and its words — the line
 * `hypergolix config --help` prints and, for a key the settings page shows, its label and hint.
 *
 * Everything else follows from this table: the config module reads, defaults, validates and
 * edits the file by it (src/core/config), the CLI prints its key list from it, the UI contract's
 * Settings are its `ui` keys (src/common/contract.ts), src/host/settings.ts maps between the
 * file and the form with it, and the settings page takes its labels and hints from it. A plain
 * setting is added by adding one entry here (and, to show it on the page, placing its widget).
 *
 * Pure data (config-paths.ts walks it; config-parsers.ts gives each kind its validator); runs
 * unchanged in Node and in the browser.
 */
import {
  GIB,
  KIB,
  MIB,
  type RegistrationPolicy,
  type RemoteSpec,
  type ServerStore,
  type SharingPolicy,
  type Verbosity,
} from './config-fields.js';
import { DEFAULT_IPC_PORT, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SERVER_PORT } from './defaults.js';

// ───────────────────────────── the shape of an entry ─────────────────────────────

/** Words for the settings page. */
export interface UiText {
  readonly label: string;
  readonly hint?: string;
  /** For a key with a fixed set of values: each value's label and hint. */
  readonly choices?: Readonly<Record<string, readonly [label: string, hint?: string]>>;
  /**
   * The UI contract's name for this key where it differs from the file's ("server.enabled" for
   * desktop.embedded_server); src/host/settings.ts maps such a key by hand.
   */
  readonly field?: string;
}

interface About {
  /** One of the Python reference's keys (§6.1): a new file writes it out, and "default" is written as null. */
  readonly reference: boolean;
  /** What it does, as `hypergolix config --help` lists it. */
  readonly help: string;
  /** The default in words, where the value alone would not say it ("<config dir>/logs", "anyone"). */
  readonly shownDefault?: string;
  /** Shown on the settings page, and so part of the UI contract's Settings (unless `ui.field` renames it). */
  readonly ui?: UiText;
  /** The reference writes this key but never reads it: a bad value is a warning, never an error. */
  readonly unused?: boolean;
}

/** How many objects per second, bounds of the publish rates. */
const RATE = { min: 0.001, max: 1_000_000 } as const;

/** One key. `default` is what an absent or null key means; a path's is relative to the config's directory. */
export type KeySpec = About &
  (
    | { readonly kind: 'boolean'; readonly default: boolean }
    | { readonly kind: 'port'; readonly default: number | null }
    | { readonly kind: 'integer' | 'size' | 'rate'; readonly min: number; readonly max: number; readonly default: number | null }
    | { readonly kind: 'verbosity'; readonly default: Verbosity }
    | { readonly kind: 'policy'; readonly default: SharingPolicy }
    | { readonly kind: 'server-store'; readonly default: ServerStore }
    | { readonly kind: 'registration'; readonly default: RegistrationPolicy }
    | { readonly kind: 'shared-secret'; readonly default: null }
    | { readonly kind: 'server-host' | 'path'; readonly default: string }
    | { readonly kind: 'host' | 'url' | 'postgres-url' | 'ghid' | 'secret' | 'kdf'; readonly default: null }
    | { readonly kind: 'ghid-list'; readonly default: readonly [] | null }
    | { readonly kind: 'name-list'; readonly default: readonly [] }
  );

/** Keys nested one level deeper (desktop.notifications.*). */
export interface GroupSpec {
  readonly kind: 'group';
  readonly help: string;
  /** Completes "must be a section of …" when the group is not a mapping. */
  readonly shape: string;
  readonly ui?: UiText;
  readonly keys: { readonly [key: string]: KeySpec };
}

/** The list of remotes: each item a mapping of `items`; `required` items must be there. */
export interface RemotesSpec {
  readonly kind: 'remotes';
  readonly reference: true;
  readonly help: string;
  readonly default: readonly [];
  readonly items: { readonly [key: string]: KeySpec & { readonly required?: boolean } };
}

export type SectionSpec = { readonly [key: string]: KeySpec | GroupSpec };
export type ConfigTable = { readonly [section: string]: SectionSpec | RemotesSpec };

// ───────────────────────────── the table ─────────────────────────────

const SWITCH = { kind: 'boolean', reference: false } as const;

/** The keys in the order they are written: the reference's sections first, in its order (§6.1). */
export const CONFIG_KEYS = {
  process: {
    ghidcache: { kind: 'path', reference: true, default: 'ghidcache', help: "where the app daemon keeps objects", shownDefault: '<config dir>/ghidcache' },
    logdir: { kind: 'path', reference: true, default: 'logs', help: "the app daemon's log files", shownDefault: '<config dir>/logs' },
    pid_file: { kind: 'path', reference: true, default: 'hypergolix.pid', help: "the running app daemon's pid file", shownDefault: '<config dir>/hypergolix.pid' },
    ipc_port: {
      kind: 'port',
      reference: true,
      default: DEFAULT_IPC_PORT,
      help: 'the port apps use to reach the daemon',
      ui: { label: 'App connection port', hint: `Apps on this computer connect to Hypergolix here (default ${DEFAULT_IPC_PORT}).` },
    },
    ipc_legacy_clients: {
      ...SWITCH,
      default: false,
      help: 'let Python hgx apps connect without the per-install key (loopback only)',
      ui: { label: 'Allow legacy app connections', hint: 'For old Python hgx apps that cannot authenticate.' },
    },
    ipc_accept_sent_key: {
      ...SWITCH,
      default: true,
      help: 'let apps built with hgx SDK 0.2 prove the key by sending it (newer apps prove it without sending it)',
      ui: {
        label: 'Allow apps that send their key',
        hint: 'Apps built with hgx SDK 0.2 prove the key by sending it, which a program holding the port while Hypergolix is closed could take. Turn off once your apps are updated.',
      },
    },
  },
  instrumentation: {
    verbosity: {
      kind: 'verbosity',
      reference: true,
      default: 'info',
      help: 'how much is logged: error, warning, info, debug, shouty, extreme (or quiet, normal, loud, louder)',
      ui: {
        label: 'Log detail',
        choices: {
          error: ['Errors only'],
          warning: ['Warnings and errors'],
          info: ['Information (default)'],
          debug: ['Debugging'],
          shouty: ['Debugging, with WebSocket traffic'],
          extreme: ['Debugging, with event-loop detail'],
        },
      },
    },
    debug: {
      kind: 'boolean',
      reference: true,
      default: false,
      help: 'debug mode: extra checks and logging, slower',
      ui: { label: 'Debug mode', hint: 'Extra checks and logging for developers; slower.' },
    },
    traceur: { kind: 'boolean', reference: true, default: false, unused: true, help: 'unused (the reference writes it and never reads it)' },
  },
  user: {
    fingerprint: { kind: 'ghid', reference: true, default: null, help: "this account's public identity (GHID), what others share with" },
    user_id: { kind: 'ghid', reference: true, default: null, help: "this account's root (GHID), needed to log in" },
    root_secret: {
      kind: 'secret',
      reference: true,
      default: null,
      help: 'the key to the whole account in plain text: honoured but warned about; use "unlock automatically" instead',
    },
  },
  remotes: {
    kind: 'remotes',
    reference: true,
    default: [],
    help: 'persistence servers, each with host, port and tls',
    items: {
      host: { kind: 'host', reference: true, default: null, required: true, help: "the server's host name or address" },
      port: { kind: 'port', reference: true, default: null, required: true, help: "the server's port" },
      tls: { kind: 'boolean', reference: true, default: false, help: 'connect with TLS (wss://)' },
      registration: { kind: 'url', reference: false, default: null, help: "a remote's registration page, for --register" },
    },
  },
  server: {
    ghidcache: { kind: 'path', reference: true, default: 'server/ghidcache', help: "where the server keeps objects (not the app daemon's)", shownDefault: '<config dir>/server/ghidcache' },
    logdir: { kind: 'path', reference: true, default: 'server/logs', help: "the server's log files", shownDefault: '<config dir>/server/logs' },
    pid_file: { kind: 'path', reference: true, default: 'hgx-server.pid', help: "the running server's pid file", shownDefault: '<config dir>/hgx-server.pid' },
    host: {
      kind: 'server-host',
      reference: true,
      default: '127.0.0.1',
      help: 'where the server listens: a host or address, AUTO (the detected LAN address) or ANY (all interfaces)',
      ui: {
        label: 'Who can reach it',
        field: 'server.host',
        choices: {
          localhost: ['This computer only', 'Listens on 127.0.0.1.'],
          AUTO: ['Local network', 'Listens on this computer’s detected LAN address.'],
          ANY: ['All network interfaces', 'Reachable from anywhere that can reach this computer.'],
        },
      },
    },
    port: { kind: 'port', reference: true, default: DEFAULT_SERVER_PORT, help: "the server's port", ui: { label: 'Server port', hint: `Default ${DEFAULT_SERVER_PORT}.` } },
    verbosity: { kind: 'verbosity', reference: true, default: 'info', help: "how much the server logs (as instrumentation.verbosity)" },
    debug: { kind: 'boolean', reference: true, default: false, help: "the server's debug mode" },
    // Defect 30: the reference's 10 MiB stays the default; below 64 KiB ordinary objects stop fitting.
    max_message_bytes: { kind: 'size', reference: false, min: 64 * KIB, max: 1 * GIB, default: DEFAULT_MAX_MESSAGE_BYTES, help: 'largest message or object, e.g. "16 MiB"' },
    accept_v15: { ...SWITCH, default: false, help: 'accept 2016-format (GOBD v15) objects from clients' },
    max_subscriptions: { kind: 'integer', reference: false, min: 1, max: 10_000_000, default: 10_000, help: 'subscriptions per connection' },
    max_requests_per_recipient: {
      kind: 'integer',
      reference: false,
      min: 1,
      max: 10_000_000,
      default: null,
      help: 'requests (shares and their answers) stored for one identity at once; more wait until its daemon takes some',
      shownDefault: 'no limit',
    },
    // A rotting disk is found before a client needs what it held (core/remote/store-check.ts); at most 24 days, the longest timer.
    check_store_hours: {
      kind: 'integer',
      reference: false,
      min: 0,
      max: 576,
      default: 24,
      help: 'hours between checks of a file store (every object read and verified, in the background; the first 10 minutes after a start); 0: never',
    },
    // Memory bounded by configuration, not by the number of peers: a subscriber that falls behind is disconnected and catches up.
    push_budget_bytes: {
      kind: 'size',
      reference: false,
      min: 1 * MIB,
      max: 64 * GIB,
      default: 64 * MIB,
      help: 'memory for pushes waiting for subscribers, over all connections; past it the slowest is disconnected (it reconnects and catches up)',
    },
    publish_allowlist: { kind: 'ghid-list', reference: false, default: null, help: 'fingerprints allowed to publish ([] for nobody)', shownDefault: 'anyone' },
    // Below 1 KiB not even one object fits.
    quota_bytes_per_identity: {
      kind: 'size',
      reference: false,
      min: 1 * KIB,
      max: 1024 * GIB,
      default: null,
      help: 'bytes of stored objects one identity may have signed, e.g. "500 MiB" (GIDCs and GARQs are free)',
      shownDefault: 'no quota',
    },
    quota_objects_per_identity: { kind: 'integer', reference: false, min: 1, max: 1_000_000_000, default: null, help: 'stored objects one identity may have signed', shownDefault: 'no limit' },
    publish_rate_per_identity: { kind: 'rate', reference: false, ...RATE, default: null, help: 'publishes per second per signing identity (0.5: one every 2 s)', shownDefault: 'no limit' },
    publish_burst: {
      kind: 'integer',
      reference: false,
      min: 1,
      max: 10_000_000,
      default: null,
      help: 'publishes one identity may make at once, with publish_rate_per_identity',
      shownDefault: "ten seconds' worth",
    },
    registration: {
      kind: 'registration',
      reference: false,
      default: 'off',
      help: 'accounts: off (everyone alike), open, invite or approval (unregistered identities get the free tier)',
    },
    unregistered_upload_bytes: {
      kind: 'size',
      reference: false,
      min: 0,
      max: 1024 * GIB,
      default: null,
      help: 'bytes an unregistered identity may store while registration is on, e.g. "10 MiB"',
      shownDefault: '10 MiB',
    },
    public_names: {
      kind: 'name-list',
      reference: false,
      default: [],
      help: 'the names (host or host:port) the server is reached by; registration challenges asked under any other name are refused',
      shownDefault: '[] (any name)',
    },
    registration_webhook_secret: {
      kind: 'shared-secret',
      reference: false,
      default: null,
      help: 'the shared secret of the accounts webhook (POST /accounts/webhook); none: no webhook',
      shownDefault: 'no webhook',
    },
    unsigned_publish_rate_per_connection: {
      kind: 'rate',
      reference: false,
      ...RATE,
      default: null,
      help: "GIDC and GARQ publishes per second per connection (bursts of ten seconds' worth)",
      shownDefault: 'no limit',
    },
    store: {
      kind: 'server-store',
      reference: false,
      default: 'files',
      help: 'where the server keeps objects: files (its ghidcache) or postgres (shared by several server nodes)',
    },
    postgres: {
      kind: 'postgres-url',
      reference: false,
      default: null,
      help: 'with store: postgres, the database as a postgres:// URL; what it leaves out comes from PGHOST, PGDATABASE, …',
      shownDefault: 'the PG* variables',
    },
  },
  sharing: {
    accept: {
      kind: 'policy',
      reference: false,
      default: 'ask',
      help: 'who may share with this account without asking: all, known or ask',
      ui: {
        label: 'When someone shares an object with you',
        choices: {
          all: ['Accept shares from anyone', 'Anyone who knows your fingerprint can send you objects, except people you blocked.'],
          known: ['Accept shares only from people I trust', 'Shares from anyone else are declined without asking you.'],
          ask: [
            'Ask me about people I do not trust yet',
            'Shares from people you trust arrive at once. The others wait under Shares, where you accept once, accept and trust, or decline.',
          ],
        },
      },
    },
    block: { kind: 'ghid-list', reference: false, default: [], help: 'fingerprints whose shares are refused' },
  },
  account: {
    kdf: { kind: 'kdf', reference: false, default: null, help: 'how the password is stretched (scrypt n, r, p); written when the account is created here' },
  },
  desktop: {
    embedded_server: {
      ...SWITCH,
      default: false,
      help: 'the desktop app also runs a persistence server',
      ui: { label: 'Run a persistence server', field: 'server.enabled' },
    },
    start_at_login: { ...SWITCH, default: false, help: 'start the desktop app when you log in', ui: { label: 'Start Hypergolix when I log in' } },
    notifications: {
      kind: 'group',
      help: 'desktop notifications, each on or off',
      shape: 'on/off switches',
      ui: { label: 'Notify me when' },
      keys: {
        incoming_share: { ...SWITCH, default: true, help: 'someone shares an object with you (a burst: the first three, then one notice for the rest each minute)', ui: { label: 'someone shares an object with me' } },
        share_result: { ...SWITCH, default: true, help: 'a share you made succeeds or fails', ui: { label: 'a share I made succeeds or fails' } },
        remote_unreachable: { ...SWITCH, default: true, help: 'a remote cannot be reached, or takes no more uploads until you register', ui: { label: 'a remote cannot be reached, or wants me to register' } },
        daemon_error: { ...SWITCH, default: true, help: 'Hypergolix runs into an error: it stops, or finds files here damaged that no remote can put right', ui: { label: 'Hypergolix runs into an error' } },
        account_change: { ...SWITCH, default: true, help: "your account's password is changed on another computer", ui: { label: "my account's password is changed on another computer" } },
      },
    },
    unlock_automatically: { ...SWITCH, default: false, help: 'unlock at start with the secret kept in the system keychain (never in this file)' },
  },
} as const satisfies ConfigTable;

export type ConfigKeys = typeof CONFIG_KEYS;

// ───────────────────────────── values ─────────────────────────────

/** `account.kdf` as the file holds it. */
export interface KdfSetting {
  algorithm: 'scrypt';
  n: number;
  r: number;
  p: number;
}

/** A remote as the file holds it. */
export interface RemoteSetting extends RemoteSpec {
  /** Where a user registers their fingerprint with this remote (`config --register`); project key. */
  registration: string | null;
}

/** The value each kind holds, as text where the engine makes more of it (a GHID, a secret). */
export interface KindValues {
  boolean: boolean;
  port: number;
  integer: number;
  size: number;
  rate: number;
  verbosity: Verbosity;
  policy: SharingPolicy;
  'server-store': ServerStore;
  'postgres-url': string;
  registration: RegistrationPolicy;
  'shared-secret': string;
  'server-host': string;
  host: string;
  url: string;
  path: string;
  ghid: string;
  secret: string;
  'ghid-list': string[];
  'name-list': string[];
  kdf: KdfSetting;
  remotes: RemoteSetting[];
}
export type Kinds = Record<keyof KindValues, unknown>;

/** A key's value: its kind's, or null where null is its default. */
export type ValueOf<S extends KeySpec, V extends Kinds = KindValues> = V[S['kind']] | (null extends S['default'] ? null : never);

/** The values of a table node: a section or group becomes an object of its keys' values. */
export type ValuesOf<N, V extends Kinds = KindValues> = N extends RemotesSpec
  ? V['remotes']
  : N extends GroupSpec
    ? ValuesOf<N['keys'], V>
    : N extends KeySpec
      ? ValueOf<N, V>
      : { -readonly [K in keyof N]: ValuesOf<N[K], V> };

/** Whether the settings page shows a node under its own name: a key with `ui` and no `ui.field`, or a section holding one. */
type Shown<N> = N extends RemotesSpec
  ? false
  : N extends { readonly ui: { readonly field: string } }
    ? false
    : N extends { readonly ui: UiText }
      ? true
      : N extends { readonly kind: string }
        ? false
        : {} extends FormOf<N>
          ? false
          : true;

/** The part of a node the UI contract carries as the file holds it (see Settings in contract.ts). */
export type FormOf<N> = N extends GroupSpec
  ? FormOf<N['keys']>
  : N extends KeySpec
    ? ValueOf<N>
    : { -readonly [K in keyof N as Shown<N[K]> extends true ? K : never]: FormOf<N[K]> };
