/**
 * "Forgot your password?" on the unlock screen (issue #13): the recovery kit's key and a new
 * password open the account; the old password opens nothing afterwards.
 */
import { useState, type FormEvent } from 'react';
import { useUi } from '../app-state.js';
import { Banner, Spinner } from '../components/feedback.js';
import { NewPasswordFields } from '../components/NewPasswordFields.js';
import { useFocus } from '../components/use-focus.js';
import { passwordRefusal } from '../../common/password-rule.js';

export function RecoverForm({ onBack }: { onBack: () => void }) {
  const busy = useUi((s) => s.account.busy) === 'recover';
  const feedback = useUi((s) => s.account.feedback);
  const recoverAccount = useUi((s) => s.recoverAccount);
  const [key, setKey] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  // Only this visit's failures: an error from an earlier visit would greet the user on arrival.
  const [tries, setTries] = useState(0);
  // Focus on arrival and after each failure (the key is what is most likely mistyped).
  const keyField = useFocus<HTMLInputElement>(busy ? 0 : tries + 1);
  const ready = key.trim() !== '' && passwordRefusal(next) === null && again === next && !busy;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    const done = await recoverAccount(key, next);
    if (!done) setTries((n) => n + 1);
  };
  const failed = tries > 0 && feedback?.action === 'recover' && feedback.tone === 'error' ? feedback.message : null;
  return (
    <form className="card unlock" onSubmit={submit} aria-labelledby="recover-title" noValidate>
      <h1 id="recover-title">Set a new password</h1>
      <p className="muted">With the recovery key from your recovery kit (9 groups of 4 characters).</p>
      {failed ? <Banner tone="error" testId="recover-error">{failed}</Banner> : null}
      <div className="field">
        <label htmlFor="recovery-key">Recovery key</label>
        <input ref={keyField} id="recovery-key" className="input mono" autoComplete="off" spellCheck={false} value={key} onChange={(e) => setKey(e.currentTarget.value)} />
      </div>
      <NewPasswordFields idPrefix="recover" next={next} again={again} setNext={setNext} setAgain={setAgain} />
      <button type="submit" className="button primary wide" disabled={!ready}>
        {busy ? (
          <>
            <Spinner /> Opening the account…
          </>
        ) : (
          'Set the new password and unlock'
        )}
      </button>
      <button type="button" className="button link" onClick={onBack}>
        Back to the password
      </button>
    </form>
  );
}
