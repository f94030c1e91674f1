/** What Hypergolix is doing: its state, remotes, cache, apps, and shares waiting for a decision. */
import { HOST_WARNINGS, type AppState, type Status } from '../../common/contract.js';
import { ConnectedApps } from './status/ConnectedApps.js';
import { LocalFiles } from './status/LocalFiles.js';
import { Remotes } from './status/Remotes.js';
import { ServerStore } from './status/ServerStore.js';
import { useUi } from '../app-state.js';
import { Banner } from '../components/feedback.js';
import { storageWords } from '../format.js';
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
      {/* A broken hypergolix.yml is said on every page already (App's ConfigProblem). */}
      {status.warnings.filter((w) => w.code !== HOST_WARNINGS.configInvalid).map((w) => (
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
      <Remotes status={status} />
      {status.state === 'running' && status.cacheCheck ? <LocalFiles check={status.cacheCheck} /> : null}
      {status.serverStore ? <ServerStore store={status.serverStore} /> : null}
      {status.state === 'running' ? <ConnectedApps count={status.connectedApps} /> : null}
    </section>
  );
}
