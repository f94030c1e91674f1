/** The small standalone password prompt shown on every later start. */
import { useState, type FormEvent } from 'react';
import { useUi } from '../app-state.js';
import { Icon } from '../components/Icon.js';
import { Banner, Spinner } from '../components/feedback.js';
import { useFocus } from '../components/use-focus.js';
import { PasswordField } from '../components/PasswordField.js';
import { shortGhid } from '../format.js';
import { RecoverForm } from './Recover.js';

export function Unlock() {
  const { busy, error, attempts } = useUi((s) => s.unlock);
  const snapshot = useUi((s) => s.snapshot);
  const unlockWith = useUi((s) => s.unlockWith);
  const [pw, setPw] = useState('');
  const [remember, setRemember] = useState(false);
  const [recovering, setRecovering] = useState(false);
  // Focus on arrival, again after every failed attempt (the text selected for retyping), and on
  // the way back from "Forgot your password?".
  const field = useFocus<HTMLInputElement>(busy || recovering ? 0 : attempts + 1);
  const unlocking = busy || snapshot?.status.state === 'unlocking';
  if (recovering) {
    return (
      <main className="centered">
        <RecoverForm onBack={() => setRecovering(false)} />
      </main>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!pw || unlocking) return;
    if (await unlockWith(pw, remember)) setPw('');
  };

  return (
    <main className="centered">
      <form className="card unlock" onSubmit={submit} aria-labelledby="unlock-title" noValidate>
        <div className="unlock-icon">
          <Icon name="lock" />
        </div>
        <h1 id="unlock-title">Unlock Hypergolix</h1>
        {snapshot?.identity ? (
          <p className="muted center" title={snapshot.identity.fingerprint}>
            Account {shortGhid(snapshot.identity.fingerprint)}
          </p>
        ) : null}
        {error ? (
          <Banner tone="error" testId="unlock-error">
            {error}
          </Banner>
        ) : null}
        <PasswordField
          inputRef={field}
          id="unlock-password"
          label="Password"
          autoComplete="current-password"
          value={pw}
          disabled={unlocking}
          invalid={!!error}
          onChange={setPw}
        />
        {snapshot?.canRememberPassword ? (
          <label className="check">
            <input id="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
            <span>
              Unlock automatically on this computer
              <span className="hint block">The key is kept in your system’s secure storage, never in the config file.</span>
            </span>
          </label>
        ) : null}
        <button type="submit" className="button primary wide" disabled={!pw || unlocking}>
          {unlocking ? (
            <>
              <Spinner /> Unlocking…
            </>
          ) : (
            'Unlock'
          )}
        </button>
        <button type="button" className="button link" onClick={() => setRecovering(true)}>
          Forgot your password?
        </button>
      </form>
    </main>
  );
}
