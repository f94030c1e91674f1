/** First run: what an account is, a password, key generation, and the IDs to keep. */
import { useEffect, useState, type FormEvent } from 'react';
import { ACCOUNT_STAGES, type AccountStage } from '../../common/contract.js';
import { useUi } from '../app-state.js';
import { Icon } from '../components/Icon.js';
import { QrCode } from '../components/QrCode.js';
import { CopyField } from '../components/copy.js';
import { Banner, Spinner } from '../components/feedback.js';
import { useFocus } from '../components/use-focus.js';
import { StrengthMeter } from '../components/StrengthMeter.js';
import { passwordRefusal } from '../../common/password-rule.js';
import { SignIn } from './wizard/SignIn.js';
import { RecoveryKit } from './settings/Account.js';

const STEPS = ['welcome', 'password', 'creating', 'done'] as const;

export function Wizard() {
  const wizard = useUi((s) => s.wizard)!;
  const stepNo = wizard.step === 'signin' ? 1 : STEPS.indexOf(wizard.step) + 1;
  return (
    <main className="centered">
      <section className="card wizard" aria-labelledby="wizard-title">
        <p className="eyebrow">{wizard.step === 'signin' ? 'Set up Hypergolix · sign in' : `Set up Hypergolix · step ${stepNo} of ${STEPS.length}`}</p>
        <ol className="steps" aria-hidden="true">
          {STEPS.map((s, i) => (
            <li key={s} className={i < stepNo ? 'on' : ''} />
          ))}
        </ol>
        {wizard.step === 'welcome' && <Welcome />}
        {wizard.step === 'password' && <ChoosePassword />}
        {wizard.step === 'creating' && <Creating />}
        {wizard.step === 'done' && <Done />}
        {wizard.step === 'signin' && <SignIn />}
      </section>
    </main>
  );
}

function Welcome() {
  const go = useUi((s) => s.wizardGo);
  const start = useFocus<HTMLButtonElement>(true);
  return (
    <>
      <h1 id="wizard-title">Create your Hypergolix account</h1>
      <p className="lead">Hypergolix keeps your apps' data encrypted end to end. Your account is what makes that work:</p>
      <ul className="explain">
        <li>
          <Icon name="key" />
          <span>
            <strong>Your keys are made on this computer</strong> and never leave it unencrypted. Servers only ever see scrambled data.
          </span>
        </li>
        <li>
          <Icon name="lock" />
          <span>
            <strong>Your password protects those keys.</strong> Nobody, including us, can reset it for you: only a recovery kit, which you can make at the end, can set a new one.
          </span>
        </li>
        <li>
          <Icon name="identity" />
          <span>
            <strong>Your fingerprint is your public address.</strong> Give it to people so they can share things with you.
          </span>
        </li>
      </ul>
      <div className="actions">
        <button ref={start} type="button" className="button primary" onClick={() => go('password')}>
          Get started
        </button>
        <button type="button" className="button" onClick={() => go('signin')}>
          I already have an account
        </button>
      </div>
    </>
  );
}

function ChoosePassword() {
  const { error } = useUi((s) => s.wizard)!;
  const create = useUi((s) => s.createAccount);
  const go = useUi((s) => s.wizardGo);
  const [pw, setPw] = useState('');
  const [again, setAgain] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [show, setShow] = useState(false);
  const first = useFocus<HTMLInputElement>(true);
  const mismatch = again.length > 0 && again !== pw;
  const ready = passwordRefusal(pw) === null && again === pw && understood;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) void create(pw);
  };

  return (
    <form onSubmit={submit} noValidate>
      <h1 id="wizard-title">Choose a password</h1>
      <p className="lead">It unlocks your account on this computer. A long passphrase of a few unrelated words is easy to remember and hard to guess.</p>
      {error ? <Banner tone="error">Creating the account failed: {error}</Banner> : null}
      <div className="field">
        <label htmlFor="new-password">Password</label>
        <input
          ref={first}
          id="new-password"
          className="input"
          type={show ? 'text' : 'password'}
          autoComplete="new-password"
          value={pw}
          onChange={(e) => setPw(e.currentTarget.value)}
          aria-describedby="strength"
        />
        <StrengthMeter password={pw} />
      </div>
      <div className={`field${mismatch ? ' invalid' : ''}`}>
        <label htmlFor="confirm-password">Type it again</label>
        <input
          id="confirm-password"
          className="input"
          type={show ? 'text' : 'password'}
          autoComplete="new-password"
          value={again}
          aria-invalid={mismatch}
          aria-describedby={mismatch ? 'confirm-error' : undefined}
          onChange={(e) => setAgain(e.currentTarget.value)}
        />
        {mismatch ? (
          <p className="field-error" id="confirm-error">
            The two passwords differ.
          </p>
        ) : null}
      </div>
      <label className="check">
        <input type="checkbox" checked={show} onChange={(e) => setShow(e.currentTarget.checked)} /> Show password
      </label>
      <LossWarning understood={understood} onChange={setUnderstood} />
      <div className="actions">
        <button type="button" className="button" onClick={() => go('welcome')}>
          Back
        </button>
        <button type="submit" className="button primary" disabled={!ready}>
          Create account
        </button>
      </div>
    </form>
  );
}

function LossWarning({ understood, onChange }: { understood: boolean; onChange: (on: boolean) => void }) {
  return (
    <div className="warning-box">
      <p>
        <strong>If you lose this password and have no recovery kit, your account and everything in it is gone.</strong> Nobody can reset
        it. Write it down and keep it somewhere safe, and make a recovery kit at the end.
      </p>
      <label className="check">
        <input id="understand" type="checkbox" checked={understood} onChange={(e) => onChange(e.currentTarget.checked)} />I understand that a lost
        password cannot be recovered without a recovery kit
      </label>
    </div>
  );
}

const STAGE_WORDS: Record<AccountStage, string> = {
  keys: 'Generating your keys (two RSA-4096 keys and an X25519 key)',
  secret: 'Deriving the key that your password protects',
  objects: 'Creating your account’s encrypted records',
  publish: 'Publishing your public identity',
  config: 'Saving your user ID and fingerprint',
  done: 'Done',
};

function Creating() {
  const { stage, fraction } = useUi((s) => s.wizard)!;
  const at = stage ? ACCOUNT_STAGES.indexOf(stage) : 0;
  const steps = ACCOUNT_STAGES.length - 1;
  const overall = Math.min(1, (at + (fraction ?? 0.3)) / steps);
  return (
    <div aria-busy="true">
      <h1 id="wizard-title">Creating your account</h1>
      <p className="lead">This takes a little while. Generating strong keys is slow on purpose; the app stays usable meanwhile.</p>
      <progress className="progress" max={1} value={overall} aria-label="Account creation progress" />
      <ol className="stages" data-testid="stages">
        {ACCOUNT_STAGES.slice(0, -1).map((s, i) => (
          <li key={s} className={i < at ? 'done' : i === at ? 'active' : ''} aria-current={i === at ? 'step' : undefined}>
            {i < at ? <Icon name="check" /> : i === at ? <Spinner /> : <span className="dot" />}
            {STAGE_WORDS[s]}
          </li>
        ))}
      </ol>
    </div>
  );
}

function Done() {
  const identity = useUi((s) => s.wizard?.identity ?? s.snapshot?.identity ?? null);
  const finish = useUi((s) => s.finishWizard);
  const [saved, setSaved] = useState(false);
  const refresh = useUi((s) => s.refresh);
  // Another tab (or a reload) reached this step through the host's state: ask it for the IDs.
  useEffect(() => {
    if (!identity) void refresh();
  }, [identity, refresh]);
  if (!identity) return <Spinner />;
  return (
    <div>
      <h1 id="wizard-title">Your account is ready</h1>
      <p className="lead">
        Save both of these somewhere safe, together with your password. Share your <strong>fingerprint</strong> with people who want to share with you; keep the
        <strong> user ID</strong> to log in on another computer.
      </p>
      <CopyField label="Fingerprint" value={identity.fingerprint} testId="wizard-fingerprint" />
      <CopyField label="User ID" value={identity.userId} testId="wizard-userid" />
      <figure className="qr-card wizard-qr" data-testid="wizard-qr">
        <QrCode text={identity.fingerprint} label="QR code of your fingerprint" />
        <figcaption className="muted">Let a friend scan your fingerprint</figcaption>
      </figure>
      <div className="wizard-kit">
        <RecoveryKit intro="Recommended: a key that sets a new password if you ever forget yours. Print it or save it with your fingerprint and user ID." />
      </div>
      <label className="check">
        <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.currentTarget.checked)} />I have saved my fingerprint and user ID
      </label>
      <div className="actions">
        <button type="button" className="button primary" disabled={!saved} onClick={finish}>
          Continue
        </button>
      </div>
    </div>
  );
}
