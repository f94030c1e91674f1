/**
 * Settings → Account (issue #13): change the password, and make a recovery kit — the key shown
 * once, with the printable kit to save. Outside the settings form: these act at once, through
 * the account, not through hypergolix.yml.
 */
import { useState, type FormEvent } from 'react';
import { useUi } from '../../app-state.js';
import { CopyField } from '../../components/copy.js';
import { Banner, Spinner } from '../../components/feedback.js';
import { NewPasswordFields } from '../../components/NewPasswordFields.js';
import { passwordRefusal } from '../../../common/password-rule.js';
import { Section } from './sections.js';

function Feedback({ action }: { action: 'password' | 'kit' }) {
  const feedback = useUi((s) => s.account.feedback);
  if (!feedback || feedback.action !== action) return null;
  return (
    <Banner tone={feedback.tone === 'ok' ? 'ok' : 'error'} testId={`${action}-feedback`}>
      {feedback.message}
    </Banner>
  );
}

function ChangePassword() {
  const busy = useUi((s) => s.account.busy) === 'password';
  const changePassword = useUi((s) => s.changePassword);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const ready = current !== '' && passwordRefusal(next) === null && again === next && !busy;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    if (await changePassword(current, next)) {
      setCurrent('');
      setNext('');
      setAgain('');
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Change the password">
      <h3>Change the password</h3>
      <div className="field">
        <label htmlFor="pw-current">Current password</label>
        <input id="pw-current" className="input" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.currentTarget.value)} />
      </div>
      <NewPasswordFields idPrefix="pw" next={next} again={again} setNext={setNext} setAgain={setAgain} />
      <Feedback action="password" />
      <button type="submit" className="button" disabled={!ready}>
        {busy ? (
          <>
            <Spinner /> Changing…
          </>
        ) : (
          'Change password'
        )}
      </button>
      <p className="hint">Your other computers learn the new password through your remotes; the old one then opens nothing.</p>
    </form>
  );
}

function NewKit({ kit }: { kit: { key: string; page: string } }) {
  const closeKit = useUi((s) => s.closeKit);
  const href = `data:text/html;charset=utf-8,${encodeURIComponent(kit.page)}`;
  return (
    <div className="kit" data-testid="recovery-kit">
      <Banner tone="warn">This key is shown only once. Save the kit (print it or save it as a PDF) and keep it somewhere safe.</Banner>
      <p className="recovery-key" data-testid="recovery-key">
        {kit.key}
      </p>
      <CopyField label="Recovery key" value={kit.key} testId="copy-recovery-key" />
      <p>
        <a className="button" href={href} download="hypergolix-recovery-kit.html">
          Save the kit
        </a>{' '}
        <button type="button" className="button" onClick={closeKit}>
          I have saved it
        </button>
      </p>
    </div>
  );
}

/** Makes a recovery kit after the password; in Settings → Account and on the wizard's last step. */
export function RecoveryKit({ intro }: { intro?: string }) {
  const { busy, kit } = useUi((s) => s.account);
  const makeRecoveryKit = useUi((s) => s.makeRecoveryKit);
  const [password, setPassword] = useState('');
  const making = busy === 'kit';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password || making) return;
    if (await makeRecoveryKit(password)) setPassword('');
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Recovery kit">
      <h3>Recovery kit</h3>
      <p className="hint">
        {intro ?? 'A key that sets a new password if you forget yours ("Forgot your password?" on the unlock screen). Making a new kit makes any earlier key useless.'}
      </p>
      {kit ? <NewKit kit={kit} /> : null}
      <div className="field">
        <label htmlFor="kit-password">Password</label>
        <input id="kit-password" className="input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
      </div>
      <Feedback action="kit" />
      <button type="submit" className="button" disabled={!password || making}>
        {making ? (
          <>
            <Spinner /> Making the kit…
          </>
        ) : (
          'Make a recovery kit'
        )}
      </button>
    </form>
  );
}

export function AccountSection() {
  return (
    <Section title="Account" intro="Your password and your recovery kit. These take effect at once.">
      <ChangePassword />
      <RecoveryKit />
    </Section>
  );
}
