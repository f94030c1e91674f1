/** What Hypergolix is doing: its state, remotes, cache, apps, and shares waiting for a decision. */
import type { AppState, IncomingShare, RemoteStatus } from '../../common/contract.js';
import { useUi } from '../app-state.js';
import { CopyButton } from '../components/copy.js';
import { Banner } from '../components/feedback.js';
import { shortGhid, storageWords, timeAgo } from '../format.js';

export const STATE_WORDS: Record<AppState, string> = {
  'no-account': 'No account',
  creating: 'Creating account',
  locked: 'Locked',
  unlocking: 'Unlocking',
  running: 'Running',
  restarting: 'Restarting',
  error: 'Error',
};

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
      {status.state === 'error' ? <Banner tone="error">{status.message ?? 'Hypergolix stopped because of an error.'}</Banner> : null}
      {status.warnings.map((w) => (
        <Banner key={w.code} tone="warn">
          {w.message}
        </Banner>
      ))}
      {status.incomingShares.length > 0 ? <Shares shares={status.incomingShares} /> : null}
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
            </li>
          ))}
        </ul>
      )}
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
        <button type="button" className="button small" data-testid="register-remote" onClick={() => void register(label)}>
          Register
        </button>
      ) : null}
    </>
  );
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

function Shares({ shares }: { shares: IncomingShare[] }) {
  const answer = useUi((s) => s.answerShare);
  const busy = useUi((s) => s.shareBusy);
  return (
    <section className="card flat shares" aria-labelledby="shares-title" data-testid="shares">
      <h2 id="shares-title">
        Shared with you <span className="count">{shares.length}</span>
      </h2>
      <p className="hint">Accepting lets the app that handles this kind of object open it, and every later version the sender makes.</p>
      <ul className="list">
        {shares.map((s) => (
          <li key={s.id} className="share" data-testid={`share-${s.id}`}>
            <div className="grow">
              <div>
                From <span className="mono" title={s.from}>{shortGhid(s.from)}</span> <CopyButton text={s.from} what="sender fingerprint" />
              </div>
              <div className="hint">
                Object type <span className="mono" title={s.apiId}>{shortGhid(s.apiId)}</span> · {timeAgo(s.receivedAt)}
              </div>
            </div>
            <div className="share-actions">
              <button type="button" className="button" disabled={busy[s.id]} onClick={() => void answer(s.id, false)}>
                Decline
              </button>
              <button type="button" className="button primary" disabled={busy[s.id]} onClick={() => void answer(s.id, true)}>
                Accept
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
