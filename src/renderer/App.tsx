/** Chooses the screen from the host's state: wizard, unlock prompt, or the main window. */
import type { View } from './app-state.js';
import { useUi } from './app-state.js';
import { Icon } from './components/Icon.js';
import { Banner, Spinner } from './components/feedback.js';
import { IdentityView } from './views/Identity.js';
import { SettingsView } from './views/Settings.js';
import { STATE_WORDS, StatusView } from './views/Status.js';
import { Unlock } from './views/Unlock.js';
import { Wizard } from './views/Wizard.js';

export function App() {
  const connection = useUi((s) => s.connection);
  const snapshot = useUi((s) => s.snapshot);
  const wizard = useUi((s) => s.wizard);
  const problem = useUi((s) => s.problem);

  if (!snapshot) {
    return (
      <main className="centered">
        <div className="card splash" role="status">
          <Logo />
          {connection === 'closed' || problem ? (
            <p>{problem ?? 'Cannot reach Hypergolix. Trying again…'}</p>
          ) : (
            <p>
              <Spinner /> Connecting to Hypergolix…
            </p>
          )}
        </div>
      </main>
    );
  }

  const state = snapshot.status.state;
  const screen = wizard || state === 'no-account' || state === 'creating' ? <Wizard /> : state === 'locked' || state === 'unlocking' ? <Unlock /> : <Shell />;
  return (
    <>
      {connection !== 'open' ? (
        <div className="top-banner" role="alert">
          <Spinner /> Lost the connection to Hypergolix. Reconnecting…
        </div>
      ) : null}
      {screen}
    </>
  );
}

const NAV: { view: View; label: string }[] = [
  { view: 'status', label: 'Status' },
  { view: 'identity', label: 'Identity' },
  { view: 'settings', label: 'Settings' },
];

function Shell() {
  const view = useUi((s) => s.view);
  const setView = useUi((s) => s.setView);
  const status = useUi((s) => s.snapshot!.status);
  const lock = useUi((s) => s.lock);
  const problem = useUi((s) => s.problem);
  const diskChange = useUi((s) => s.settings.diskChange !== null);
  const shares = status.incomingShares.length;

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <Logo />
          <span>Hypergolix</span>
        </div>
        <ul className="nav">
          {NAV.map((n) => (
            <li key={n.view}>
              <button type="button" className={`nav-item${view === n.view ? ' active' : ''}`} aria-current={view === n.view ? 'page' : undefined} onClick={() => setView(n.view)}>
                <Icon name={n.view} />
                <span>{n.label}</span>
                {n.view === 'status' && shares > 0 ? (
                  <span className="badge" aria-label={`${shares} waiting`}>
                    {shares}
                  </span>
                ) : null}
                {n.view === 'settings' && diskChange ? <span className="badge dot-badge" aria-label="changed on disk" /> : null}
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <span className={`pill ${status.state}`} title={status.message ?? undefined}>
            {STATE_WORDS[status.state]}
          </span>
          <button type="button" className="button small ghost" onClick={() => void lock()} title="Lock Hypergolix">
            <Icon name="lock" />
            <span>Lock</span>
          </button>
        </div>
      </nav>
      <main className="content" id="content">
        {problem ? <Banner tone="error">{problem}</Banner> : null}
        {view === 'status' && <StatusView />}
        {view === 'identity' && <IdentityView />}
        {view === 'settings' && <SettingsView />}
      </main>
    </div>
  );
}

function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <circle cx="16" cy="16" r="14" className="logo-ring" />
      <path d="M10 9v14M22 9v14M10 16h12" className="logo-mark" />
    </svg>
  );
}
