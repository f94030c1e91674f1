/**
 * `hypergolix status`: what runs from this configuration and how it stands, in the words of the
 * desktop's Status page. The app daemon is asked over its IPC port (the `D?` verb); the
 * persistence server is read from its pid file, which names where it listens.
 */
import { parseArgs } from '../args.js';
import { loadConfig, type LoadedConfig } from '../../core/config/index.js';
import { isProcessAlive, readPidFile } from '../../core/process/index.js';
import { storeCheckFileOf } from '../../core/assembly/server.js';
import { ALL_INTERFACES, LOOPBACK, resolveHost } from '../../core/remote/bind-address.js';
import { readStoreCheckFile } from '../../core/remote/store-check-file.js';
import { remoteProblemWords } from '../../host/remote-words.js';
import { ONE, StatusVerb, decodeJsonBody, type CacheCheckJson, type DaemonStatusJson, type RemoteStatusJson } from '../../wire/index.js';
import { CliError, type CliIO, type Command } from '../command.js';
import { DaemonUnreachable, connectDaemonOf, daemonIpcPort, runningDaemon, type DaemonLink } from '../daemon-link.js';
import { storeCheckFileOfRunning } from './store-check-ask.js';

export const STATUS_USAGE = `Usage: hypergolix status [--json] [--watch | --check] [--reconnect] [--root PATH]

What runs from this configuration, and how it stands: the app daemon (your account, the
remotes it syncs with and what waits to be sent to each, the local cache, its disk and the
last check of its files, the apps connected, the shares waiting for your answer) and the
persistence server.

  --json       one JSON object {"app", "server"}: "app" is null when the daemon is not
               running, {"pid", "answering": false, "ipcPort", "why"} when it does not answer, else
               {"pid", "fingerprint", "objectsCached", "storage", "remotes", "appsConnected",
               "sharesWaiting", "cacheCheck"}; "server" is null or {"pid", "host", "port"}, its pid null when a
               server answers on the configured port without this configuration's pid file
               (the desktop app's embedded server), with "damagedObjects" when its store holds
               damaged objects and "storeCheck" {"running": {"checked", "total"} | null,
               "last": {"finishedAt", "checked", "damaged"} | null} when its store is checked
  --watch      stay and tell again each time the app daemon's status changes (a remote
               connecting or going away, what waits to be sent), until Ctrl-C or the daemon
               stops; with --json, one such object per line
  --check      check the local cache's files now (the daemon also does so a few minutes after
               it starts, then daily): every object is read and verified, and a damaged file
               is put right from a remote that has a good copy; then each connected remote is
               asked about every object of yours (and shared with you), and given again what it lacks or holds
               damaged; waits for the check to end
  --reconnect  try every remote that is not connected now, instead of at the end of its wait
               (which grows to 30 s while a remote stays away: after the network or the
               server comes back), ping each connected one (a link that does not answer
               within 5 s is made again), and show how each went
  --root PATH  use this hypergolix.yml (or directory) instead of searching

Exit status: 0 when the app daemon runs and answers, 1 when it does not (with --watch: when it
stops; with --check: also when damaged files are left that no remote could put right, or the
daemon is too old to check them; with --reconnect: also when a remote is still not connected,
or the daemon is too old to be asked), 2 on bad arguments.`;

/** The app daemon as this command found it: not running, running but not answering, or its status. */
type AppFound =
  | { state: 'stopped' }
  | { state: 'silent'; pid: number; port: number; why: string }
  // `cannotCheck`: asked to check, a daemon of 0.3.0 or before (its status has no cacheCheck, and it has no DC verb);
  // `cannotReconnect`: asked to try its remotes, a daemon of 0.4 or before (no nextAttemptAt, no DR verb).
  | { state: 'running'; pid: number; status: DaemonStatusJson; cannotCheck?: true; cannotReconnect?: true };

/** A persistence server found: from this configuration's pid file, or (pid null) only answering on its port. */
interface ServerFound {
  pid: number | null;
  host: string;
  port: number;
  /** False when its pid file names a live process but nothing answers /healthz there. */
  answering?: false;
  /** Objects its store holds damaged (its /healthz says), answered as not here until a daemon holding them sends them again; absent from servers before 0.4. */
  damagedObjects?: number;
  /** Its store's check as it keeps it (store-check-file.ts): absent for a store not checked, or a server before 0.4. */
  storeCheck?: StoreCheckSeen;
}

/** A server's check of its store, as status shows it: how far one going on is, and when the last ended with what. */
interface StoreCheckSeen {
  running: { checked: number; total: number } | null;
  last: { finishedAt: string; checked: number; damaged: number } | null;
}

/** How long the server's port may take to answer `/healthz`. */
const HEALTH_TIMEOUT_MS = 1_500;

function parse(argv: string[]) {
  try {
    const flag = { type: 'boolean', default: false } as const;
    const options = { json: flag, watch: flag, check: flag, reconnect: flag, root: { type: 'string' } } as const;
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (positionals.length > 0) throw new Error(`status takes no operands (got "${positionals[0]}")`);
    if (values.watch && values.check) throw new Error('--watch and --check cannot be used together (check, then watch)');
    return { json: values.json, watch: values.watch, check: values.check, reconnect: values.reconnect, root: values.root };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${STATUS_USAGE}`);
  }
}

/** What `--watch` hears: each status the daemon sends, and the link's end. */
interface Watching {
  changed(status: DaemonStatusJson): void;
  link?: DaemonLink;
}

/** How long `--check` waits for a check of the whole cache (a large one, read and verified flat out). */
const CHECK_WAIT_MS = 30 * 60_000;

/** How long `--reconnect` waits for the tries (each bounded by its handshake's 10 s). */
const RECONNECT_WAIT_MS = 30_000;

/**
 * The app daemon as found now; `watching` asks it to tell each change (`D+`) and keeps the link
 * open; `o.reconnect` has it try its remotes away first (`DR`), `o.check` check its files (`DC`).
 */
async function appFound(loaded: LoadedConfig, watching?: Watching, o: { check?: boolean; reconnect?: boolean } = {}): Promise<AppFound> {
  const running = runningDaemon(loaded);
  if (!running) return { state: 'stopped' };
  const port = daemonIpcPort(loaded, running);
  try {
    const told = (body: Buffer) => {
      watching?.changed(decodeJsonBody(body) as DaemonStatusJson);
      return ONE;
    };
    const link = await connectDaemonOf(loaded, { running, handlers: watching && new Map([[StatusVerb.changed, told]]) });
    try {
      const before = o.check || o.reconnect ? ((await link.call(StatusVerb.daemonStatus)) as DaemonStatusJson) : null;
      if (before && o.reconnect) {
        if (before.remotes.some((r) => r.nextAttemptAt === undefined)) return { state: 'running', pid: running.pid, status: before, cannotReconnect: true };
        if (before.remotes.length > 0) await link.call(StatusVerb.tryRemotes, undefined, { timeoutMs: RECONNECT_WAIT_MS });
      }
      if (before && o.check) {
        if (before.cacheCheck === undefined) return { state: 'running', pid: running.pid, status: before, cannotCheck: true };
        await link.call(StatusVerb.checkCache, undefined, { timeoutMs: CHECK_WAIT_MS });
      }
      const status = (await link.call(watching ? StatusVerb.watch : StatusVerb.daemonStatus)) as DaemonStatusJson;
      if (watching) watching.link = link;
      return { state: 'running', pid: running.pid, status };
    } finally {
      if (!watching?.link) link.close();
    }
  } catch (err) {
    // Starting (its account not open yet, so not listening for apps) or stopping.
    return { state: 'silent', pid: running.pid, port, why: err instanceof DaemonUnreachable ? err.why : (err as Error).message };
  }
}

async function serverFound(loaded: LoadedConfig): Promise<ServerFound | null> {
  const c = loaded.config.server;
  const running = readPidFile(c.pid_file);
  if (running?.alive && running.pid !== null) {
    const info = running.info ?? {};
    // Where it listens, as it wrote once bound; the config's, while it is still starting.
    const host = typeof info.host === 'string' ? info.host : resolveHost(c.host);
    const port = typeof info.port === 'number' && info.port > 0 ? info.port : c.port;
    // Asked, not believed on its pid alone: a pid file left behind (the reference wrote plain
    // ones at the same path) may name a process that is no server now.
    const health = await askHealth(host === ALL_INTERFACES ? LOOPBACK : host, port);
    if (!health) return { pid: running.pid, host, port, answering: false };
    const storeCheck = await storeCheckOf(running.pid, storeCheckFileOfRunning(running.info));
    return { pid: running.pid, host, port, ...damagedOf(health), ...(storeCheck ? { storeCheck } : {}) };
  }
  // No server of this configuration's pid file: the desktop app's embedded server holds none
  // (`hypergolix stop server` must not stop the app), so its port is asked instead.
  const host = resolveHost(c.host);
  const health = await askHealth(host === ALL_INTERFACES ? LOOPBACK : host, c.port);
  if (!health) return null;
  const storeCheck = c.store === 'files' ? await storeCheckOf(null, storeCheckFileOf(c)) : null;
  return { pid: null, host, port: c.port, ...damagedOf(health), ...(storeCheck ? { storeCheck } : {}) };
}

/** What a persistence server answers to `GET /healthz` on that address when it is ready; null when none answers so. */
async function askHealth(host: string, port: number): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    const body = res.ok ? ((await res.json()) as unknown) : null;
    return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'ok' ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * What the server's file says of its store's check, when that file is this server's: `pid`, from
 * its pid file; null (the desktop app's embedded server, which holds none) when the process that
 * wrote the file still runs — and then only once it wrote one.
 */
async function storeCheckOf(pid: number | null, file: string | null): Promise<StoreCheckSeen | null> {
  if (file === null) return null;
  // Unreadable (the server's own user's, mode 0600, and this is another user): nothing said of it.
  const read = await readStoreCheckFile(file).catch(() => undefined);
  if (read === undefined || (pid === null && (read === null || !isProcessAlive(read.pid)))) return null;
  // One left by an earlier run of the server: no check since this one started.
  const state = read !== null && read.pid === (pid ?? read.pid) ? read : null;
  const last = state?.last;
  return {
    running: state?.running ? { checked: state.running.checked, total: state.running.total } : null,
    last: last ? { finishedAt: last.finishedAt, checked: last.checked, damaged: last.damagedCount } : null,
  };
}

/** The server's store check, in a line under the server's. */
function storeCheckLine(c: StoreCheckSeen, ours: boolean): string {
  if (c.running) return `\n  Store: being checked now, ${c.running.checked} of ${plural(c.running.total, 'object')} read`;
  if (!c.last) return `\n  Store: not checked yet since it started${ours ? ' (now: hypergolix server check)' : ''}`;
  return `\n  Store: checked ${minute(Date.parse(c.last.finishedAt))} UTC, ${plural(c.last.checked, 'object')} read, ${c.last.damaged === 0 ? 'all sound' : `${c.last.damaged} DAMAGED (${ours ? 'hypergolix server check lists them' : 'its log names them'})`}`;
}

const damagedOf = (health: Record<string, unknown>): { damagedObjects?: number } => {
  const n = health['damagedObjects'];
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? { damagedObjects: n } : {};
};

function serverLine(server: ServerFound | null): string {
  if (!server) return 'Persistence server: not running';
  const where = `${server.host}:${server.port}`;
  if (server.answering === false) return `Persistence server: pid ${server.pid} (from its pid file) is alive, but no server answers on ${where}: it is starting, or the pid file is stale and that pid is another program`;
  const damaged = server.damagedObjects
    ? `\n  ${plural(server.damagedObjects, 'object')} DAMAGED in its store, answered as not here until a daemon that holds ${server.damagedObjects === 1 ? 'it sends it' : 'them sends them'} again (each checks its remotes daily)`
    : '';
  const check = server.storeCheck ? storeCheckLine(server.storeCheck, server.pid !== null) : '';
  return (server.pid !== null ? `Persistence server: running (pid ${server.pid}) on ${where}` : `Persistence server: one answers on ${where}, not started from this configuration (the desktop app's embedded server, or another process)`) + damaged + check;
}

const minute = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One remote's line (and the lines under it), as the Status page words it. */
function remoteLines(r: RemoteStatusJson): string[] {
  const waiting = r.waiting === 0 ? 'nothing waiting to be sent' : `${plural(r.waiting, 'object')} waiting to be sent`;
  const next = typeof r.nextAttemptAt === 'number' ? `; next try in ${Math.max(1, Math.ceil((r.nextAttemptAt - Date.now()) / 1000))} s` : '';
  const head = r.connected ? `connected, ${waiting}` : `not connected, ${waiting}${r.lastConnectedAt === null ? '; never connected' : `; last connected ${minute(r.lastConnectedAt)} UTC`}${next}`;
  const lines = [`    ${r.remote}  ${head}`];
  if (!r.connected) lines.push(`      ${remoteProblemWords(r.lastFailure)}`);
  if (r.storage !== 'ok') lines.push(`      Its storage ${r.storage === 'storage_full' ? 'is full' : 'failed'}: what waits is kept here and sent once it takes writes again.`);
  if (r.registerHint) lines.push(`      ${r.registerHint}`);
  return lines;
}

/** What the daemon's checks of its files found (daemon/cache-check.ts), as the Status page words it. */
function cacheCheckLines(c: CacheCheckJson): string[] {
  if (c.running) return ['  Local files: being checked now'];
  if (c.lastCheckedAt === null) return ['  Local files: not checked yet (the daemon checks them a few minutes after it starts; now: hypergolix status --check)'];
  const done = [
    ...(c.putRight > 0 ? [`${plural(c.putRight, 'damaged file')} put right from a remote`] : []),
    ...(c.givenToRemotes > 0 ? [`${plural(c.givenToRemotes, 'object')} given again to remotes that lacked them`] : []),
  ];
  const mended = done.length > 0 ? `; ${done.join(' and ')} since the daemon started` : '';
  const lines = [`  Local files: checked ${minute(c.lastCheckedAt)} UTC, ${plural(c.checked, 'object')} read, ${c.damagedCount === 0 ? 'all sound' : `${c.damagedCount} DAMAGED`}${mended}`];
  if (c.damagedCount > 0) {
    const more = c.damagedCount > 3 ? `, and ${c.damagedCount - 3} more` : '';
    lines.push(`    No remote has given a good copy yet (tried again whenever a remote connects): ${c.damaged.slice(0, 3).join(', ')}${more}`);
  }
  return lines;
}

function printApp(app: AppFound, io: CliIO): void {
  if (app.state === 'stopped') {
    io.out('App daemon: not running. Start it with: hypergolix start app');
    return;
  }
  if (app.state === 'silent') {
    io.out(`App daemon: running (pid ${app.pid}) but not answering on IPC port ${app.port}: ${app.why}`);
    return;
  }
  const s = app.status;
  io.out(`App daemon: running (pid ${app.pid})`);
  io.out(`  Account: ${s.fingerprint}`);
  if (typeof s.passwordChangedElsewhereAt === 'number') {
    io.out(`  Password: changed on another computer (learned here ${minute(s.passwordChangedElsewhereAt)} UTC); this daemon runs on, and its next start needs the new password`);
  }
  io.out(`  Objects cached: ${s.objectsCached}`);
  io.out(`  Storage: ${s.storage.kind === 'ok' ? 'OK' : `${s.storage.kind === 'full' ? 'FULL' : 'FAILING'}: ${s.storage.message}`}`);
  if (s.cacheCheck) for (const line of cacheCheckLines(s.cacheCheck)) io.out(line);
  io.out(`  Apps connected: ${s.appsConnected}`);
  io.out(`  Shares waiting for your answer: ${s.sharesWaiting}${s.sharesWaiting > 0 ? ' (see: hypergolix shares)' : ''}`);
  if (s.remotes.length === 0) io.out('  Remotes: none; your objects stay on this computer (add one: hypergolix config --add-remote HOST:PORT)');
  else {
    io.out('  Remotes:');
    for (const r of s.remotes) for (const line of remoteLines(r)) io.out(line);
  }
}

function print(app: AppFound, server: ServerFound | null, json: boolean, io: CliIO): void {
  if (json) {
    const appJson = app.state === 'running' ? { pid: app.pid, ...app.status } : app.state === 'silent' ? { pid: app.pid, answering: false, ipcPort: app.port, why: app.why } : null;
    io.out(JSON.stringify({ app: appJson, server }));
  } else {
    printApp(app, io);
    io.out(serverLine(server));
  }
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  const loaded = await loadConfig({ root: args.root, env: io.env, cwd: io.cwd });
  // Changes told before the first status is printed wait for it, and each other.
  let firstPrinted!: (pid: number) => void;
  let printed = new Promise<number>((resolve) => (firstPrinted = resolve));
  // In words, a remote's next try alone is no change worth a block of its own: each failed try
  // moves it (several a second just after a remote goes), and the next block shows it anyway.
  let toldInWords = '';
  const sameInWords = (status: DaemonStatusJson) => {
    const words = JSON.stringify({ ...status, remotes: status.remotes.map(({ nextAttemptAt: _, ...r }) => r) });
    const same = words === toldInWords;
    toldInWords = words;
    return same && !args.json;
  };
  const watching: Watching | undefined = args.watch
    ? {
        changed: (status) => {
          if (sameInWords(status)) return;
          printed = printed.then(async (pid) => {
            const server = await serverFound(loaded);
            if (!args.json) io.out(`--- ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC`);
            print({ state: 'running', pid, status }, server, args.json, io);
            return pid;
          });
        },
      }
    : undefined;
  const [first, server] = await Promise.all([appFound(loaded, watching, args), serverFound(loaded)]);
  if (first.state === 'running') sameInWords(first.status);
  print(first, server, args.json, io);
  if (first.state !== 'running') return 1;
  if (first.cannotCheck) {
    io.err(`The app daemon (pid ${first.pid}) is of an older version (0.3.0 or before), which cannot check its files. Restart it with this one to check them: hypergolix stop app, then hypergolix start app`);
    return 1;
  }
  if (first.cannotReconnect) {
    io.err(`The app daemon (pid ${first.pid}) is of an older version (0.4 or before), which cannot be asked to try its remotes now (it tries them on its own, at most 30 s apart). Restart it with this one: hypergolix stop app, then hypergolix start app`);
    return 1;
  }
  const away = args.reconnect ? first.status.remotes.filter((r) => !r.connected).length : 0;
  if (args.check) return (first.status.cacheCheck?.damagedCount ?? 0) > 0 || away > 0 ? 1 : 0;
  if (away > 0 && !args.watch) return 1;
  firstPrinted(first.pid);
  if (!watching?.link) return 0;
  // Nobody reads any more (`status --watch | head -1`): stop watching instead of writing to nobody.
  const readerWent = await Promise.race([watching.link.closed.then(() => false), ...(io.outputGone ? [io.outputGone.then(() => true)] : [])]);
  if (readerWent) {
    watching.link.close();
    return 0;
  }
  await printed;
  if (args.json) io.out(JSON.stringify({ app: null, server: await serverFound(loaded) }));
  else io.out('App daemon: stopped.');
  return 1;
}

export const statusCommand: Command = {
  name: 'status',
  usage: STATUS_USAGE,
  run,
};
