/** A new password typed twice, with the strength meter and the rule's reason live; shared by Settings → Account and "Forgot your password?". */
import { StrengthMeter } from './StrengthMeter.js';

export function NewPasswordFields(p: { idPrefix: string; next: string; again: string; setNext: (v: string) => void; setAgain: (v: string) => void }) {
  const { idPrefix, next, again } = p;
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-next`}>New password</label>
        <input id={`${idPrefix}-next`} className="input" type="password" autoComplete="new-password" aria-describedby={`${idPrefix}-strength`} value={next} onChange={(e) => p.setNext(e.currentTarget.value)} />
        <StrengthMeter password={next} id={`${idPrefix}-strength`} />
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-again`}>New password again</label>
        <input id={`${idPrefix}-again`} className="input" type="password" autoComplete="new-password" value={again} onChange={(e) => p.setAgain(e.currentTarget.value)} />
        {again && again !== next ? <p className="field-error">The two new passwords differ.</p> : null}
      </div>
    </>
  );
}
