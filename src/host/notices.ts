/**
 * Things a desktop host may tell the user about (src/main's notifications decide which are
 * shown): what the running daemon reports about shares, remotes and damaged files, and a daemon
 * that did not come back after a settings change.
 */
import type { PendingShare, ShareResult, IncomingShare as TakenShare } from '../core/sharing/sharing.js';
import type { FreeTierUsage } from '../core/daemon/remote-status.js';
import type { Ghid } from '../core/golix/index.js';
import type { StartedApp } from './daemon-runner.js';
import { ShareNoticeBurst, type ShareNoticeBurstOptions } from './share-notice-burst.js';

export type Notice =
  | {
      kind: 'incoming-share';
      from: string;
      /** The sender's name in the contacts, or null (someone not in your contacts, or not named). */
      name: string | null;
      /** The sender is in the contacts (named or not). */
      contact?: boolean;
      /** true: waits for the user's decision (policy ask/known). */
      waiting: boolean;
      /** A new share of an object taken from them before, which had moved on past this computer's reach. */
      again?: boolean;
    }
  /** Shares of a burst not told one by one (share-notice-burst.ts): how many wait, how many were taken. */
  | { kind: 'incoming-shares'; waiting: number; taken: number }
  | { kind: 'share-result'; recipient: string; name: string | null; ok: boolean; again?: boolean; unopened?: boolean }
  | { kind: 'remote'; remote: string; connected: boolean }
  /** A remote keeps accounts and this one has used its free allowance: uploads wait until it registers there. */
  | { kind: 'free-tier'; remote: string; message: string; revoked?: boolean }
  | { kind: 'daemon-error'; message: string }
  /** The check of the local files found objects damaged here that no remote could give again (`count` in all). */
  | { kind: 'damaged-files'; count: number }
  /** The account's password was changed on another computer since this one was unlocked (core/daemon/root-watch.ts). */
  | { kind: 'password-changed-elsewhere'; at: number };

/**
 * Turns the daemon's share and remote events into notices; `changed` runs when one also changes
 * the status (a remote came or went, a share arrived). Returns the function that unwires them.
 */
export function wireDaemonNotices(app: StartedApp, notice: (n: Notice) => void, changed: () => void, burstTimers?: Pick<ShareNoticeBurstOptions, 'setTimer' | 'clearTimer' | 'windowMs'>): () => void {
  const person = (fingerprint: Ghid) => app.sharing.contacts.personOf(fingerprint);
  const burst = new ShareNoticeBurst({ ...burstTimers, tellHeld: (held) => notice({ kind: 'incoming-shares', ...held }) });
  const onRemote = (label: string, connected: boolean) => {
    notice({ kind: 'remote', remote: label, connected });
    changed();
  };
  const onPending = (p: PendingShare) => {
    if (burst.admit(true)) notice({ kind: 'incoming-share', from: p.from.text, ...person(p.from), waiting: true });
    changed();
  };
  const onIncoming = (s: TakenShare) => {
    if (burst.admit(false)) notice({ kind: 'incoming-share', from: s.from.text, ...person(s.from), waiting: false, ...(s.again ? { again: true } : {}) });
    changed();
  };
  // Once per remote while unlocked: the daemon meets the refusal again at every retry.
  const told = new Set<string>();
  const onFreeTier = (label: string, usage: FreeTierUsage) => {
    if (!told.has(label)) notice({ kind: 'free-tier', remote: label, message: usage.message, ...(usage.revoked ? { revoked: true } : {}) });
    told.add(label);
    changed();
  };
  // Told when more objects are left damaged than last told (the daemon retries them; fewer is no news).
  let damagedTold = 0;
  const onCheck = () => {
    const count = app.daemon.cacheCheck.damagedCount;
    if (count > damagedTold) notice({ kind: 'damaged-files', count });
    damagedTold = count;
    changed();
  };
  const onResult = (r: ShareResult) => notice({ kind: 'share-result', recipient: r.recipient.text, name: person(r.recipient).name, ok: r.ok, ...(r.again ? { again: true } : {}), ...(r.unopened ? { unopened: true } : {}) });
  app.daemon.on('remote', onRemote);
  // When a remote away is tried next (the Status page counts down to it): no notice.
  app.daemon.on('remote-retry', changed);
  app.sharing.on('pending', onPending);
  app.sharing.on('incoming', onIncoming);
  app.sharing.on('result', onResult);
  app.daemon.on('free-tier', onFreeTier);
  app.daemon.on('cache-check', onCheck);
  const onPasswordChanged = (at: number) => {
    notice({ kind: 'password-changed-elsewhere', at });
    changed();
  };
  app.daemon.on('password-changed-elsewhere', onPasswordChanged);
  return () => {
    burst.dispose();
    app.daemon.off('password-changed-elsewhere', onPasswordChanged);
    app.daemon.off('cache-check', onCheck);
    app.daemon.off('free-tier', onFreeTier);
    app.daemon.off('remote', onRemote);
    app.daemon.off('remote-retry', changed);
    app.sharing.off('pending', onPending);
    app.sharing.off('incoming', onIncoming);
    app.sharing.off('result', onResult);
  };
}
