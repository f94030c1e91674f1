/**
 * The wizard's "I already have an account" (issue #13): the user ID (from the Identity page of
 * another computer, or the recovery kit), a remote that holds the account, and the password. The
 * host asks the remote first, so an unknown user ID, an unreachable remote and a wrong password
 * each get their own words.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useUi } from '../../app-state.js';
import { Banner, Spinner } from '../../components/feedback.js';
import { useFocus } from '../../components/use-focus.js';
import { readQrFromImage } from '../../components/qr-image.js';

export function SignIn() {
  const wizard = useUi((s) => s.wizard)!;
  const signIn = useUi((s) => s.signIn);
  const go = useUi((s) => s.wizardGo);
  const [userId, setUserId] = useState('');
  const [remote, setRemote] = useState('');
  const [password, setPassword] = useState('');
  const [qrProblem, setQrProblem] = useState<string | null>(null);
  const readPicture = async (file: File | undefined) => {
    if (!file) return;
    const text = await readQrFromImage(file);
    if (text && /^[A-Za-z0-9_-]{86,88}=*$/.test(text.trim())) {
      setUserId(text.trim());
      setQrProblem(null);
    } else {
      setQrProblem(text ? 'That QR code holds no user ID.' : 'No QR code was found in that picture.');
    }
  };
  const first = useFocus<HTMLInputElement>(true);
  const busy = wizard.busy === true;
  const fields = wizard.fields ?? {};
  // A refused sign-in puts the focus where the fix is: the field the host marked, else the
  // password (the Sign in button was disabled meanwhile, which drops the focus to the page).
  const form = useRef<HTMLFormElement>(null);
  const wasBusy = useRef(false);
  useEffect(() => {
    if (wasBusy.current && !busy) {
      const target = form.current?.querySelector<HTMLInputElement>('input[aria-invalid="true"]') ?? form.current?.querySelector<HTMLInputElement>('#signin-password');
      target?.focus();
      target?.select();
    }
    wasBusy.current = busy;
  }, [busy]);
  const ready = userId.trim() !== '' && remote.trim() !== '' && password !== '' && !busy;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (ready) await signIn(userId, remote, password);
  };
  return (
    <form ref={form} onSubmit={submit} noValidate aria-labelledby="wizard-title">
      <h1 id="wizard-title">Sign in to your account</h1>
      <p className="lead">Use the account you already have on another computer. Its user ID is on that computer's Identity page and on your recovery kit.</p>
      {wizard.error ? <Banner tone="error" testId="signin-error">{wizard.error}</Banner> : null}
      <div className="field">
        <label htmlFor="signin-user-id">User ID</label>
        <input ref={first} id="signin-user-id" className="input mono" autoComplete="off" spellCheck={false} value={userId} aria-invalid={fields.userId ? true : undefined} aria-describedby={fields.userId ? 'signin-user-id-error' : undefined} onChange={(e) => setUserId(e.currentTarget.value)} />
        {fields.userId ? <p className="field-error" id="signin-user-id-error">{fields.userId}</p> : null}
        <label className="button small file-pick">
          Read it from a picture of the QR code
          <input type="file" accept="image/*" className="sr-only" onChange={(e) => void readPicture(e.currentTarget.files?.[0])} />
        </label>
        {qrProblem ? <p className="field-error" data-testid="qr-problem">{qrProblem}</p> : null}
      </div>
      <div className="field">
        <label htmlFor="signin-remote">Remote that holds the account</label>
        <input id="signin-remote" className="input" placeholder="host:port (add :tls for TLS)" autoComplete="off" spellCheck={false} value={remote} aria-invalid={fields.remote ? true : undefined} aria-describedby={fields.remote ? 'signin-remote-error' : undefined} onChange={(e) => setRemote(e.currentTarget.value)} />
        {fields.remote ? <p className="field-error" id="signin-remote-error">{fields.remote}</p> : null}
      </div>
      <div className="field">
        <label htmlFor="signin-password">Password</label>
        <input id="signin-password" className="input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
      </div>
      <div className="actions">
        <button type="button" className="button" onClick={() => go('welcome')} disabled={busy}>
          Back
        </button>
        <button type="submit" className="button primary" disabled={!ready}>
          {busy ? (
            <>
              <Spinner /> Fetching your account…
            </>
          ) : (
            'Sign in'
          )}
        </button>
      </div>
    </form>
  );
}
