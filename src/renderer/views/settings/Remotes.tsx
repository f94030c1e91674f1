/** The list of remotes: host, port and TLS per row, added and removed in place. */
import { useEffect, useRef, useState } from 'react';
import type { Settings } from '../../../common/contract.js';
import { DEFAULT_SERVER_PORT } from '../../../common/defaults.js';
import { useUi } from '../../app-state.js';
import { Icon } from '../../components/Icon.js';
import { Field, NumberInput } from '../../components/form.js';

export function Remotes({ draft, err }: { draft: Settings; err: (path: string) => string | undefined }) {
  const edit = useUi((s) => s.editSettings);
  const focusIndex = useRef<number | null>(null);
  // A just-added row starts empty; it is not "wrong" until the user has had a go at it.
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());
  const settle = (i: number) => fresh.has(i) && setFresh(new Set([...fresh].filter((x) => x !== i)));
  // After a removal, the focus goes to the remove button now in that place (or the last one, or
  // Add remote): the removed row took the focused button with it, which leaves the focus nowhere.
  const removedIndex = useRef<number | null>(null);
  useEffect(() => {
    if (focusIndex.current !== null) {
      document.getElementById(`remote-${focusIndex.current}-host`)?.focus();
      focusIndex.current = null;
    }
    if (removedIndex.current !== null) {
      const at = Math.min(removedIndex.current, draft.remotes.length - 1);
      (document.getElementById(`remote-${at}-remove`) ?? document.getElementById('add-remote'))?.focus();
      removedIndex.current = null;
    }
  });
  return (
    <>
      {draft.remotes.length === 0 ? <p className="muted">No remotes: local only.</p> : null}
      <ul className="remotes" data-testid="remotes">
        {draft.remotes.map((r, i) => {
          const hostErr = fresh.has(i) && r.host === '' ? undefined : err(`remotes.${i}.host`);
          const portErr = err(`remotes.${i}.port`);
          const rowErr = err(`remotes.${i}`);
          return (
            <li key={i} className="remote-row" aria-label={`Remote ${i + 1}`}>
              <Field label="Host" htmlFor={`remote-${i}-host`} error={hostErr} className="grow">
                <input
                  id={`remote-${i}-host`}
                  className="input"
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="server.example.org"
                  value={r.host}
                  aria-invalid={!!hostErr}
                  aria-describedby={hostErr ? `remote-${i}-host-error` : undefined}
                  onBlur={() => settle(i)}
                  onChange={(e) => {
                    const v = e.currentTarget.value;
                    edit((d) => void (d.remotes[i]!.host = v));
                  }}
                />
              </Field>
              <Field label="Port" htmlFor={`remote-${i}-port`} error={portErr}>
                <NumberInput id={`remote-${i}-port`} value={r.port} invalid={!!portErr} describedBy={portErr ? `remote-${i}-port-error` : undefined} onChange={(n) => edit((d) => void (d.remotes[i]!.port = n))} />
              </Field>
              <label className="check tls">
                <input type="checkbox" checked={r.tls} onChange={(e) => {
                  const on = e.currentTarget.checked;
                  edit((d) => void (d.remotes[i]!.tls = on));
                }} />
                TLS
              </label>
              <button
                id={`remote-${i}-remove`}
                type="button"
                className="button icon-only"
                aria-label={r.host ? `Remove remote ${r.host}:${r.port}${r.tls ? ' (TLS)' : ''}` : `Remove remote ${i + 1}`}
                onClick={() => {
                  setFresh(new Set());
                  removedIndex.current = i;
                  edit((d) => void d.remotes.splice(i, 1));
                }}
              >
                <Icon name="trash" />
              </button>
              {rowErr ? <p className="field-error full">{rowErr}</p> : null}
            </li>
          );
        })}
      </ul>
      <button
        id="add-remote"
        type="button"
        className="button"
        onClick={() => {
          focusIndex.current = draft.remotes.length;
          setFresh(new Set([...fresh, draft.remotes.length]));
          edit((d) => void d.remotes.push({ host: '', port: DEFAULT_SERVER_PORT, tls: false }));
        }}
      >
        <Icon name="plus" /> Add remote
      </button>
    </>
  );
}
