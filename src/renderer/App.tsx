/** Chooses the screen from the host's state: wizard, unlock prompt, or the main window. */
import { useEffect, useRef, useState } from 'react';
import { HOST_WARNINGS } from '../common/contract.js';
import { useFocus } from './components/use-focus.js';
import type { View } from './app-state.js';
import { useUi } from './app-state.js';
import { Icon } from './components/Icon.js';
import { Banner, Spinner } from './components/feedback.js';
import { IdentityView } from './views/Identity.js';
import { ContactsView } from './views/Contacts.js';
import { SettingsView } from './views/Settings.js';
import { SharesView } from './views/Shares.js';
import { STATE_WORDS, StatusView, needsAttention } from './views/Status.js';
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
          {connection === 'refused' ? (
            <TokenRefused />
          ) : connection === 'closed' || problem ? (
            <>
              <p>{problem ?? 'Cannot reach Hypergolix. Trying again…'}</p>
              {/* Connected, but the host could not say its state: only a new connection would ask
                  again by itself, so without this the page would stay here for good. */}
              {connection === 'open' && problem ? <RetryState /> : null}
            </>
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
      {connection === 'refused' ? (
        <div className="top-banner" role="alert">
          <TokenRefused />
        </div>
      ) : connection !== 'open' ? (
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
  { view: 'shares', label: 'Shares' },
  { view: 'contacts', label: 'Contacts' },
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
  const attention = needsAttention(status);
  const [confirmLock, setConfirmLock] = useState(false);
  // Back on the Lock button once the question is closed, so a keyboard user is where they were.
  const lockButton = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    if (confirmLock) asked.current = true;
    else if (asked.current) {
      asked.current = false;
      lockButton.current?.focus();
    }
  }, [confirmLock]);

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
                {n.view === 'shares' && shares > 0 ? (
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
          <span className={`pill ${attention ? 'attention' : status.state}`} title={attention ?? status.message ?? undefined} data-testid="sidebar-pill">
            {attention ? 'Needs attention' : STATE_WORDS[status.state]}
          </span>
          {confirmLock ? (
            <LockConfirm apps={status.connectedApps} onCancel={() => setConfirmLock(false)} onLock={() => void lock().then(() => setConfirmLock(false))} />
          ) : (
            <button ref={lockButton} type="button" className="button small ghost" onClick={() => (status.connectedApps > 0 ? setConfirmLock(true) : void lock())} title="Lock Hypergolix">
              <Icon name="lock" />
              <span>Lock</span>
            </button>
          )}
        </div>
      </nav>
      <main className="content" id="content">
        {problem ? <Banner tone="error">{problem}</Banner> : null}
        <ConfigProblem />
        {view === 'status' && <StatusView />}
        {view === 'shares' && <SharesView />}
        {view === 'contacts' && <ContactsView />}
        {view === 'identity' && <IdentityView />}
        {view === 'settings' && <SettingsView />}
      </main>
    </div>
  );
}

/**
 * "Locking disconnects N apps": the focus moves into the question (it replaces the button that
 * had it, which would leave the focus nowhere), and Escape cancels, as in any dialog.
 */
function LockConfirm({ apps, onCancel, onLock }: { apps: number; onCancel: () => void; onLock: () => void }) {
  const cancel = useFocus<HTMLButtonElement>(true);
  // Once: a double click would send a second lock, refused as "not possible while locked".
  const locking = useRef(false);
  const lockOnce = () => {
    if (locking.current) return;
    locking.current = true;
    onLock();
  };
  return (
    <div
      className="lock-confirm"
      role="alertdialog"
      aria-label="Lock Hypergolix"
      aria-describedby="lock-confirm-words"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <p id="lock-confirm-words">
        Locking disconnects {apps} app{apps === 1 ? '' : 's'}; they reconnect after you unlock.
      </p>
      <button ref={cancel} type="button" className="button small" onClick={onCancel}>
        Cancel
      </button>
      <button type="button" className="button small primary" onClick={lockOnce}>
        Lock anyway
      </button>
    </div>
  );
}

/**
 * hypergolix.yml broken by hand while Hypergolix runs: said on every page, with the file, the line
 * and what is wrong (the host's words), until the file is fixed; the previous settings stay meanwhile.
 */
function ConfigProblem() {
  const problem = useUi((s) => s.snapshot?.status.warnings.find((w) => w.code === HOST_WARNINGS.configInvalid)?.message ?? null);
  return problem ? (
    <Banner tone="error" testId="config-problem">
      {problem}
    </Banner>
  ) : null;
}

function RetryState() {
  const refresh = useUi((s) => s.refresh);
  const [asking, setAsking] = useState(false);
  return (
    <button
      type="button"
      className="button primary"
      disabled={asking}
      onClick={() => {
        setAsking(true);
        void refresh().finally(() => setAsking(false));
      }}
    >
      Try again
    </button>
  );
}

/** This tab's address is out of date: Hypergolix runs, at a new address (its token changed). */
function TokenRefused() {
  return (
    <p data-testid="token-refused">
      Hypergolix runs, but with a new access token, so this tab can no longer reach it. Open the address it printed when it started (in the
      terminal where <code>hypergolix start app --ui</code> runs).
    </p>
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
