/**
 * The account while it is open on this computer: creating it, unlocking it (with a password, by
 * itself from a legacy `user.root_secret` or the vault), locking it. Unlocked means the daemon
 * runs; its root secret is kept meanwhile, so a restart after a settings change needs no
 * password, and dropped on lock.
 *
 *   no-account ──create──► creating ──► running          (failure: no-account)
 *   locked ──unlock──► unlocking ──► running             (failure: locked, wrong password its own code)
 *   running | error ──lock──► locked
 */
import { ERROR_CODES, HOST_WARNINGS, HostFailure, type AccountStage, type AppState, type Identity } from '../common/contract.js';
import { passwordRefusal } from '../common/password-rule.js';
import { IncorrectPassword, OutdatedPassword } from '../core/account/errors.js';
import { PreparedIdentity } from '../core/account/prepared-identity.js';
import { decodeRecoveryKey } from '../core/account/recovery.js';
import { readFile } from 'node:fs/promises';
import { parseRemoteSpec } from '../common/config-fields.js';
import { updateConfig } from '../core/config/index.js';
import { Ghid, StorageFull } from '../core/golix/index.js';
import { writeFileAtomic } from '../core/util/atomic-write.js';
import { storageTrouble } from '../core/util/disk-space.js';
import { probeAccount } from './account-probe.js';
import { accountFailure } from './account-errors.js';
import { recoveryKitPage } from '../common/recovery-kit-page.js';
import { changeAccountPassword, checkPassword, PasswordRefused } from './password-change.js';
import type { HypergolixConfig, LoadedConfig } from '../core/config/index.js';
import type { Secret } from '../core/golix/index.js';
import type { Logger } from '../core/log/index.js';
import { AlreadyRunning } from '../core/process/index.js';
import type { ConfigFollower } from './config-follower.js';
import type { AppCredentials, DaemonProgress, DaemonRunner, StartedApp } from './daemon-runner.js';
import { wireDaemonNotices, type Notice } from './notices.js';
import type { StatusFeed } from './status.js';
import type { UnlockAutomatically } from './vault.js';

export interface AccountSessionOptions {
  log: Logger;
  config: ConfigFollower;
  status: StatusFeed;
  notice: (n: Notice) => void;
  unlockAutomatically: UnlockAutomatically;
  runner: DaemonRunner;
  /** Where a new account's keys are made ahead of "Create" (tests pass cheap ones). */
  keys?: PreparedIdentity;
}

const isWrongPassword = (err: unknown) => err instanceof IncorrectPassword;

/**
 * A full (or read-only) disk in words, as the CLI says it ("the disk holding … is full"), at the
 * account's files when the error names no path; the local store's own refusal as it says it;
 * null for any other failure.
 */
function storageWords(err: unknown, ghidcache: string | undefined): string | null {
  const trouble = storageTrouble(err, ghidcache);
  if (trouble) return trouble.message;
  return err instanceof StorageFull ? err.message : null;
}
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class AccountSession {
  private secret: Secret | null = null;
  private unwire: (() => void) | null = null;
  /** Counted by each stop: a start it overtook sees the count changed (launch). */
  private stops = 0;
  /** The account the kept secret opens. */
  private secretUser: Ghid | null = null;
  private readonly keys: PreparedIdentity;

  constructor(private readonly o: AccountSessionOptions) {
    this.keys = o.keys ?? new PreparedIdentity();
  }

  /**
   * The first-run wizard is showing: a new account's keys start now, in the background, so that
   * "Create" waits only for the password's scrypt (see PreparedIdentity).
   */
  prepareKeys(): void {
    this.keys.prepare();
  }

  /** The running daemon; null while locked. */
  get app(): StartedApp | null {
    return this.o.runner.app;
  }

  /** The unlocked account's root secret, kept for restarts; null while locked. */
  get rootSecret(): Secret | null {
    return this.secret;
  }

  /** The account that secret opens (its user ID); null while locked. */
  get secretAccount(): Ghid | null {
    return this.secret ? this.secretUser : null;
  }

  identity(): Identity | null {
    const app = this.app;
    if (app) return { fingerprint: app.daemon.fingerprint.text, userId: app.daemon.userId.text };
    const u = this.o.config.current?.config.user;
    return u?.fingerprint && u.user_id ? { fingerprint: u.fingerprint.text, userId: u.user_id.text } : null;
  }

  async create(password: string): Promise<Identity> {
    this.need(['no-account'], 'create an account');
    // The wizard's rule, held here again: the contract is open to any client of the bridge.
    const refusal = passwordRefusal(password);
    if (refusal) throw new HostFailure(ERROR_CODES.badRequest, refusal);
    const { config, status, log } = this.o;
    // Busy from here, before the first wait: a second create meanwhile is refused by need().
    status.setState('creating');
    const loaded = await config.fresh().catch((err: unknown) => {
      status.setState('no-account');
      throw err;
    });
    if (loaded.config.user.user_id) {
      config.adopt(loaded);
      status.setState('no-account');
      throw new HostFailure(ERROR_CODES.invalidState, 'hypergolix.yml already names an account; unlock it instead');
    }
    const progress = (stage: AccountStage, fraction?: number) =>
      status.emit(fraction === undefined ? { kind: 'accountProgress', stage } : { kind: 'accountProgress', stage, fraction });
    progress('keys', 0);
    try {
      await this.launch(loaded, { password, prepared: this.keys }, (p) => {
        if (p.stage === 'keys') progress('keys', p.keygen.total > 0 ? p.keygen.completed / p.keygen.total : undefined);
        else if (p.stage === 'password') progress('secret');
        else if (p.stage === 'objects') progress('objects');
        // The account's objects are made and queued for every remote; the config is written next.
        else if (p.stage === 'done') progress('publish');
      });
    } catch (err) {
      // The wizard shows again; so does a fresh set of keys (the taken ones are never reused).
      this.keys.prepare();
      if (err instanceof StoppedWhileStarting && config.current?.config.user.user_id) {
        status.setState('locked', 'The account was created, but Hypergolix stopped before it opened; unlock it.');
        throw err;
      }
      const storage = storageWords(err, loaded.config.process.ghidcache);
      const why = `The account was not created: ${storage ?? messageOf(err)}`;
      status.setState('no-account', why);
      throw err instanceof HostFailure ? err : new HostFailure(storage ? ERROR_CODES.storageFull : ERROR_CODES.internal, why);
    }
    progress('config');
    // startApp wrote and read back the IDs (defect 14); check that the file we watch says so too.
    const id = this.identity()!;
    const check = await config.fresh().catch(() => null);
    if (check?.config.user.user_id?.text !== id.userId) {
      log.warn(`hypergolix.yml does not show the new user ID ${id.userId}; keep it safe yourself`);
    }
    progress('done');
    status.setState('running');
    log.info(`Account created: fingerprint ${id.fingerprint}, user ID ${id.userId}`);
    return id;
  }

  async unlock(password: string, remember: boolean): Promise<{}> {
    const { unlockAutomatically } = this.o;
    if (remember && !unlockAutomatically.available()) {
      throw new HostFailure(ERROR_CODES.unavailable, 'This computer has no secure storage for the password, so Hypergolix cannot unlock automatically here');
    }
    return this.open({ password }, remember);
  }

  /**
   * "Forgot your password?": the recovery kit's key opens the account and `password` becomes its
   * new password (the old one opens nothing after). "Unlock automatically" stays as it was.
   */
  async recover(typedKey: string, password: string): Promise<{}> {
    let recoveryKey: Buffer;
    try {
      recoveryKey = decodeRecoveryKey(typedKey);
    } catch (err) {
      throw this.failureOf(err);
    }
    const refusal = passwordRefusal(password);
    if (refusal) throw new HostFailure(ERROR_CODES.invalidSettings, refusal, { password: refusal });
    return this.open({ password, recoveryKey }, this.o.config.current?.config.desktop.unlock_automatically ?? false);
  }

  private async open(credentials: AppCredentials, remember: boolean): Promise<{}> {
    this.need(['locked', 'error'], 'unlock');
    if (this.app) throw new HostFailure(ERROR_CODES.invalidState, 'Hypergolix is already unlocked');
    const { config, status, unlockAutomatically } = this.o;
    // Busy from here, before the first wait: a second unlock meanwhile is refused by need().
    // No usable file (the error view says why): refused with that reason, the view left as it is.
    config.config('unlock');
    const was = status.state;
    const wasMessage = status.message;
    status.setState('unlocking');
    const loaded = await config.fresh().catch((err: unknown) => {
      status.setState(was, wasMessage);
      throw err;
    });
    if (!loaded.config.user.user_id) {
      config.adopt(loaded);
      status.setState(was, wasMessage);
      throw new HostFailure(ERROR_CODES.noAccount, 'hypergolix.yml names no account; create one first');
    }
    try {
      await this.launch(loaded, credentials);
    } catch (err) {
      const failure = accountFailure(err);
      if (failure) {
        // Each way the account did not open has its own code and words (account-errors.ts).
        status.setState('locked', failure.code === ERROR_CODES.wrongPassword ? undefined : failure.message);
        throw new HostFailure(failure.code, failure.message);
      }
      status.setState('locked', `Could not unlock: ${messageOf(err)}`);
      throw err instanceof HostFailure ? err : new HostFailure(ERROR_CODES.unavailable, `Could not unlock: ${messageOf(err)}`);
    }
    status.setState('running');
    try {
      await unlockAutomatically.choose(remember, this.app!);
      status.warnings.delete(HOST_WARNINGS.unlockAutomatically);
    } catch (err) {
      this.o.log.warn(`Could not change "unlock automatically": ${messageOf(err)}`);
      status.warnings.set(HOST_WARNINGS.unlockAutomatically, `"Unlock automatically" could not be changed: ${messageOf(err)}`);
      status.emitStatus();
    }
    return {};
  }

  /**
   * The wizard's "I already have an account": the remote is asked for the user ID first (so an
   * unknown ID or an unreachable remote is said as such), then the IDs and the remote go into
   * hypergolix.yml and the account opens; if it does not, the file is put back as it was.
   */
  async signIn(userIdText: string, remoteText: string, password: string): Promise<Identity> {
    this.need(['no-account'], 'sign in');
    const userId = Ghid.tryText(userIdText.trim());
    if (!userId) throw new HostFailure(ERROR_CODES.invalidSettings, 'That is not a user ID', { userId: 'A user ID is 88 characters of letters, digits, - and _ (the Identity page or the recovery kit shows it)' });
    const remote = parseRemoteSpec(remoteText.trim());
    if (!remote.ok) throw new HostFailure(ERROR_CODES.invalidSettings, 'That is not a remote', { remote: remote.error });
    const { config, status } = this.o;
    status.setState('unlocking');
    const loaded = await config.fresh().catch((err: unknown) => {
      status.setState('no-account');
      throw err;
    });
    if (loaded.config.user.user_id) {
      status.setState('no-account');
      throw new HostFailure(ERROR_CODES.invalidState, 'hypergolix.yml already names an account; unlock it instead');
    }
    let before: Buffer | null = null;
    try {
      const { fingerprint } = await probeAccount(remote.value, userId);
      before = await readFile(loaded.path);
      const updated = await updateConfig(loaded, { user: { user_id: userId, fingerprint }, remotes: { add: [remote.value] } });
      config.adopt(updated);
      await this.launch(updated, { password });
      this.keys.discard();
    } catch (err) {
      const failure = accountFailure(err);
      let words = failure?.code === ERROR_CODES.wrongPassword ? null : (failure?.message ?? `Could not sign in: ${messageOf(err)}`);
      try {
        if (before) config.adopt(await restoreConfig(loaded.path, before, config));
      } catch (restoreErr) {
        // The disk refused the file back (full, read-only, replaced): the sign-in's own failure is
        // still what the user hears, and the state must leave "unlocking" all the same.
        this.o.log.warn(`hypergolix.yml could not be put back after a failed sign-in: ${messageOf(restoreErr)}`);
        words = `${words ?? 'The password is not right.'} hypergolix.yml could not be put back as it was (${messageOf(restoreErr)}); check it by hand.`;
      }
      // What the file in use names decides the view: the wizard, or unlock if the IDs stayed in it.
      status.setState(config.current?.config.user.user_id ? 'locked' : 'no-account', words ?? undefined);
      throw this.failureOf(err);
    }
    status.setState('running');
    return this.identity()!;
  }

  /**
   * Settings → Account: a new password for the running account (its other computers learn it
   * through the remotes). The kept root secret, and the vault's copy when "unlock automatically"
   * is on, follow it.
   */
  async changePassword(current: string, next: string): Promise<{}> {
    const app = this.running('change the password');
    try {
      const saved = await changeAccountPassword(app.daemon.account, this.o.config.current ?? app.loaded, current, next);
      if (saved) this.o.config.adopt(saved);
    } catch (err) {
      if (err instanceof PasswordRefused) throw new HostFailure(ERROR_CODES.invalidSettings, err.message, { next: err.message });
      throw this.failureOf(err);
    }
    this.secret = app.daemon.account.rootSecret;
    // The password has changed: a keychain that cannot take the new secret is a warning, not a failure.
    if (this.o.config.current?.config.desktop.unlock_automatically) {
      await this.o.unlockAutomatically.choose(true, app).then(
        () => this.o.status.warnings.delete(HOST_WARNINGS.unlockAutomatically),
        async (err: unknown) => {
          this.o.log.warn(`The new password is set, but the keychain did not take it: ${messageOf(err)}`);
          await this.o.unlockAutomatically.forget().catch(() => undefined);
          this.o.status.warnings.set(HOST_WARNINGS.unlockAutomatically, `"Unlock automatically" is off: the keychain did not take the new password (${messageOf(err)})`);
          this.o.status.emitStatus();
        },
      );
    }
    return {};
  }

  /** Settings → Account and the wizard's last step: a new recovery kit, after the password. */
  async makeRecoveryKit(password: string): Promise<{ key: string; page: string }> {
    const app = this.running('make a recovery kit');
    await checkPassword(app, password).catch((err: unknown) => {
      throw this.failureOf(err);
    });
    const key = await app.daemon.account.makeRecoveryKey().catch((err: unknown) => {
      throw this.failureOf(err);
    });
    const c = app.loaded.config;
    const page = recoveryKitPage({
      key: key.text,
      userId: app.daemon.userId.text,
      fingerprint: app.daemon.fingerprint.text,
      remotes: c.remotes.map((r) => `${r.host}:${r.port}${r.tls ? ':tls' : ''}`),
      made: new Date(),
    });
    return { key: key.text, page };
  }

  private running(what: string): StartedApp {
    this.need(['running'], what);
    if (!this.app) throw new HostFailure(ERROR_CODES.invalidState, `Cannot ${what} while locked`);
    return this.app;
  }

  private failureOf(err: unknown): unknown {
    const storage = storageWords(err, this.o.config.current?.config.process.ghidcache);
    if (storage) return new HostFailure(ERROR_CODES.storageFull, `Cannot store anything: ${storage}`);
    const failure = accountFailure(err);
    return failure ? new HostFailure(failure.code, failure.code === ERROR_CODES.wrongPassword ? 'The password is not right.' : failure.message) : err;
  }

  async lock(): Promise<{}> {
    this.need(['running', 'error'], 'lock');
    if (!this.identity() && !this.app) throw new HostFailure(ERROR_CODES.noAccount, 'There is no account to lock');
    await this.end();
    this.o.status.setState('locked');
    return {};
  }

  /** At start: unlocks with a legacy `user.root_secret` or the vault's secret, when there is one. */
  async autoUnlock(config: HypergolixConfig): Promise<void> {
    const found = await this.o.unlockAutomatically.atStart(config, (message) => this.o.status.say(message));
    if (!found) return;
    const { status, log } = this.o;
    status.setState('unlocking');
    try {
      await this.launch(this.o.config.current!, { rootSecret: found.secret });
      status.setState('running');
      log.info('Unlocked automatically');
    } catch (err) {
      log.warn(`Automatic unlock failed: ${messageOf(err)}`);
      if (found.fromVault && isWrongPassword(err)) {
        // The saved secret no longer opens this account (e.g. the password was changed elsewhere).
        await this.o.unlockAutomatically.forget().catch((e) => log.warn(`Could not clear the saved secret: ${messageOf(e)}`));
        status.setState('locked', err instanceof OutdatedPassword ? 'The saved password no longer opens this account: it was changed on another computer. Enter the new password.' : 'The saved password no longer opens this account; enter your password.');
      } else {
        status.setState('locked', `Could not unlock automatically: ${messageOf(err)}`);
      }
    }
  }

  /** The file now names another account: the one unlocked here is locked. */
  async lockOut(message: string): Promise<void> {
    await this.end();
    this.o.status.setState('locked', message);
  }

  /** Starts the daemon again with the kept secret (after stopDaemon, for a settings change). */
  relaunch(): Promise<void> {
    return this.launch(this.o.config.current!, { rootSecret: this.secret! });
  }

  /**
   * Stops the daemon (the account flushed), keeping the secret for a relaunch; a start under
   * way is waited for and undone (the runner's lease), and its launch gives its daemon up.
   */
  async stopDaemon(): Promise<void> {
    this.stops++;
    this.unwire?.();
    this.unwire = null;
    try {
      await this.o.runner.stop();
    } catch (err) {
      this.o.log.warn(`The daemon did not stop cleanly: ${messageOf(err)}`);
    }
  }

  /** Stops the daemon and forgets the secret. */
  async end(): Promise<void> {
    await this.stopDaemon();
    this.secret = null;
  }

  /** Starts the daemon (creating the account on a first run). */
  private async launch(loaded: LoadedConfig, credentials: AppCredentials, onProgress?: (p: DaemonProgress) => void): Promise<void> {
    const stops = this.stops;
    let app: StartedApp;
    try {
      ({ app } = await this.o.runner.start(loaded, { credentials, onProgress }));
    } catch (err) {
      if (err instanceof AlreadyRunning) {
        throw new HostFailure(ERROR_CODES.unavailable, `Another Hypergolix app daemon is running (pid ${err.pid}); stop it with "hypergolix stop app" first`);
      }
      throw err;
    }
    // Only what the start itself wrote (an account recorded) replaces the config in use: hand
    // edits adopted while it started are newer than the text it began with.
    if (app.loaded.text !== loaded.text) this.o.config.adopt(app.loaded);
    // A stop came while it started: the daemon is being stopped; nothing of it is kept.
    if (this.stops !== stops) throw new StoppedWhileStarting();
    this.secret = app.daemon.account.rootSecret;
    this.secretUser = app.daemon.userId;
    this.unwire = wireDaemonNotices(app, this.o.notice, () => this.o.status.emitStatus());
  }

  private need(states: AppState[], what: string): void {
    const state = this.o.status.state;
    if (!states.includes(state)) throw new HostFailure(ERROR_CODES.invalidState, `Cannot ${what} while ${state}`);
  }
}

/** A start overtaken by a stop (Quit, or the file naming another account meanwhile). */
class StoppedWhileStarting extends HostFailure {
  constructor() {
    super(ERROR_CODES.invalidState, 'Hypergolix was stopped while it was starting');
  }
}

/** Puts hypergolix.yml back as it was before a sign-in that did not work, and reads it again. */
async function restoreConfig(path: string, before: Buffer, config: ConfigFollower): Promise<LoadedConfig> {
  await writeFileAtomic(path, before);
  return config.fresh();
}
