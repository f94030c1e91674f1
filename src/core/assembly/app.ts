import { ValueError, type Secret } from '../golix/index.js';
import { IncorrectPassword } from '../account/errors.js';
import { checkKdf, DEFAULT_KDF, LOW_2016_KDF, REFERENCE_KDF, type KdfParams } from '../account/kdf.js';
import { broughtOverLine } from '../legacy/bring-over.js';
import type { AccountProgress } from '../account/account.js';
import type { PreparedIdentity } from '../account/prepared-identity.js';
import { updateConfig, type LoadedConfig } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { describeSpread, spreadSettingWarning, spreadThreadPoolOnce } from '../process/thread-pool.js';
import type { IpcServer } from '../ipc/server.js';
import type { RemoteLogger } from '../remote/logger.js';
import { Sharing } from '../sharing/sharing.js';
import { startAppIpc, type AppIpcOptions } from './app-ipc.js';
import { checkIpcPortFree } from '../ipc/port-check.js';

export interface AppCredentials {
  password?: string;
  /** From `user.root_secret` or the OS's secure storage: no password needed. */
  rootSecret?: Secret;
  /** A recovery kit's key: opens the account without its password and sets `password` as the new one. */
  recoveryKey?: Uint8Array;
  /** For a new account: keys made ahead, while the password was being chosen (the first-run wizard). */
  prepared?: PreparedIdentity;
}

export interface StartAppOptions {
  logger: RemoteLogger;
  onProgress?: (p: AccountProgress | { stage: 'store' } | { stage: 'remotes' }) => void;
  /** KDF for a new account (tests use cheap ones). @default DEFAULT_KDF */
  kdf?: KdfParams;
  remoteWaitMs?: number;
  /**
   * Serve apps over IPC (`process.ipc_port`, key in `<config dir>/ipc-token`). Off unless asked,
   * so hosts and tests that start several daemons do not collide on the port; stop with `stopApp`.
   */
  ipc?: boolean | AppIpcOptions;
}

export interface StartedApp {
  daemon: Daemon;
  /** Incoming/outgoing shares under the config's `sharing` policy. */
  sharing: Sharing;
  /** The config as it is now (a new account's IDs written in). */
  loaded: LoadedConfig;
  created: boolean;
  /** The IPC server for apps, when started with `ipc`. */
  ipc: IpcServer | null;
}

function sharingFor(daemon: Daemon, config: () => LoadedConfig, logger: RemoteLogger): Sharing {
  return new Sharing(daemon, {
    policy: () => config().config.sharing.accept,
    blocked: () => config().config.sharing.block,
    warn: (m) => logger.warn(m),
  });
}

/** The KDF this account recorded in hypergolix.yml (`account.kdf`), if any. */
export function configuredKdf(loaded: LoadedConfig): KdfParams | null {
  const kdf = loaded.config.account.kdf;
  return kdf ? checkKdf(kdf) : null;
}

/**
 * Starts the app daemon from a config: creates the account on first run (and writes its
 * fingerprint, user ID and KDF parameters into hypergolix.yml), or logs in; then, if asked,
 * the IPC server for apps.
 */
export async function startApp(loaded: LoadedConfig, creds: AppCredentials, o: StartAppOptions): Promise<StartedApp> {
  if (o.ipc) {
    // Before keys are made or derived: a first run on a busy port would otherwise create the account and then fail.
    const ipc = o.ipc === true ? {} : o.ipc;
    await checkIpcPortFree(ipc.host ?? '127.0.0.1', ipc.port ?? loaded.config.process.ipc_port);
  }
  const started = await startAccount(loaded, creds, o);
  // After the account's keys and KDF, which keep the pool busy; the updates that follow gain.
  const badSetting = spreadSettingWarning(process.env);
  if (badSetting) o.logger.warn(badSetting);
  // Never rejects; the catch is for a log already closed when it ends (a daemon stopped at once).
  void spreadThreadPoolOnce()
    .then((outcome) => {
      if (outcome.kind === 'pinned') o.logger.info(describeSpread(outcome));
      else o.logger.debug(describeSpread(outcome));
    })
    .catch(() => {});
  if (!o.ipc) return { ...started, ipc: null };
  try {
    return { ...started, ipc: await startAppIpc(started, o.logger, o.ipc === true ? {} : o.ipc) };
  } catch (err) {
    await started.daemon.stop();
    throw err;
  }
}

/** Stops what startApp started: apps first (IPC), then the daemon. */
export async function stopApp(app: StartedApp): Promise<void> {
  await app.ipc?.close();
  await app.daemon.stop();
}

async function startAccount(loaded: LoadedConfig, creds: AppCredentials, o: StartAppOptions): Promise<Omit<StartedApp, 'ipc'>> {
  const c = loaded.config;
  const remotes = c.remotes.map((r) => ({ host: r.host, port: r.port, tls: r.tls }));
  const base = { ghidcache: c.process.ghidcache, remotes, logger: o.logger, onProgress: o.onProgress, remoteWaitMs: o.remoteWaitMs };
  // A password typed now is checked, and wins over a legacy user.root_secret kept in the file.
  const rootSecret = creds.rootSecret ?? (creds.password || creds.recoveryKey ? undefined : c.user.root_secret) ?? undefined;

  if (!c.user.user_id) {
    if (c.user.fingerprint) {
      throw new ValueError(`${loaded.path} has user.fingerprint but no user.user_id; add the user ID to log in, or remove both to create a new account`);
    }
    if (!creds.password) throw new ValueError('A password is needed to create an account');
    const kdf = o.kdf ?? DEFAULT_KDF;
    const identity = await creds.prepared?.take((keygen) => o.onProgress?.({ stage: 'keys', keygen }));
    const daemon = await Daemon.start({ ...base, account: { create: { password: creds.password, kdf, identity } } });
    // Listen for shares from the first moment (no I/O turn passes before this line runs).
    let current = loaded;
    const sharing = sharingFor(daemon, () => current, o.logger);
    try {
      current = await updateConfig(loaded, {
        user: { fingerprint: daemon.fingerprint, user_id: daemon.userId },
        set: { 'account.kdf': { algorithm: kdf.algorithm, n: kdf.n, r: kdf.r, p: kdf.p } },
      });
      return { daemon, sharing, loaded: current, created: true };
    } catch (err) {
      await daemon.stop();
      throw err;
    }
  }

  if (!rootSecret && !creds.password) throw new ValueError('A password is needed to log in');
  // Accounts record their KDF in the config; on a machine that lacks it, try ours, then the reference's.
  const known = configuredKdf(loaded);
  // The recorded one first; then the others, since a password set on another computer (a
  // recovery on a new one) may have been derived under another: found, it is recorded here.
  const same = (a: KdfParams, b: KdfParams) => a.algorithm === b.algorithm && a.n === b.n && a.r === b.r && a.p === b.p;
  const others = [DEFAULT_KDF, REFERENCE_KDF, LOW_2016_KDF].filter((k) => !known || !same(k, known));
  const candidates = rootSecret ? [known ?? DEFAULT_KDF] : [...(known ? [known] : []), ...others];
  for (const [i, kdf] of candidates.entries()) {
    try {
      const daemon = await Daemon.start({
        ...base,
        account: { login: { userId: c.user.user_id, fingerprint: c.user.fingerprint, password: creds.password, rootSecret, kdf, recoveryKey: creds.recoveryKey } },
      });
      let current = loaded;
      const sharing = sharingFor(daemon, () => current, o.logger);
      if (daemon.broughtOver) o.logger.info(broughtOverLine(daemon.broughtOver));
      // An account brought over (now or on another computer) answers to its new user ID from now on.
      const moved = !daemon.userId.equals(c.user.user_id);
      const learned = !rootSecret && (!known || !same(known, kdf));
      if (learned || moved) {
        current = await updateConfig(loaded, {
          ...(moved ? { user: { user_id: daemon.userId, fingerprint: daemon.fingerprint } } : {}),
          ...(learned ? { set: { 'account.kdf': { algorithm: kdf.algorithm, n: kdf.n, r: kdf.r, p: kdf.p } } } : {}),
        });
      }
      return { daemon, sharing, loaded: current, created: false };
    } catch (err) {
      if (!(err instanceof IncorrectPassword) || i === candidates.length - 1) throw err;
    }
  }
  throw new IncorrectPassword();
}
