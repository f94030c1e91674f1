/**
 * The desktop controller: what the app does, independent of how it is shown. The Electron main
 * process (src/main) and browser mode (`hypergolix start app --ui`, src/web's bridge) both host
 * one Controller and hand it to their transport as the contract's HostPort. It never imports
 * electron: the OS pieces it needs (secure storage) come in through small interfaces.
 *
 * States (the contract's AppState):
 *
 *   no-account ──createAccount──► creating ──► running
 *                                    └─(failure)─► no-account
 *   locked ──unlock──► unlocking ──► running
 *                          └─(wrong password: 'wrong-password'; other failure: message)─► locked
 *   running ──saveSettings / hand edit──► restarting ──► running | error
 *   running | error ──lock──► locked
 *   error ──saveSettings (a fix)──► restarting ──► running | error
 *
 * On start it loads hypergolix.yml (creating it if missing), watches it for hand edits, starts
 * the embedded persistence server when `desktop.embedded_server` is on, and unlocks by itself
 * when it can: a legacy `user.root_secret` (honoured, with a warning: defect 5), or a secret
 * kept in the OS's secure storage (`desktop.unlock_automatically`). Settings are written only
 * through the config module (comments kept, validated first: an invalid value is never
 * written), then whatever the change touches is restarted.
 */
import {
  ERROR_CODES,
  HostFailure,
  hostPortFrom,
  type AccountStage,
  type AppState,
  type HostEvent,
  type HostPort,
  type Identity,
  type IncomingShare,
  type Request,
  type RequestKind,
  type Response,
  type Settings,
  type Snapshot,
  type Status,
} from '../common/contract.js';
import { IncorrectPassword } from '../core/account/errors.js';
import type { KdfParams } from '../core/account/kdf.js';
import {
  ConfigError,
  loadConfig,
  updateConfig,
  watchConfig,
  type ConfigChange,
  type ConfigWatcher,
  type HypergolixConfig,
  type LoadedConfig,
} from '../core/config/index.js';
import { startApp, stopApp, type AppCredentials, type StartedApp } from '../core/assembly/app.js';
import { Secret } from '../core/golix/index.js';
import type { Logger } from '../core/log/index.js';
import { AlreadyRunning, acquirePidFile, type PidLock } from '../core/process/index.js';
import { startServer as startPersistenceServer } from '../core/assembly/server.js';
import { NoSuchShare, type PendingShare, type ShareResult, type IncomingShare as TakenShare } from '../core/sharing/sharing.js';
import { crossFieldProblems, daemonChanged, editsFromSettings, fieldsOf, isEmptyEdit, serverChanged, settingsFromConfig } from './settings.js';

// ───────────────────────────── injected pieces ─────────────────────────────

/**
 * Where "unlock automatically on this computer" keeps the account's root secret: the OS's
 * secure storage (Electron's safeStorage in src/main). Browser mode has none, so there the
 * option is unavailable (`canRememberPassword` false). The secret never goes into the YAML.
 */
export interface SecretVault {
  /** Whether secure storage works here now (Linux without a keyring: false). */
  available(): boolean;
  save(secret: Buffer): Promise<void>;
  load(): Promise<Buffer | null>;
  clear(): Promise<void>;
}

/** A running embedded persistence server. */
export interface EmbeddedServer {
  readonly url?: string;
  close(): Promise<void>;
}

/** Starts the embedded server from the config's `server:` section (core/assembly's startServer by default). */
export type ServerFactory = (config: HypergolixConfig, options: { logger: Logger; foreground: boolean }) => Promise<EmbeddedServer>;

/** Things a desktop host may tell the user about (issue 7 decides which become notifications). */
export type Notice =
  | { kind: 'incoming-share'; from: string; /** true: waits for the user's decision (policy ask/known). */ waiting: boolean }
  | { kind: 'share-result'; recipient: string; ok: boolean }
  | { kind: 'remote'; remote: string; connected: boolean }
  | { kind: 'daemon-error'; message: string };

export interface ControllerOptions {
  /** How to find hypergolix.yml (reference §6.2); a missing one is created. */
  configOptions?: { root?: string; env?: NodeJS.ProcessEnv; cwd?: string; homedir?: string };
  /** The host's own log. */
  logger: Logger;
  vault?: SecretVault;
  /** The embedded server; null turns the feature off. @default core/assembly's startServer */
  startServer?: ServerFactory | null;
  /**
   * Loggers for the daemon and the embedded server, made from the config at each (re)start so a
   * changed verbosity takes effect; the controller closes what these return. Default: children
   * of `logger`.
   */
  loggers?: { daemon?: (config: HypergolixConfig) => Logger; server?: (config: HypergolixConfig) => Logger };
  /** KDF for new accounts (tests use cheap ones). @default the daemon's default */
  kdf?: KdfParams;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
  /** @default 10, as the wizard asks */
  minPasswordLength?: number;
  /** Hand edits are read once an editor's burst of writes is over. @default 200 */
  watchDebounceMs?: number;
  /** How often status is re-read for the UI (objects cached, remotes); 0 turns it off. @default 2000 */
  statusIntervalMs?: number;
  /** How long a login on a new machine waits for the remotes. */
  remoteWaitMs?: number;
  /** Take the daemon's pid file while it runs, so the CLI's `start app` cannot run a second one. @default true */
  pidFile?: boolean;
  /** Serve apps over IPC (`process.ipc_port`, key in the config directory) while unlocked. @default true */
  ipc?: boolean;
}


export const MIN_PASSWORD_LENGTH = 10;

type Listener = (ev: HostEvent) => void;

const isWrongPassword = (err: unknown) => err instanceof IncorrectPassword;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What the vault holds: the secret and the account it opens (a secret for another account is ignored). */
interface VaultRecord {
  v: 1;
  userId: string;
  secret: string;
}

// ───────────────────────────── the controller ─────────────────────────────

export class Controller implements HostPort {
  private state: AppState = 'locked';
  private message: string | null = null;
  private loaded: LoadedConfig | null = null;
  private app: StartedApp | null = null;
  /** The config the running daemon was started with. */
  private runningConfig: HypergolixConfig | null = null;
  private daemonLog: Logger | null = null;
  private detach: (() => void) | null = null;
  /** Kept while unlocked, so a restart needs no password; dropped on lock. */
  private rootSecret: Secret | null = null;
  private pidLock: PidLock | null = null;
  private server: EmbeddedServer | null = null;
  private serverLog: Logger | null = null;
  /** The config the server was last started (or tried) with; null when it is off. */
  private serverConfig: HypergolixConfig | null = null;
  private serverProblem: string | null = null;
  private watcher: ConfigWatcher | null = null;
  private watchedPath: string | null = null;
  private readonly hostWarnings = new Map<string, string>();
  private readonly listeners = new Set<Listener>();
  private readonly noticeListeners = new Set<(n: Notice) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastStatus = '';
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private readonly port: HostPort;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly serverFactory: ServerFactory | null;

  constructor(private readonly o: ControllerOptions) {
    this.log = o.logger;
    this.now = o.clock ?? Date.now;
    this.serverFactory = o.startServer === undefined ? defaultServerFactory : o.startServer;
    this.port = hostPortFrom(
      {
        getState: async () => this.snapshot(),
        createAccount: (req) => this.exclusive(() => this.createAccount(req.password)),
        unlock: (req) => this.exclusive(() => this.unlock(req.password, req.rememberOnThisComputer)),
        lock: () => this.exclusive(() => this.lock()),
        getSettings: async () => settingsFromConfig(this.config('read the settings')),
        saveSettings: (req) => this.exclusive(() => this.saveSettings(req.settings)),
        whoami: async () => {
          const id = this.identity();
          if (!id) throw new HostFailure(ERROR_CODES.noAccount, 'There is no account yet');
          return id;
        },
        status: async () => this.status(),
        acceptShare: (req) => this.exclusive(() => this.answerShare(req.id, true)),
        declineShare: (req) => this.exclusive(() => this.answerShare(req.id, false)),
      },
      (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    );
  }

  // ── HostPort ──

  request<K extends RequestKind>(req: Request<K>): Promise<Response<K>> {
    return this.port.request(req);
  }

  subscribe(listener: Listener): () => void {
    return this.port.subscribe(listener);
  }

  // ── for hosts (tray, notifications, tests) ──

  /**
   * Loads the config and starts watching it. The embedded server and any automatic unlock
   * start in the background (watch `status` events, or await `settled()`), so a window can
   * show at once.
   */
  async start(): Promise<void> {
    await this.init();
    if (this.o.statusIntervalMs !== 0) {
      this.timer = setInterval(() => this.pollStatus(), this.o.statusIntervalMs ?? 2000);
      this.timer.unref();
    }
  }

  /** Resolves once every queued operation (unlock, save, restart…) has finished. */
  async settled(): Promise<void> {
    for (;;) {
      const q = this.queue;
      await q;
      if (q === this.queue) return;
    }
  }

  snapshot(): Snapshot {
    return { status: this.status(), identity: this.identity(), canRememberPassword: this.vaultAvailable() };
  }

  status(): Status {
    const app = this.app;
    const net = app ? app.daemon.network.status() : [];
    const remotes = (this.runningConfig ?? this.loaded?.config)?.remotes ?? [];
    return {
      state: this.state,
      message: this.message,
      remotes: remotes.map((r, i) => ({ host: r.host, port: r.port, tls: r.tls, connected: app !== null && (net[i]?.connected ?? false) })),
      objectsCached: app ? app.daemon.engine.stats().objects : 0,
      connectedApps: app?.ipc?.connectedApps() ?? 0,
      incomingShares: app ? this.pendingShares(app) : [],
      warnings: this.warnings(),
    };
  }

  identity(): Identity | null {
    if (this.app) return { fingerprint: this.app.daemon.fingerprint.text, userId: this.app.daemon.userId.text };
    const u = this.loaded?.config.user;
    return u?.fingerprint && u.user_id ? { fingerprint: u.fingerprint.text, userId: u.user_id.text } : null;
  }

  /** The current settings as the UI would show them; null before a config could be read. */
  settings(): Settings | null {
    return this.loaded ? settingsFromConfig(this.loaded.config) : null;
  }

  /** Where the daemon writes its logs (the tray's "Open logs folder"). */
  logDir(): string | null {
    return this.loaded?.config.process.logdir ?? null;
  }

  /** The tray's switches: the same save as the settings window, and the window hears of it. */
  setEmbeddedServer(on: boolean): Promise<Response<'saveSettings'>> {
    return this.saveSwitch((s) => void (s.server.enabled = on));
  }

  setStartAtLogin(on: boolean): Promise<Response<'saveSettings'>> {
    return this.saveSwitch((s) => void (s.desktop.start_at_login = on));
  }

  private async saveSwitch(change: (s: Settings) => void): Promise<Response<'saveSettings'>> {
    const s = this.settings();
    if (!s) return { ok: false, error: { code: ERROR_CODES.unavailable, message: 'The settings could not be read' } };
    change(s);
    const res = await this.request({ kind: 'saveSettings', settings: s });
    const now = this.settings();
    if (now) this.emit({ kind: 'configChanged', settings: now });
    return res;
  }

  onNotice(listener: (n: Notice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /** Stops the daemon (account flushed), the embedded server and the watcher. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    this.watcher = null;
    // Whatever is running (a keygen cannot be interrupted) finishes first; later requests are refused.
    await this.settled();
    const wasRunning = this.app !== null;
    await this.stopDaemon();
    this.rootSecret = null;
    await this.stopServer();
    // Quietly: the UI is going away with the process, and must not flash the unlock view first.
    if (wasRunning) this.state = 'locked';
    this.listeners.clear();
    this.noticeListeners.clear();
  }

  // ───────────────────────────── requests ─────────────────────────────

  private async createAccount(password: string): Promise<Identity> {
    this.need(['no-account'], 'create an account');
    const min = this.o.minPasswordLength ?? MIN_PASSWORD_LENGTH;
    if ([...password].length < min || password.trim() === '') {
      throw new HostFailure(ERROR_CODES.badRequest, `A password needs at least ${min} characters`);
    }
    const loaded = await this.fresh();
    if (loaded.config.user.user_id) {
      this.adoptConfig(loaded);
      throw new HostFailure(ERROR_CODES.invalidState, 'hypergolix.yml already names an account; unlock it instead');
    }
    this.setState('creating');
    const progress = (stage: AccountStage, fraction?: number) =>
      this.emit(fraction === undefined ? { kind: 'accountProgress', stage } : { kind: 'accountProgress', stage, fraction });
    progress('keys', 0);
    try {
      await this.launch(loaded, { password }, (p) => {
        if (p.stage === 'keys') progress('keys', p.keygen.total > 0 ? p.keygen.completed / p.keygen.total : undefined);
        else if (p.stage === 'password') progress('secret');
        else if (p.stage === 'objects') progress('objects');
        // The account's objects are made and queued for every remote; the config is written next.
        else if (p.stage === 'done') progress('publish');
      });
    } catch (err) {
      this.setState('no-account', `The account was not created: ${messageOf(err)}`);
      throw err instanceof HostFailure ? err : new HostFailure(ERROR_CODES.internal, `The account was not created: ${messageOf(err)}`);
    }
    progress('config');
    // startApp wrote and read back the IDs (defect 14); check that the file we watch says so too.
    const id = this.identity()!;
    const check = await this.fresh().catch(() => null);
    if (check?.config.user.user_id?.text !== id.userId) {
      this.log.warn(`hypergolix.yml does not show the new user ID ${id.userId}; keep it safe yourself`);
    }
    progress('done');
    this.setState('running');
    this.log.info(`Account created: fingerprint ${id.fingerprint}, user ID ${id.userId}`);
    return id;
  }

  private async unlock(password: string, remember: boolean): Promise<{}> {
    this.need(['locked', 'error'], 'unlock');
    if (this.app) throw new HostFailure(ERROR_CODES.invalidState, 'Hypergolix is already unlocked');
    if (remember && !this.vaultAvailable()) {
      throw new HostFailure(ERROR_CODES.unavailable, 'This computer has no secure storage for the password, so Hypergolix cannot unlock automatically here');
    }
    const loaded = await this.fresh();
    if (!loaded.config.user.user_id) {
      this.adoptConfig(loaded);
      throw new HostFailure(ERROR_CODES.noAccount, 'hypergolix.yml names no account; create one first');
    }
    this.setState('unlocking');
    try {
      await this.launch(loaded, { password });
    } catch (err) {
      if (isWrongPassword(err)) {
        this.setState('locked');
        throw new HostFailure(ERROR_CODES.wrongPassword, 'Incorrect password');
      }
      this.setState('locked', `Could not unlock: ${messageOf(err)}`);
      throw err instanceof HostFailure ? err : new HostFailure(ERROR_CODES.unavailable, `Could not unlock: ${messageOf(err)}`);
    }
    this.setState('running');
    await this.rememberChoice(remember).catch((err) => {
      this.log.warn(`Could not change "unlock automatically": ${messageOf(err)}`);
      this.hostWarnings.set('unlock-automatically', `"Unlock automatically" could not be changed: ${messageOf(err)}`);
      this.emitStatus();
    });
    return {};
  }

  private async lock(): Promise<{}> {
    this.need(['running', 'error'], 'lock');
    if (!this.identity() && !this.app) throw new HostFailure(ERROR_CODES.noAccount, 'There is no account to lock');
    await this.stopDaemon();
    this.rootSecret = null;
    this.setState('locked');
    return {};
  }

  private async saveSettings(settings: Settings): Promise<{ restarted: boolean }> {
    const problems = crossFieldProblems(settings);
    if (Object.keys(problems).length > 0) throw new HostFailure(ERROR_CODES.invalidSettings, 'Some settings are not valid', problems);
    this.emit({ kind: 'restartProgress', phase: 'saving' });
    let saved: LoadedConfig;
    try {
      const current = await this.fresh();
      const edits = editsFromSettings(current.config, settings);
      saved = isEmptyEdit(edits) ? current : await updateConfig(current, edits);
    } catch (err) {
      if (err instanceof HostFailure) throw err;
      if (err instanceof ConfigError) {
        const fields = fieldsOf(err);
        if (Object.keys(fields).length > 0) throw new HostFailure(ERROR_CODES.invalidSettings, err.message, fields);
        throw new HostFailure(ERROR_CODES.internal, `The settings were not saved: ${err.message}`);
      }
      throw err;
    }
    this.log.info(`Settings saved to ${saved.path}`);
    this.adoptConfig(saved);
    const restarted = await this.reconcile(saved.config, true);
    this.emit({ kind: 'restartProgress', phase: 'done' });
    return { restarted };
  }

  private async answerShare(id: string, accept: boolean): Promise<{}> {
    const app = this.app;
    if (!app) throw new HostFailure(ERROR_CODES.invalidState, 'Unlock Hypergolix to answer shares');
    try {
      if (accept) await app.sharing.accept(id);
      else await app.sharing.decline(id);
    } catch (err) {
      if (err instanceof NoSuchShare) throw new HostFailure(ERROR_CODES.notFound, 'That share is no longer waiting');
      throw err;
    }
    this.emitStatus();
    return {};
  }

  // ───────────────────────────── start-up ─────────────────────────────

  private async init(): Promise<void> {
    let loaded: LoadedConfig;
    try {
      loaded = await loadConfig({ ...this.o.configOptions, create: true });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // A broken file is the user's to fix; watch it and start once it is readable.
      this.log.error(err.message);
      this.setState('error', `hypergolix.yml cannot be used: ${err.message}`);
      this.watch(err.file);
      return;
    }
    if (loaded.created) this.log.info(`Welcome to Hypergolix! Created ${loaded.path}`);
    for (const w of loaded.warnings) this.log.warn(w.message);
    this.adoptConfig(loaded);
    this.setState(loaded.config.user.user_id ? 'locked' : 'no-account');
    void this.exclusive(() => this.bootstrap()).catch((err) => this.log.error(`Start-up failed: ${messageOf(err)}`));
  }

  /** The background part of start-up: the embedded server, then an automatic unlock. */
  private async bootstrap(): Promise<void> {
    const config = this.config('start');
    if (config.desktop.embedded_server && this.serverFactory) await this.startServer(config);
    if (config.user.user_id && this.state === 'locked') await this.autoUnlock(config);
  }

  private async autoUnlock(config: HypergolixConfig): Promise<void> {
    let secret: Secret | null = null;
    let fromVault = false;
    if (config.user.root_secret) {
      // Honoured, and warned about in status (defect 5).
      secret = config.user.root_secret;
    } else if (config.desktop.unlock_automatically) {
      if (!this.vaultAvailable()) {
        this.message = '"Unlock automatically" is on, but this host has no secure storage; enter your password.';
        this.emitStatus();
        return;
      }
      secret = await this.readVault(config).catch((err) => {
        this.log.warn(`Could not read the saved secret: ${messageOf(err)}`);
        return null;
      });
      fromVault = true;
      if (!secret) {
        this.message = 'Could not unlock automatically; enter your password.';
        this.emitStatus();
        return;
      }
    }
    if (!secret) return;
    this.setState('unlocking');
    try {
      await this.launch(this.loaded!, { rootSecret: secret });
      this.setState('running');
      this.log.info('Unlocked automatically');
    } catch (err) {
      this.log.warn(`Automatic unlock failed: ${messageOf(err)}`);
      if (fromVault && isWrongPassword(err)) {
        // The saved secret no longer opens this account (e.g. the password was changed elsewhere).
        await this.forgetVault().catch((e) => this.log.warn(`Could not clear the saved secret: ${messageOf(e)}`));
        this.setState('locked', 'The saved password no longer opens this account; enter your password.');
      } else {
        this.setState('locked', `Could not unlock automatically: ${messageOf(err)}`);
      }
    }
  }

  // ───────────────────────────── daemon and server ─────────────────────────────

  /** Starts the daemon (creating the account on a first run). */
  private async launch(loaded: LoadedConfig, creds: AppCredentials, onProgress?: Parameters<typeof startApp>[2]['onProgress']): Promise<void> {
    const c = loaded.config;
    if (this.o.pidFile !== false && !this.pidLock) {
      try {
        this.pidLock = acquirePidFile(c.process.pid_file, { info: { role: 'app', host: 'desktop', ipc_port: c.process.ipc_port } });
      } catch (err) {
        if (err instanceof AlreadyRunning) {
          throw new HostFailure(ERROR_CODES.unavailable, `Another Hypergolix app daemon is running (pid ${err.pid}); stop it with "hypergolix stop app" first`);
        }
        throw err;
      }
    }
    const logger = this.o.loggers?.daemon ? this.o.loggers.daemon(c) : this.log.child('daemon');
    let started: StartedApp;
    try {
      started = await startApp(loaded, creds, { logger, onProgress, kdf: this.o.kdf, remoteWaitMs: this.o.remoteWaitMs, ipc: this.o.ipc ?? true });
    } catch (err) {
      this.pidLock?.release();
      this.pidLock = null;
      if (this.o.loggers?.daemon) await logger.close().catch(() => {});
      throw err;
    }
    this.app = started;
    this.daemonLog = this.o.loggers?.daemon ? logger : null;
    this.runningConfig = started.loaded.config;
    this.rootSecret = started.daemon.account.rootSecret;
    this.adoptConfig(started.loaded);
    this.detach = this.wireDaemon(started);
    this.message = null;
  }

  private wireDaemon(app: StartedApp): () => void {
    const onRemote = (label: string, connected: boolean) => {
      this.notice({ kind: 'remote', remote: label, connected });
      this.emitStatus();
    };
    const onPending = (p: PendingShare) => {
      this.notice({ kind: 'incoming-share', from: p.from.text, waiting: true });
      this.emitStatus();
    };
    const onIncoming = (s: TakenShare) => {
      this.notice({ kind: 'incoming-share', from: s.from.text, waiting: false });
      this.emitStatus();
    };
    const onResult = (r: ShareResult) => this.notice({ kind: 'share-result', recipient: r.recipient.text, ok: r.ok });
    app.daemon.on('remote', onRemote);
    app.sharing.on('pending', onPending);
    app.sharing.on('incoming', onIncoming);
    app.sharing.on('result', onResult);
    return () => {
      app.daemon.off('remote', onRemote);
      app.sharing.off('pending', onPending);
      app.sharing.off('incoming', onIncoming);
      app.sharing.off('result', onResult);
    };
  }

  private async stopDaemon(): Promise<void> {
    const app = this.app;
    if (!app) return;
    this.detach?.();
    this.detach = null;
    this.app = null;
    this.runningConfig = null;
    try {
      // Apps first, then the daemon (flushes the account).
      await stopApp(app);
    } catch (err) {
      this.log.warn(`The daemon did not stop cleanly: ${messageOf(err)}`);
    }
    this.pidLock?.release();
    this.pidLock = null;
    await this.daemonLog?.close().catch(() => {});
    this.daemonLog = null;
  }

  private async startServer(config: HypergolixConfig): Promise<void> {
    if (!this.serverFactory) return;
    this.serverConfig = config;
    const logger = this.o.loggers?.server ? this.o.loggers.server(config) : this.log.child('server');
    try {
      this.server = await this.serverFactory(config, { logger, foreground: false });
      this.serverLog = this.o.loggers?.server ? logger : null;
      this.serverProblem = null;
      this.log.info(`Embedded persistence server running${this.server.url ? ` at ${this.server.url}` : ''}`);
    } catch (err) {
      if (this.o.loggers?.server) await logger.close().catch(() => {});
      this.serverProblem = `The embedded persistence server did not start: ${messageOf(err)}`;
      this.log.error(this.serverProblem);
      throw err;
    } finally {
      this.emitStatus();
    }
  }

  private async stopServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.serverConfig = null;
    this.serverProblem = null;
    if (server) {
      try {
        await server.close();
        this.log.info('Embedded persistence server stopped');
      } catch (err) {
        this.log.warn(`The embedded server did not stop cleanly: ${messageOf(err)}`);
      }
    }
    await this.serverLog?.close().catch(() => {});
    this.serverLog = null;
  }

  /**
   * Brings what runs in line with `next`: restarts the daemon when a section it reads changed
   * (or after a failed restart), and starts, stops or restarts the embedded server. Returns
   * whether anything was restarted; throws 'restart-failed' (state 'error') when something
   * did not come back.
   */
  private async reconcile(next: HypergolixConfig, progress: boolean): Promise<boolean> {
    // Another account named in the file: the one unlocked here is not it any more.
    if (this.app && next.user.user_id && !next.user.user_id.equals(this.app.daemon.userId)) {
      await this.stopDaemon();
      this.rootSecret = null;
      this.setState('locked', 'hypergolix.yml now names another account; unlock it');
    } else if (!this.app && this.rootSecret === null && ['locked', 'no-account'].includes(this.state)) {
      const want: AppState = next.user.user_id ? 'locked' : 'no-account';
      if (want !== this.state) this.setState(want);
    }
    const needDaemon =
      (this.app !== null && this.runningConfig !== null && daemonChanged(this.runningConfig, next)) ||
      (this.app === null && this.state === 'error' && this.rootSecret !== null && next.user.user_id !== null);
    const wantServer = next.desktop.embedded_server && this.serverFactory !== null;
    const haveServer = this.serverConfig !== null;
    const needServer = wantServer !== haveServer || (wantServer && serverChanged(this.serverConfig!, next));
    if (!needDaemon && !needServer) return false;

    const step = (phase: 'stopping' | 'starting' | 'failed', message?: string) => {
      if (progress) this.emit(message === undefined ? { kind: 'restartProgress', phase } : { kind: 'restartProgress', phase, message });
    };
    const t0 = this.now();
    step('stopping');
    if (needDaemon) {
      this.setState('restarting');
      await this.stopDaemon();
    }
    if (needServer) await this.stopServer();
    step('starting');
    const failures: string[] = [];
    if (needServer && wantServer) {
      try {
        await this.startServer(next);
      } catch {
        failures.push(this.serverProblem ?? 'The embedded persistence server did not start');
      }
    }
    if (needDaemon) {
      try {
        await this.launch(this.loaded!, { rootSecret: this.rootSecret! });
        this.setState('running');
      } catch (err) {
        const msg = `Hypergolix did not restart: ${messageOf(err)}`;
        failures.push(msg);
        this.setState('error', msg);
        this.notice({ kind: 'daemon-error', message: msg });
      }
    }
    this.log.info(`Restart after a settings change took ${this.now() - t0} ms`);
    if (failures.length > 0) {
      const message = failures.join(' ');
      step('failed', message);
      throw new HostFailure(ERROR_CODES.restartFailed, message);
    }
    return true;
  }

  // ───────────────────────────── the config file ─────────────────────────────

  /** The config as it is on disk now (the watcher may not have caught up with a hand edit). */
  private async fresh(): Promise<LoadedConfig> {
    const path = this.loaded?.path;
    if (!path) throw new HostFailure(ERROR_CODES.unavailable, this.message ?? 'hypergolix.yml could not be read');
    try {
      return await loadConfig({ ...this.o.configOptions, root: path });
    } catch (err) {
      if (err instanceof ConfigError) {
        const fields = fieldsOf(err);
        throw new HostFailure(
          ERROR_CODES.invalidSettings,
          `hypergolix.yml has a problem to fix by hand first: ${err.message}`,
          Object.keys(fields).length > 0 ? fields : undefined,
        );
      }
      throw err;
    }
  }

  private config(what: string): HypergolixConfig {
    if (!this.loaded) throw new HostFailure(ERROR_CODES.unavailable, `Cannot ${what}: ${this.message ?? 'hypergolix.yml could not be read'}`);
    return this.loaded.config;
  }

  private adoptConfig(loaded: LoadedConfig): void {
    this.loaded = loaded;
    if (this.watchedPath !== loaded.path) this.watch(loaded.path);
  }

  private watch(path: string): void {
    if (this.stopping) return;
    this.watcher?.close();
    this.watchedPath = path;
    try {
      this.watcher = watchConfig(path, (change) => this.onFileChange(change), {
        debounceMs: this.o.watchDebounceMs,
        homedir: this.o.configOptions?.homedir,
      });
    } catch (err) {
      this.watcher = null;
      this.log.warn(`Hand edits of ${path} will not be noticed: ${messageOf(err)}`);
    }
  }

  private onFileChange(change: ConfigChange): void {
    if (this.stopping) return;
    if (change.kind === 'invalid') {
      this.log.warn(`hypergolix.yml was edited and now has a problem: ${change.error.message}`);
      this.hostWarnings.set('config-invalid', `hypergolix.yml has a problem, so Hypergolix keeps its previous settings until it is fixed: ${change.error.message}`);
      this.emitStatus();
      return;
    }
    if (change.kind === 'removed') {
      this.hostWarnings.set('config-removed', `${change.path} was removed; Hypergolix keeps its current settings and writes the file again at the next save.`);
      this.emitStatus();
      return;
    }
    this.hostWarnings.delete('config-invalid');
    this.hostWarnings.delete('config-removed');
    const first = this.loaded === null;
    // Keep where it was found (the watcher reports every file as an explicit root).
    const loaded = this.loaded ? { ...change.loaded, source: this.loaded.source } : change.loaded;
    this.log.info(`${loaded.path} was changed outside Hypergolix; applying it`);
    this.adoptConfig(loaded);
    this.emit({ kind: 'configChanged', settings: settingsFromConfig(loaded.config) });
    if (first) {
      // The file was broken at start and is usable now.
      this.setState(loaded.config.user.user_id ? 'locked' : 'no-account');
      void this.exclusive(() => this.bootstrap()).catch((err) => this.log.error(`Start-up failed: ${messageOf(err)}`));
      return;
    }
    this.emitStatus();
    void this.exclusive(async () => {
      // A later save may already have applied it; use what is current when our turn comes.
      if (this.loaded) await this.reconcile(this.loaded.config, false);
    }).catch((err) => this.log.warn(`Applying the edited hypergolix.yml failed: ${messageOf(err)}`));
  }

  // ───────────────────────────── "unlock automatically" ─────────────────────────────

  private vaultAvailable(): boolean {
    try {
      return this.o.vault?.available() ?? false;
    } catch {
      return false;
    }
  }

  private async readVault(config: HypergolixConfig): Promise<Secret | null> {
    const raw = await this.o.vault!.load();
    if (!raw) return null;
    const rec = JSON.parse(raw.toString('utf8')) as Partial<VaultRecord>;
    if (rec.v !== 1 || typeof rec.secret !== 'string' || rec.userId !== config.user.user_id?.text) {
      this.log.warn('The saved secret belongs to another account; ignoring it');
      return null;
    }
    return Secret.fromText(rec.secret);
  }

  private async rememberChoice(remember: boolean): Promise<void> {
    const loaded = this.loaded!;
    if (remember) {
      const app = this.app!;
      const rec: VaultRecord = { v: 1, userId: app.daemon.userId.text, secret: app.daemon.account.rootSecret.text };
      await this.o.vault!.save(Buffer.from(JSON.stringify(rec), 'utf8'));
      if (!loaded.config.desktop.unlock_automatically) this.adoptConfig(await updateConfig(loaded, { desktop: { unlock_automatically: true } }));
      this.log.info('This computer now unlocks Hypergolix automatically');
    } else if (loaded.config.desktop.unlock_automatically) {
      await this.forgetVault();
    }
    this.hostWarnings.delete('unlock-automatically');
  }

  private async forgetVault(): Promise<void> {
    await this.o.vault?.clear();
    const loaded = this.loaded;
    if (loaded?.config.desktop.unlock_automatically) this.adoptConfig(await updateConfig(loaded, { desktop: { unlock_automatically: false } }));
  }

  // ───────────────────────────── status and events ─────────────────────────────

  private pendingShares(app: StartedApp): IncomingShare[] {
    try {
      // The object's API ID is only known once the share is opened, i.e. accepted.
      return app.sharing.pending().map((p) => ({ id: p.id, from: p.from.text, apiId: 'unknown', receivedAt: p.receivedAt }));
    } catch {
      return [];
    }
  }

  private warnings(): { code: string; message: string }[] {
    const byCode = new Map<string, { message: string; more: number }>();
    const add = (code: string, message: string) => {
      const seen = byCode.get(code);
      if (seen) seen.more++;
      else byCode.set(code, { message, more: 0 });
    };
    for (const w of this.loaded?.warnings ?? []) add(w.code, w.message);
    if (this.serverProblem) add('embedded-server', this.serverProblem);
    for (const [code, message] of this.hostWarnings) add(code, message);
    return [...byCode].slice(0, 32).map(([code, w]) => ({ code, message: w.more > 0 ? `${w.message} (and ${w.more} more like it)` : w.message }));
  }

  private setState(state: AppState, message: string | null = null): void {
    this.state = state;
    this.message = message;
    this.emitStatus();
  }

  private emitStatus(): void {
    if (this.listeners.size === 0) return;
    const status = this.status();
    this.lastStatus = JSON.stringify(status);
    this.emit({ kind: 'status', status });
  }

  private pollStatus(): void {
    if (this.listeners.size === 0 || this.stopping) return;
    const status = this.status();
    const json = JSON.stringify(status);
    if (json === this.lastStatus) return;
    this.lastStatus = json;
    this.emit({ kind: 'status', status });
  }

  private emit(ev: HostEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (err) {
        this.log.warn(`An event listener failed: ${messageOf(err)}`);
      }
    }
  }

  private notice(n: Notice): void {
    for (const l of [...this.noticeListeners]) {
      try {
        l(n);
      } catch (err) {
        this.log.warn(`A notice listener failed: ${messageOf(err)}`);
      }
    }
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  private need(states: AppState[], what: string): void {
    if (!states.includes(this.state)) throw new HostFailure(ERROR_CODES.invalidState, `Cannot ${what} while ${this.state}`);
  }

  /** State-changing requests run one at a time, in order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.stopping) throw new HostFailure(ERROR_CODES.unavailable, 'Hypergolix is shutting down');
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

const defaultServerFactory: ServerFactory = async (config, options) => {
  const running = await startPersistenceServer(config, { logger: options.logger, foreground: options.foreground });
  return { url: running.url, close: () => running.close() };
};

/** Creates and starts a controller. */
export async function startController(options: ControllerOptions): Promise<Controller> {
  const c = new Controller(options);
  await c.start();
  return c;
}
