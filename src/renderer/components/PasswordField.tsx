/**
 * A password input with a "Show" toggle (so a long password can be checked before it is sent)
 * and a hint while Caps Lock is on (the most common reason a right password is refused).
 */
import { useState, type KeyboardEvent, type Ref } from 'react';

export interface PasswordFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'current-password' | 'new-password';
  disabled?: boolean;
  invalid?: boolean;
  inputRef?: Ref<HTMLInputElement>;
}

export function PasswordField(p: PasswordFieldProps) {
  const [shown, setShown] = useState(false);
  const [capsLock, setCapsLock] = useState(false);
  const track = (e: KeyboardEvent<HTMLInputElement>) => setCapsLock(e.getModifierState('CapsLock'));
  const hint = `${p.id}-caps`;
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <div className="password-row">
        <input
          ref={p.inputRef}
          id={p.id}
          className="input"
          type={shown ? 'text' : 'password'}
          autoComplete={p.autoComplete}
          spellCheck={false}
          value={p.value}
          disabled={p.disabled}
          aria-invalid={p.invalid ? true : undefined}
          aria-describedby={capsLock ? hint : undefined}
          onKeyDown={track}
          onKeyUp={track}
          onBlur={() => setCapsLock(false)}
          onChange={(e) => p.onChange(e.currentTarget.value)}
        />
        <button type="button" className="button small" aria-pressed={shown} aria-controls={p.id} onClick={() => setShown(!shown)}>
          {shown ? 'Hide' : 'Show'}
        </button>
      </div>
      {capsLock ? (
        <p className="hint warn-text" id={hint} role="status" data-testid="caps-lock">
          Caps Lock is on.
        </p>
      ) : null}
    </div>
  );
}
