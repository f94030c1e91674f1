/**
 * Brings what runs in line with a new config, as restart-plan.ts decides: locks when the file
 * names another account, stops what must restart (daemon, then server), starts it again (server,
 * then daemon), and reports the phases to a settings window that saved. Something that does not
 * come back is a `restartFailed` failure; a daemon that does not come back leaves state 'error'.
 */
import { ERROR_CODES, HostFailure, type RestartPhase } from '../common/contract.js';
import type { HypergolixConfig } from '../core/config/index.js';
import type { Logger } from '../core/log/index.js';
import type { AccountSession } from './account-session.js';
import type { EmbeddedServerSwitch } from './embedded-server.js';
import type { Notice } from './notices.js';
import { planRestart } from './restart-plan.js';
import type { StatusFeed } from './status.js';

export interface RestartParts {
  session: AccountSession;
  server: EmbeddedServerSwitch;
  status: StatusFeed;
  notice: (n: Notice) => void;
  log: Logger;
  /** Milliseconds since the epoch. */
  now: () => number;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Applies `next`; true when anything was restarted. `progress`: report the phases (a save waits on them). */
export async function applyConfig(next: HypergolixConfig, progress: boolean, p: RestartParts): Promise<boolean> {
  const app = p.session.app;
  const plan = planRestart(
    {
      state: p.status.state,
      daemon: app ? { userId: app.daemon.userId, config: app.loaded.config } : null,
      secretKept: p.session.rootSecret !== null,
      secretFor: p.session.secretAccount,
      serverConfig: p.server.config,
      serverAvailable: p.server.available,
    },
    next,
  );
  if (plan.lockOtherAccount) await p.session.lockOut('hypergolix.yml now names another account; unlock it');
  if (plan.showState) p.status.setState(plan.showState);
  if (!plan.restartDaemon && plan.server === 'none') return false;

  const step = (phase: Extract<RestartPhase, 'stopping' | 'starting' | 'failed'>, message?: string) => {
    if (progress) p.status.emit(message === undefined ? { kind: 'restartProgress', phase } : { kind: 'restartProgress', phase, message });
  };
  const t0 = p.now();
  step('stopping');
  if (plan.restartDaemon) {
    p.status.setState('restarting');
    await p.session.stopDaemon();
  }
  if (plan.server !== 'none') await p.server.stop();
  step('starting');
  const failures: string[] = [];
  if (plan.server === 'start' || plan.server === 'restart') {
    await p.server.start(next, () => p.status.emitStatus()).catch(() => failures.push(p.server.problem ?? 'The embedded persistence server did not start'));
  }
  if (plan.restartDaemon) {
    try {
      await p.session.relaunch();
      p.status.setState('running');
    } catch (err) {
      const message = `Hypergolix did not restart: ${messageOf(err)}`;
      failures.push(message);
      p.status.setState('error', message);
      p.notice({ kind: 'daemon-error', message });
    }
  }
  p.log.info(`Restart after a settings change took ${p.now() - t0} ms`);
  if (failures.length > 0) {
    const message = failures.join(' ');
    step('failed', message);
    throw new HostFailure(ERROR_CODES.restartFailed, message);
  }
  return true;
}

/**
 * Tries again what did not come back from the last restart, with `config` (the file as it is):
 * the daemon left in 'error' (planRestart starts it again while the account's secret is kept),
 * and an embedded server whose start failed, stopped first so that the plan starts it again.
 */
export async function retryFailed(config: HypergolixConfig, p: RestartParts): Promise<boolean> {
  if (p.server.problem !== null) await p.server.stop();
  return applyConfig(config, true, p);
}
