/** Small building blocks shared by the views. */
import { useEffect, useId, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import qrcode from 'qrcode-generator';

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no focus, no permission): fall back to a selected hidden field.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 1800);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      className="button small"
      aria-label={`Copy ${what}`}
      onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}
    >
      <Icon name={state === 'copied' ? 'check' : 'copy'} />
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}</span>
    </button>
  );
}

/** A long identifier shown whole, selectable, with a copy button. */
export function CopyField({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const id = useId();
  return (
    <div className="copy-field">
      <div className="copy-field-head">
        <span className="label" id={id}>
          {label}
        </span>
        <CopyButton text={value} what={label.toLowerCase()} />
      </div>
      <output className="ghid" aria-labelledby={id} data-testid={testId}>
        {value}
      </output>
    </div>
  );
}

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

export function Banner({ tone, children, actions, testId }: { tone: 'info' | 'warn' | 'error' | 'ok'; children: ReactNode; actions?: ReactNode; testId?: string }) {
  return (
    <div className={`banner ${tone}`} role={tone === 'error' || tone === 'warn' ? 'alert' : 'status'} data-testid={testId}>
      <Icon name={tone === 'ok' ? 'check' : tone === 'info' ? 'info' : 'warn'} />
      <div className="banner-body">{children}</div>
      {actions ? <div className="banner-actions">{actions}</div> : null}
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

export function parseNumber(text: string): number {
  const t = text.trim();
  return /^\d{1,9}$/.test(t) ? Number(t) : Number.NaN;
}

/** The QR code of a text, drawn as one SVG path (no inline styles, so the CSP stays strict). */
export function QrCode({ text, label }: { text: string; label: string }) {
  const { d, size } = useMemo(() => {
    const qr = qrcode(0, 'M');
    qr.addData(text, 'Byte');
    qr.make();
    const n = qr.getModuleCount();
    let path = '';
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        if (!qr.isDark(r, c)) continue;
        let run = 1;
        while (c + run < n && qr.isDark(r, c + run)) run++;
        path += `M${c + 4} ${r + 4}h${run}v1h-${run}z`;
        c += run - 1;
      }
    }
    return { d: path, size: n + 8 };
  }, [text]);
  return (
    <svg className="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shapeRendering="crispEdges" data-testid="qr">
      <rect width={size} height={size} className="qr-bg" />
      <path d={d} className="qr-fg" />
    </svg>
  );
}

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

const ICONS: Record<string, ReactNode> = {
  status: <path d="M3 12h4l3-8 4 16 3-8h4" />,
  identity: (
    <>
      <rect x="3" y="5" width="18" height="14" rx="2" />
      <circle cx="9" cy="11" r="2.5" />
      <path d="M5.5 16.5c.8-1.6 2-2.4 3.5-2.4s2.7.8 3.5 2.4M15 10h3M15 13h3" />
    </>
  ),
  settings: (
    <>
      <circle cx="12" cy="12" r="3" />
      <path d="M12 2v3M12 19v3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M2 12h3M19 12h3M4.9 19.1L7 17M17 7l2.1-2.1" />
    </>
  ),
  lock: (
    <>
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V8a4 4 0 0 1 8 0v3" />
    </>
  ),
  copy: (
    <>
      <rect x="9" y="9" width="11" height="11" rx="2" />
      <path d="M5 15V6a2 2 0 0 1 2-2h8" />
    </>
  ),
  check: <path d="M5 12.5l4.5 4.5L19 7.5" />,
  info: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M12 11v6M12 7.5v.5" />
    </>
  ),
  warn: (
    <>
      <path d="M12 3l10 18H2z" />
      <path d="M12 10v5M12 18v.5" />
    </>
  ),
  plus: <path d="M12 5v14M5 12h14" />,
  trash: <path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13" />,
  key: (
    <>
      <circle cx="8" cy="15" r="4" />
      <path d="M11 12l9-9M17 6l3 3M15 8l2 2" />
    </>
  ),
};

export function Icon({ name }: { name: keyof typeof ICONS }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {ICONS[name]}
    </svg>
  );
}

/** Moves focus to the element when `when` becomes true (e.g. after a failed attempt). */
export function useFocus<T extends HTMLElement>(when: unknown): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (when) {
      ref.current?.focus();
      if (ref.current instanceof HTMLInputElement) ref.current.select();
    }
  }, [when]);
  return ref;
}

/** "3 minutes ago" from epoch milliseconds. */
export function timeAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86400, 'day'],
  ];
  let out = '';
  for (const [secs, name] of units) {
    const n = Math.floor(s / secs);
    if (n >= 1) out = `${n} ${name}${n === 1 ? '' : 's'} ago`;
  }
  return out;
}

/** The start and end of a long GHID, for places too narrow for all 88 characters. */
export function shortGhid(g: string): string {
  return g.length > 20 ? `${g.slice(0, 10)}…${g.slice(-6)}` : g;
}
