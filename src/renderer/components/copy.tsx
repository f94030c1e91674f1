/** Copying a long identifier: the button, and the field that shows the identifier whole. */
import { useEffect, useId, useState } from 'react';
import { Icon } from './Icon.js';

async function copyText(text: string): Promise<boolean> {
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

