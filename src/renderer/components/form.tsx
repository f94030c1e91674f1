/** Form controls shared by the views: a labelled field with its error or hint, a switch, a number box. */
import { useState, type ReactNode } from 'react';

export function Field(props: { label: string; htmlFor: string; error?: string | undefined; hint?: ReactNode; children: ReactNode; className?: string }) {
  const { label, htmlFor, error, hint, children, className } = props;
  return (
    <div className={`field${error ? ' invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {error ? (
        <p className="field-error" id={`${htmlFor}-error`} role="alert">
          {error}
        </p>
      ) : hint ? (
        <p className="hint" id={`${htmlFor}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** An on/off setting: a checkbox announced as a switch. */
export function Switch(props: { id: string; label: string; checked: boolean; onChange: (on: boolean) => void; description?: ReactNode; disabled?: boolean }) {
  const { id, label, checked, onChange, description, disabled } = props;
  return (
    <div className="switch-row">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch"
        checked={checked}
        disabled={disabled}
        aria-describedby={description ? `${id}-desc` : undefined}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <div>
        <label htmlFor={id}>{label}</label>
        {description ? (
          <p className="hint" id={`${id}-desc`}>
            {description}
          </p>
        ) : null}
      </div>
    </div>
  );
}

/** A port number typed as text, so half-typed or wrong input stays visible until fixed. */
export function NumberInput(props: { id: string; value: number; onChange: (n: number) => void; invalid: boolean; disabled?: boolean; describedBy?: string; autoFocus?: boolean }) {
  const { id, value, onChange, invalid, disabled, describedBy } = props;
  const [text, setText] = useState(() => show(value));
  const [seen, setSeen] = useState(value);
  // Follow outside changes (revert, reload from disk) during render, without clobbering what
  // is being typed: only when the number differs from what the text already means.
  if (!Object.is(value, seen)) {
    setSeen(value);
    if (!Object.is(parseNumber(text), value)) setText(show(value));
  }
  return (
    <input
      id={id}
      type="text"
      inputMode="numeric"
      autoComplete="off"
      spellCheck={false}
      className="input narrow"
      value={text}
      disabled={disabled}
      aria-invalid={invalid}
      aria-describedby={describedBy}
      onChange={(e) => {
        setText(e.currentTarget.value);
        onChange(parseNumber(e.currentTarget.value));
      }}
    />
  );
}

const show = (n: number) => (Number.isFinite(n) ? String(n) : '');

function parseNumber(text: string): number {
  const t = text.trim();
  return /^\d{1,9}$/.test(t) ? Number(t) : Number.NaN;
}

