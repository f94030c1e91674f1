/**
 * What a new config (saved from the settings window, or edited by hand) means for what runs:
 * whether the daemon restarts, whether the embedded server starts, stops or restarts, and
 * whether the unlocked account is no longer the one the file names. A pure function of what
 * runs now and the next config; src/host/restart.ts carries the plan out.
 */
import type { AppState } from '../common/contract.js';
import type { HypergolixConfig } from '../core/config/index.js';
import type { Ghid } from '../core/golix/index.js';
import { daemonChanged, serverChanged } from './settings.js';

export interface RunningNow {
  state: AppState;
  /** The running daemon: the account it opened and the config it was started with; null when none runs. */
  daemon: { userId: Ghid; config: HypergolixConfig } | null;
  /** The unlocked account's root secret is kept, so the daemon can start again without a password. */
  secretKept: boolean;
  /** The account that kept secret opens (its user ID); null when none is kept. */
  secretFor: Ghid | null;
  /** The config the embedded server was last started (or tried) with; null when it is off. */
  serverConfig: HypergolixConfig | null;
  /** This host can run an embedded server at all. */
  serverAvailable: boolean;
}

export type ServerStep = 'none' | 'start' | 'stop' | 'restart';

export interface RestartPlan {
  /** The file names another account than the unlocked one: stop the daemon and lock. */
  lockOtherAccount: boolean;
  /** Nothing unlocked, and the file now implies another state ('locked' once it names an account). */
  showState: 'locked' | 'no-account' | null;
  /** Stop and start the daemon: a section it reads changed, or it did not come back from a restart. */
  restartDaemon: boolean;
  server: ServerStep;
}

export function planRestart(now: RunningNow, next: HypergolixConfig): RestartPlan {
  const named = next.user.user_id;
  // The account unlocked here: the running daemon's, or, after a restart that failed, the kept secret's.
  const unlocked = now.daemon?.userId ?? (now.secretKept ? now.secretFor : null);
  const lockOtherAccount = unlocked !== null && named !== null && !named.equals(unlocked);
  let showState: RestartPlan['showState'] = null;
  if (!lockOtherAccount && now.daemon === null && !now.secretKept && (now.state === 'locked' || now.state === 'no-account')) {
    const want = named ? 'locked' : 'no-account';
    if (want !== now.state) showState = want;
  }
  const restartDaemon = lockOtherAccount
    ? false
    : now.daemon !== null
      ? daemonChanged(now.daemon.config, next)
      : now.state === 'error' && now.secretKept && named !== null;
  return { lockOtherAccount, showState, restartDaemon, server: serverStep(now, next) };
}

function serverStep(now: RunningNow, next: HypergolixConfig): ServerStep {
  const want = next.desktop.embedded_server && now.serverAvailable;
  const have = now.serverConfig;
  if (!want) return have ? 'stop' : 'none';
  if (!have) return 'start';
  return serverChanged(have, next) ? 'restart' : 'none';
}
