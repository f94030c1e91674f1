/**
 * The apps connected to Hypergolix on this computer (issue #14 item 5): each with what identifies
 * it (its app token, or "an app without a token"), what it follows, when it connected and last
 * asked something, and a Disconnect button (the SDK does not reconnect after it).
 */
import { useEffect } from 'react';
import type { ConnectedAppJson } from '../../../common/contract.js';
import { useUi } from '../../app-state.js';
import { timeAgo } from '../../format.js';

/** How often the shown list is asked for again. */
const APPS_REFRESH_MS = 3000;

const nameOf = (a: ConnectedAppJson): string => (a.token ? `App ${a.token.slice(0, 8)}` : a.legacy ? `Old app #${a.id}` : `App #${a.id}`);

export function ConnectedApps({ count }: { count: number }) {
  const { list, feedback } = useUi((s) => s.apps);
  const loadApps = useUi((s) => s.loadApps);
  const disconnectApp = useUi((s) => s.disconnectApp);
  // The status push carries the count; the list is asked for whenever it changes, and every few
  // seconds while shown: an app that registers its token, follows objects or goes quiet keeps
  // the count as it was, and its row would go stale.
  useEffect(() => void loadApps(), [count, loadApps]);
  useEffect(() => {
    const timer = setInterval(() => void loadApps(), APPS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [loadApps]);
  return (
    <>
      <h2>Connected apps</h2>
      <div aria-live="polite" data-testid="apps-feedback">
        {feedback ? <p className={feedback.tone === 'ok' ? 'ok-text' : 'error-text'}>{feedback.message}</p> : null}
      </div>
      {list.length === 0 ? (
        <p className="muted">No app is connected. Apps connect with the hgx SDK while Hypergolix is unlocked.</p>
      ) : (
        <ul className="list" data-testid="app-list">
          {list.map((a) => (
            <li key={a.id} className="list-row">
              <span className="grow">
                <strong>{nameOf(a)}</strong>
                {a.legacy ? <span className="tag">no key: public objects only</span> : null}
                {a.sendsKey ? (
                  <span className="tag" title="This app proves the IPC key by sending it, as hgx SDK 0.2 does: whatever listens on the port while Hypergolix is closed can take it. Update the app's hgx SDK to 0.3.">
                    older SDK: sends its key
                  </span>
                ) : null}
                <span className="hint block">
                  follows {a.tracked} object{a.tracked === 1 ? '' : 's'} · takes {a.apis} kind{a.apis === 1 ? '' : 's'} of share · connected {timeAgo(a.connectedAt)} · last active{' '}
                  {timeAgo(a.lastActivity)}
                </span>
              </span>
              <button type="button" className="button small" aria-label={`Disconnect ${nameOf(a)}`} onClick={() => void disconnectApp(a.id, nameOf(a))}>
                Disconnect
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
