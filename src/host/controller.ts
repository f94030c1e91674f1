/**
 * The desktop controller: what the app does, independent of how it is shown. The Electron main
 * process (src/main) and browser mode (`hypergolix start app --ui`, src/web's bridge) both host
 * one Controller and hand it to their transport as the contract's HostPort. It never imports
 * electron: the OS pieces it needs (secure storage) come in through small interfaces.
 *
 * It dispatches to one module per feature: config-follower (hypergolix.yml loaded, saved and
 * followed), account-session (create, unlock, lock: the daemon while unlocked), vault ("unlock
 * automatically"), embedded-server, restart-plan and restart (what a new config restarts),
 * status and notices (what the UI, tray and notifications hear).
 *
 * On start it loads hypergolix.yml (creating it if missing), then in the background starts the
 * embedded server when `desktop.embedded_server` is on and unlocks by itself when it can.
 * A save or a hand edit restarts what it touches: running → restarting → running | error.
 */
import {
  ERROR_CODES,
  HostFailure,
  hostPortFrom,
  toHostError,
  type HostEvent,
  type HostPort,
  type Identity,
  type Request,
  type RequestKind,
  type Response,
  type Settings,
  type Snapshot,
  type Status,
} from '../common/contract.js';
import type { PreparedIdentity } from '../core/account/prepared-identity.js';
import type { KdfParams } from '../core/account/kdf.js';
import type { HypergolixConfig } from '../core/config/index.js';
import type { Logger } from '../core/log/index.js';
import { appsOf, disconnectApp } from './apps.js';
import { AccountSession } from './account-session.js';
import { ConfigFollower, type ConfigLocation } from './config-follower.js';
import { DaemonRunner } from './daemon-runner.js';
import { EmbeddedServerSwitch } from './embedded-server.js';
import { Listeners } from './listeners.js';
import type { Notice } from './notices.js';
import { RequestQueue } from './request-queue.js';
import { applyConfig, retryFailed, type RestartParts } from './restart.js';
import { persistenceServer, type ServerFactory } from './server-runner.js';
import { crossFieldProblems, settingsFromConfig } from './settings.js';
import { notificationFor } from './notice-words.js';
import { answerShare, contactsOf, editContact, forgetContact, safetyCodeFor, sharesOf } from './shares.js';
import { StatusFeed, checkCacheNow, tryRemotesNow, type StatusSources } from './status.js';
import { RemoteAccounts } from './remote-accounts.js';
import { openUrl } from './open-url.js';
import { UnlockAutomatically, type SecretVault } from './vault.js';

export interface ControllerOptions {
  /** How to find hypergolix.yml (reference §6.2); a missing one is created. */
  configOptions?: ConfigLocation;
  /** The host's own log. */
  logger: Logger;
  vault?: SecretVault;
  /** The embedded server; null turns the feature off. @default the file-store persistence server */
  startServer?: ServerFactory | null;
  /**
   * Give the daemon and the embedded server log files of their own (hgxapp, hgxserver), opened
   * from the config at each (re)start so a changed verbosity takes effect; `console`: their
   * lines on stderr too. Default: they log to children of `logger`.
   */
  logFiles?: { console: boolean };
  /** KDF for new accounts (tests use cheap ones). @default the daemon's default */
  kdf?: KdfParams;
  /** Where a new account's keys are made ahead (tests pass ones made cheaply). */
  keys?: PreparedIdentity;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
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
  /** Opens a web page in the user's browser (a remote's registration page). @default src/host/open-url.ts */
  openUrl?: (url: string) => Promise<void>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Controller implements HostPort {
  private readonly log: Logger;
  private readonly feed: StatusFeed;
  private readonly notices: Listeners<Notice>;
  private readonly file: ConfigFollower;
  private readonly unlockAutomatically: UnlockAutomatically;
  private readonly session: AccountSession;
  private readonly server: EmbeddedServerSwitch;
  private readonly port: HostPort;
  private readonly queue = new RequestQueue();
  private readonly accounts = new RemoteAccounts(() => this.feed.emitStatus());
  private readonly restartParts: RestartParts;
  private stopped: Promise<void> | null = null;

  constructor(private readonly o: ControllerOptions) {
    const log = (this.log = o.logger);
    this.notices = new Listeners(log, 'A notice listener');
    this.feed = new StatusFeed(log, () => this.sources());
    this.file = new ConfigFollower({ location: o.configOptions, log, status: this.feed, debounceMs: o.watchDebounceMs, onEdited: (first) => this.onEdited(first) });
    this.unlockAutomatically = new UnlockAutomatically(o.vault, this.file, log);
    this.server = new EmbeddedServerSwitch({ start: o.startServer === undefined ? persistenceServer : o.startServer, log, logFile: o.logFiles });
    const runner = new DaemonRunner({
      pidFile: o.pidFile,
      lockInfo: { host: 'desktop' },
      logger: o.logFiles ? undefined : log.child('daemon'),
      console: o.logFiles?.console,
      kdf: o.kdf,
      remoteWaitMs: o.remoteWaitMs,
      ipc: o.ipc,
    });
    const notice = (n: Notice) => {
      this.notices.emit(n);
      // Browser mode's tab shows it (the Electron window ignores these: main shows its own).
      const words = notificationFor(n, this.file.current ? settingsFromConfig(this.file.current.config) : null);
      if (words) this.feed.emit({ kind: 'notice', title: words.title, body: words.body });
    };
    this.session = new AccountSession({ log, config: this.file, status: this.feed, notice, unlockAutomatically: this.unlockAutomatically, runner, keys: o.keys });
    this.restartParts = { session: this.session, server: this.server, status: this.feed, notice, log, now: o.clock ?? Date.now };
    this.port = hostPortFrom(
      {
        getState: async () => this.snapshot(),
        createAccount: (req) => this.queue.run(() => this.session.create(req.password)),
        unlock: (req) => this.queue.run(() => this.session.unlock(req.password, req.rememberOnThisComputer)),
        lock: () => this.queue.run(() => this.session.lock()),
        getSettings: async () => settingsFromConfig(this.file.config('read the settings')),
        saveSettings: (req) => this.queue.run(() => this.saveSettings(req.settings, req.base)),
        retryRestart: () => this.queue.run(() => this.retryRestart()),
        whoami: async () => {
          const id = this.identity();
          if (!id) throw new HostFailure(ERROR_CODES.noAccount, 'There is no account yet');
          return id;
        },
        status: async () => this.status(),
        checkCache: async () => {
          const report = await checkCacheNow(this.session.app);
          this.feed.emitStatus();
          return report;
        },
        tryRemotes: () => this.tryRemotes(),
        checkServerStore: async () => {
          const report = await this.server.checkStore();
          this.feed.emitStatus();
          return report;
        },
        acceptShare: (req) => this.queue.run(() => this.answer(req.id, true, { trust: req.trust })),
        declineShare: (req) => this.queue.run(() => this.answer(req.id, false, { block: req.block })),
        listContacts: async () => contactsOf(this.session.app),
        changeContact: (req) => this.changed(() => editContact(this.session.app, req.change)),
        removeContact: (req) => this.changed(() => forgetContact(this.session.app, req.fingerprint)),
        safetyCode: (req) => safetyCodeFor(this.session.app, req.fingerprint),
        listShares: async () => sharesOf(this.session.app),
        registerRemote: (req) => this.registerRemote(req.remote),
        changePassword: (req) => this.queue.run(() => this.session.changePassword(req.current, req.next)),
        makeRecoveryKit: (req) => this.queue.run(() => this.session.makeRecoveryKit(req.password)),
        recoverAccount: (req) => this.queue.run(() => this.session.recover(req.recoveryKey, req.password)),
        signIn: (req) => this.queue.run(() => this.session.signIn(req.userId, req.remote, req.password)),
        listApps: async () => appsOf(this.session.app),
        disconnectApp: async (req) => disconnectApp(this.session.app, req.id),
      },
      (listener) => this.feed.subscribe(listener),
    );
  }

  /** The directory of hypergolix.yml once it was found (browser mode keeps its address there); null before. */
  configDir(): string | null {
    return this.file.current?.dir ?? null;
  }

  // ── HostPort ──

  request<K extends RequestKind>(req: Request<K>): Promise<Response<K>> {
    return this.port.request(req);
  }

  subscribe(listener: (ev: HostEvent) => void): () => void {
    return this.port.subscribe(listener);
  }

  // ── for hosts (tray, notifications, tests) ──

  /**
   * Loads the config and starts watching it. The embedded server and any automatic unlock
   * start in the background (watch `status` events, or await `settled()`), so a window can
   * show at once.
   */
  async start(): Promise<void> {
    const opened = await this.file.open();
    // Stopped while the file was read (Quit during start-up): start nothing, no keys, no timer.
    if (this.stopped) return;
    if ('error' in opened) this.feed.setState('error', `hypergolix.yml cannot be used: ${opened.error.message}`);
    else this.begin(opened.loaded.config);
    if (this.o.statusIntervalMs !== 0) this.feed.poll(this.o.statusIntervalMs ?? 2000);
  }

  /** Resolves once every queued operation (unlock, save, restart…) has finished. */
  settled(): Promise<void> {
    return this.queue.settled();
  }

  snapshot(): Snapshot {
    return { status: this.status(), identity: this.identity(), canRememberPassword: this.unlockAutomatically.available() };
  }

  status(): Status {
    return this.feed.status();
  }

  identity(): Identity | null {
    return this.session.identity();
  }

  /** The remotes away tried now (the Status page's "Try now", a computer woken from sleep); 'invalid-state' while locked. */
  async tryRemotes(): Promise<Status> {
    await tryRemotesNow(this.session.app);
    this.feed.emitStatus();
    return this.status();
  }

  /** The current settings as the UI would show them; null before a config could be read. */
  settings(): Settings | null {
    const loaded = this.file.current;
    return loaded ? settingsFromConfig(loaded.config) : null;
  }

  /** Where the daemon writes its logs (the tray's "Open logs folder"). */
  logDir(): string | null {
    return this.file.current?.config.process.logdir ?? null;
  }

  /** The tray's switches: the same save as the settings window, and the window hears of it. */
  setEmbeddedServer(on: boolean): Promise<Response<'saveSettings'>> {
    return this.saveSwitch((s) => void (s.server.enabled = on));
  }

  setStartAtLogin(on: boolean): Promise<Response<'saveSettings'>> {
    return this.saveSwitch((s) => void (s.desktop.start_at_login = on));
  }

  onNotice(listener: (n: Notice) => void): () => void {
    return this.notices.add(listener);
  }

  /** Stops the daemon (account flushed), the embedded server and the watcher. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  // ── inside ──

  private async shutdown(): Promise<void> {
    this.feed.stopPolling();
    this.file.close();
    // Whatever is running (a keygen cannot be interrupted) finishes first; later requests are refused.
    await this.queue.close();
    const wasRunning = this.session.app !== null;
    await this.session.end();
    await this.server.stop();
    // Quietly: the UI is going away with the process, and must not flash the unlock view first.
    if (wasRunning) this.feed.setStateQuietly('locked');
    this.feed.close();
    this.notices.clear();
  }

  /** The file is usable: show whether it names an account, then start what starts by itself. */
  private begin(config: HypergolixConfig): void {
    this.feed.setState(config.user.user_id ? 'locked' : 'no-account');
    if (!config.user.user_id) this.session.prepareKeys();
    void this.queue.run(() => this.bootstrap()).catch((err) => this.log.error(`Start-up failed: ${messageOf(err)}`));
  }

  /** The background part of start-up: the embedded server, then an automatic unlock. */
  private async bootstrap(): Promise<void> {
    const config = this.file.config('start');
    // A server that does not start (its port taken) is a status warning; the account still unlocks.
    if (config.desktop.embedded_server && this.server.available) await this.server.start(config, () => this.feed.emitStatus()).catch(() => undefined);
    if (config.user.user_id && this.feed.state === 'locked') await this.session.autoUnlock(config);
  }

  private onEdited(first: boolean): void {
    // The file was broken at start and is usable now.
    if (first) return this.begin(this.file.current!.config);
    this.feed.emitStatus();
    void this.queue.run(async () => {
      // A later save may already have applied it; use what is current when our turn comes.
      const loaded = this.file.current;
      if (loaded) await this.apply(loaded.config, false);
    }).catch((err) => this.log.warn(`Applying the edited hypergolix.yml failed: ${messageOf(err)}`));
  }

  private async saveSettings(settings: Settings, base?: Settings): Promise<{ restarted: boolean }> {
    const problems = crossFieldProblems(settings);
    if (Object.keys(problems).length > 0) throw new HostFailure(ERROR_CODES.invalidSettings, 'Some settings are not valid', problems);
    this.feed.emit({ kind: 'restartProgress', phase: 'saving' });
    const saved = await this.file.save(settings, base);
    const restarted = await this.apply(saved.config, true);
    this.feed.emit({ kind: 'restartProgress', phase: 'done' });
    return { restarted };
  }

  private async retryRestart(): Promise<{ restarted: boolean }> {
    const restarted = await retryFailed(this.file.config('try the restart again'), this.restartParts);
    if (restarted) this.feed.emit({ kind: 'restartProgress', phase: 'done' });
    return { restarted };
  }

  private async saveSwitch(change: (s: Settings) => void): Promise<Response<'saveSettings'>> {
    let res: Response<'saveSettings'>;
    try {
      // Read the settings when this save's turn comes, not now: a save queued before it (the
      // window's) would otherwise be undone by this one's stale copy of every other field.
      const value = await this.queue.run(() => {
        const s = this.settings();
        if (!s) throw new HostFailure(ERROR_CODES.unavailable, 'The settings could not be read');
        change(s);
        return this.saveSettings(s);
      });
      res = { ok: true, value };
    } catch (err) {
      res = { ok: false, error: toHostError(err) };
    }
    const now = this.settings();
    if (now) this.feed.emit({ kind: 'configChanged', settings: now });
    return res;
  }

  private apply(next: HypergolixConfig, progress: boolean): Promise<boolean> {
    return applyConfig(next, progress, this.restartParts);
  }

  private async answer(id: string, accept: boolean, opts: { trust?: boolean; block?: boolean }): Promise<{}> {
    await answerShare(this.session.app, id, accept, opts);
    this.feed.emitStatus();
    return {};
  }

  /** A people change: the status (names of waiting shares) is sent again once it is made. */
  private async changed<T>(run: () => Promise<T>): Promise<T> {
    const value = await run();
    this.feed.emitStatus();
    return value;
  }

  private sources(): StatusSources {
    const app = this.session.app;
    const loaded = this.file.current;
    // Asked over HTTP in the background; this status shows the last answer.
    void this.accounts.refresh(app).catch((err: unknown) => this.log.debug(`remote accounts: ${messageOf(err)}`));
    return { app, config: app?.loaded.config ?? loaded?.config ?? null, configWarnings: loaded?.warnings ?? [], serverProblem: this.server.problem, serverDamaged: this.server.damaged, serverStore: this.server.store, accounts: this.accounts };
  }

  /** Register: a link signed by the account, opened in the browser; the standing is re-read as the user comes back. */
  private async registerRemote(remote: string): Promise<{ url: string }> {
    const app = this.session.app;
    if (!app) throw new HostFailure(ERROR_CODES.noAccount, 'Unlock your account first: the registration is signed with it');
    const url = await app.daemon.registrationLink(remote);
    await (this.o.openUrl ?? openUrl)(url);
    void this.accounts.refresh(app, true).catch(() => {});
    return { url };
  }
}
