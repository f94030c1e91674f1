/** What Hypergolix is doing: its state, remotes, cache, apps, and shares waiting for a decision. */
import type { AppState, RemoteStatus, Status } from '../../common/contract.js';
import { ConnectedApps } from './status/ConnectedApps.js';
import { LocalFiles } from './status/LocalFiles.js';
import { ServerStore } from './status/ServerStore.js';
import { useUi } from '../app-state.js';
import { Banner } from '../components/feedback.js';
import { storageWords, timeAgo } from '../format.js';
import { busySaving } from '../ui-state.js';

export const STATE_WORDS: Record<AppState, string> = {
  'no-account': 'No account',
  creating: 'Creating account',
  locked: 'Locked',
  unlocking: 'Unlocking',
  running: 'Running',
  restarting: 'Restarting',
  error: 'Error',
};

/** Why the running app needs the user's attention (the pill turns amber), or null. */
export function needsAttention(status: Status): string | null {
  if (status.state !== 'running') return null;
  const down = status.remotes.filter((r) => !r.connected).length;
  if (down > 0) return `${down} of ${status.remotes.length} remote${status.remotes.length === 1 ? ' is' : 's are'} not connected`;
  const damaged = status.cacheCheck?.damagedCount ?? 0;
  if (damaged > 0) return `${damaged} object${damaged === 1 ? ' is' : 's are'} damaged on this computer`;
  if (status.incomingShares.length > 0) return `${status.incomingShares.length} share${status.incomingShares.length === 1 ? ' waits' : 's wait'} for your answer`;
  if (status.warnings.length > 0) return status.warnings[0]!.message;
  return null;
}

function WaitingNote({ count }: { count: number }) {
  const setView = useUi((s) => s.setView);
  return (
    <Banner
      tone="info"
      testId="waiting-note"
      actions={
        <button type="button" className="button small primary" onClick={() => setView('shares')}>
          Open Shares
        </button>
      }
    >
      {count === 1 ? 'A share waits' : `${count} shares wait`} for your answer.
    </Banner>
  );
}

/** Stopped by an error (a restart that did not come back): it says why, and the restart can be tried again. */
function StoppedByError({ message }: { message: string | null }) {
  const retry = useUi((s) => s.retryRestart);
  const busy = useUi((s) => busySaving(s.settings.save));
  return (
    <Banner
      tone="error"
      testId="stopped-by-error"
      actions={
        <button type="button" className="button small" disabled={busy} onClick={() => void retry()}>
          {busy ? 'Restarting…' : 'Try again'}
        </button>
      }
    >
      {message ?? 'Hypergolix stopped because of an error.'}
    </Banner>
  );
}

export function StatusView() {
  const status = useUi((s) => s.snapshot?.status);
  if (!status) return null;
  const connected = status.remotes.filter((r) => r.connected).length;
  return (
    <section aria-labelledby="status-title">
      <header className="page-head row">
        <h1 id="status-title">Status</h1>
        <span className={`pill ${status.state}`} data-testid="state">
          {STATE_WORDS[status.state]}
        </span>
      </header>
      {status.state === 'error' ? <StoppedByError message={status.message} /> : null}
      {status.warnings.map((w) => (
        <Banner key={w.code} tone="warn">
          {w.message}
        </Banner>
      ))}
      {status.incomingShares.length > 0 ? <WaitingNote count={status.incomingShares.length} /> : null}
      <dl className="stats">
        <div className="stat">
          <dt>Remotes connected</dt>
          <dd data-testid="remotes-connected">{status.remotes.length === 0 ? 'Local only' : `${connected} of ${status.remotes.length}`}</dd>
        </div>
        <div className="stat">
          <dt>Objects cached</dt>
          <dd data-testid="objects-cached">{status.objectsCached.toLocaleString()}</dd>
        </div>
        {status.storage ? (
          <div className="stat">
            <dt>Storage</dt>
            <dd data-testid="storage" className={status.storage.kind === 'ok' ? undefined : 'error-text'} title={status.storage.message ?? undefined}>
              {storageWords(status.storage)}
            </dd>
          </div>
        ) : null}
        <div className="stat">
          <dt>Apps connected</dt>
          <dd data-testid="apps-connected">{status.connectedApps}</dd>
        </div>
      </dl>
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
              <RemoteAccount remote={r} />
              <span className={r.connected ? 'ok-text' : 'muted'}>{r.connected ? 'Connected' : 'Not connected'}</span>
              <RemoteDetail remote={r} />
            </li>
          ))}
        </ul>
      )}
      {status.state === 'running' && status.cacheCheck ? <LocalFiles check={status.cacheCheck} /> : null}
      {status.serverStore ? <ServerStore store={status.serverStore} /> : null}
      {status.state === 'running' ? <ConnectedApps count={status.connectedApps} /> : null}
    </section>
  );
}

/** Registered, or the free tier with its usage, and a Register button (servers that keep accounts). */
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
        : a
          ? `Free tier: ${mib(a.usedBytes)} of ${mib(a.freeBytes)} used`
          : 'Free tier used up';
  return (
    <>
      <span className="tag" data-testid="remote-account" title={remote.registerHint}>
        {words}
      </span>
      {a?.status !== 'registered' ? (
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
/** Per remote: why it is not connected, when it last was, and what waits to be uploaded. */
function RemoteDetail({ remote: r }: { remote: RemoteStatus }) {
  const parts: string[] = [];
  if (!r.connected && r.problem) parts.push(r.problem);
  if (r.lastConnectedAt !== undefined) parts.push(r.lastConnectedAt === null ? 'never connected yet' : `last connected ${timeAgo(r.lastConnectedAt)}`);
  if (r.backlog) parts.push(`${r.backlog.toLocaleString()} object${r.backlog === 1 ? '' : 's'} waiting to upload`);
  if (parts.length === 0) return null;
  return (
    <span className="hint block remote-detail" data-testid="remote-detail">
      {parts.join(' · ')}
    </span>
  );
}
