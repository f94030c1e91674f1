/**
 * The remotes on the Status page: each one's connection, account standing and what waits for it,
 * and, while some are away, "Try now" (the daemon otherwise tries again on its own, its waits
 * growing to 30 s while a remote stays away) with a count of the seconds to its next try.
 */
import { useEffect, useState } from 'react';
import type { RemoteStatus, Status } from '../../../common/contract.js';
import { useUi } from '../../app-state.js';
import { timeAgo } from '../../format.js';

export function Remotes({ status }: { status: Status }) {
  const away = status.remotes.filter((r) => !r.connected).length;
  return (
    <>
      <h2>Remotes</h2>
      {status.remotes.length === 0 ? (
        <p className="muted">No remotes: your objects stay on this computer. Add a persistence server in Settings to sync and share.</p>
      ) : (
        <ul className="list" data-testid="remote-list">
          {status.remotes.map((r) => (
            <li key={`${r.host}:${r.port}`} className="list-row">
              <span className={`dot ${r.connected ? 'on' : 'off'}`} aria-hidden="true" />
              <span className="grow mono">
                {r.host}:{r.port}
              </span>
              {r.tls ? <span className="tag">TLS</span> : null}
              {r.storageFull ? <span className="tag">Server storage full: waiting to send</span> : null}
              {r.storageFailed ? <span className="tag">Server cannot store now: waiting to send</span> : null}
              <RemoteAccount remote={r} />
              <span className={r.connected ? 'ok-text' : 'muted'}>{r.connected ? 'Connected' : 'Not connected'}</span>
              <RemoteDetail remote={r} />
            </li>
          ))}
        </ul>
      )}
      {status.state === 'running' && away > 0 ? <TryNow away={away} /> : <TriedFeedback />}
    </>
  );
}

/** "Try now" for the remotes away, and how the last try went. */
function TryNow({ away }: { away: number }) {
  const busy = useUi((s) => s.remotesTry.busy);
  const tryRemotes = useUi((s) => s.tryRemotes);
  return (
    <>
      <ul className="list">
        <li className="list-row">
          <span className="grow muted">Hypergolix tries {away === 1 ? 'it' : 'them'} again by itself. Back on the network, or the server back up?</span>
          <button type="button" className="button small" data-testid="try-remotes" aria-label={away === 1 ? 'Try the remote now' : 'Try the remotes now'} disabled={busy} onClick={() => void tryRemotes()}>
            {busy ? 'Trying…' : 'Try now'}
          </button>
        </li>
      </ul>
      <TriedFeedback />
    </>
  );
}

/** The words of the last "Try now", read out as they come; kept once every remote is back. */
function TriedFeedback() {
  const feedback = useUi((s) => s.remotesTry.feedback);
  return (
    <div aria-live="polite" data-testid="try-remotes-feedback">
      {feedback ? <p className={feedback.tone === 'ok' ? 'ok-text' : 'error-text'}>{feedback.message}</p> : null}
    </div>
  );
}

/**
 * Registered, or the free tier with its usage, and a Register button (servers that keep
 * accounts). A registration the operator revoked is said so, without the button: the server
 * refuses to register it again, only its operator can approve it again.
 */
function RemoteAccount({ remote }: { remote: RemoteStatus }) {
  const register = useUi((s) => s.registerRemote);
  const a = remote.account;
  if (!a && !remote.registerHint) return null;
  const label = `${remote.host}:${remote.port}`;
  const words =
    a?.status === 'registered'
      ? 'Registered'
      : a?.status === 'pending'
        ? 'Waiting for approval'
        : a?.status === 'revoked'
          ? `Registration revoked: free tier, ${mib(a.usedBytes)} of ${mib(a.freeBytes)} used`
          : a
            ? `Free tier: ${mib(a.usedBytes)} of ${mib(a.freeBytes)} used`
            : 'Free tier used up';
  return (
    <>
      <span className="tag" data-testid="remote-account" title={remote.registerHint ?? (a?.status === 'revoked' ? "Ask the server's operator to approve your account again" : undefined)}>
        {words}
      </span>
      {a?.status !== 'registered' && a?.status !== 'revoked' ? (
        <button type="button" className="button small" data-testid="register-remote" aria-label={`Register on ${label}`} onClick={() => void register(label)}>
          Register
        </button>
      ) : null}
    </>
  );
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

/** Whole seconds until `at` (at least 1), counted down each second; null while `at` is null. */
function useSecondsUntil(at: number | null | undefined): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (typeof at !== 'number') return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [at]);
  return typeof at === 'number' ? Math.max(1, Math.ceil((at - now) / 1000)) : null;
}

/** Per remote: why it is not connected, when it last was, when it is tried next, and what waits to be uploaded. */
function RemoteDetail({ remote: r }: { remote: RemoteStatus }) {
  const next = useSecondsUntil(r.connected ? null : r.nextAttemptAt);
  const parts: string[] = [];
  if (!r.connected && r.problem) parts.push(r.problem);
  if (r.lastConnectedAt !== undefined) parts.push(r.lastConnectedAt === null ? 'never connected yet' : `last connected ${timeAgo(r.lastConnectedAt)}`);
  if (next !== null) parts.push(`next try in ${next} s`);
  if (r.backlog) parts.push(`${r.backlog.toLocaleString()} object${r.backlog === 1 ? '' : 's'} waiting to upload`);
  if (parts.length === 0) return null;
  return (
    <span className="hint block remote-detail" data-testid="remote-detail">
      {parts.join(' · ')}
    </span>
  );
}
