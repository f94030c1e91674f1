/** Settings bound to hypergolix.yml: validated as you type, saved with a visible restart. */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { SERVER_HOST_MODES, SHARING_POLICIES, VERBOSITIES, type ServerHostMode, type Settings, type SharingPolicy, type Verbosity } from '../../common/contract.js';
import { sameValue, valueAt } from '../paths.js';
import { validateSettings } from '../settings-rules.js';
import { useUi } from '../store.js';
import { Banner, Field, Icon, NumberInput, Spinner, Switch } from '../ui.js';

const VERBOSITY_WORDS: Record<Verbosity, string> = {
  error: 'Errors only',
  warning: 'Warnings and errors',
  info: 'Information (default)',
  debug: 'Debugging',
  shouty: 'Debugging, with WebSocket traffic',
  extreme: 'Debugging, with event-loop detail',
};

const HOST_MODE_WORDS: Record<ServerHostMode, [string, string]> = {
  localhost: ['This computer only', 'Listens on 127.0.0.1.'],
  AUTO: ['Local network', 'Listens on this computer’s detected LAN address.'],
  ANY: ['All network interfaces', 'Reachable from anywhere that can reach this computer.'],
};

const SHARING_WORDS: Record<SharingPolicy, [string, string]> = {
  all: ['Accept shares from anyone', 'How the original Hypergolix behaves.'],
  known: ['Accept from people I already accepted', 'Shares from anyone else wait for you under Status.'],
  ask: ['Ask me every time', 'Every share waits for you under Status.'],
};

/** The errors to show: the live rules', then the host's for fields still holding the judged value. */
function useErrors(draft: Settings | null): Record<string, string> {
  const serverErrors = useUi((s) => s.settings.serverErrors);
  if (!draft) return {};
  const local = validateSettings(draft);
  const server = Object.fromEntries(
    Object.entries(serverErrors)
      .filter(([path, e]) => sameValue(valueAt(draft, path), e.value))
      .map(([path, e]) => [path, e.message]),
  );
  return { ...server, ...local };
}

export function SettingsView() {
  const { draft, baseline, loading, loadError, save, diskChange } = useUi((s) => s.settings);
  const { editSettings: edit, saveSettings, revertSettings, reloadFromDisk, dismissDiskChange, loadSettings } = useUi((s) => s);
  const errors = useErrors(draft);

  if (loadError) {
    return (
      <Banner tone="error" actions={<button type="button" className="button small" onClick={() => void loadSettings()}>Try again</button>}>
        Could not read the settings: {loadError}
      </Banner>
    );
  }
  if (!draft || loading) {
    return (
      <p className="muted">
        <Spinner /> Loading settings…
      </p>
    );
  }

  const dirty = !sameValue(draft, baseline);
  const invalid = Object.keys(errors).length > 0;
  const busy = save.phase === 'saving' || save.phase === 'stopping' || save.phase === 'starting';
  const err = (path: string) => errors[path];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dirty && !invalid && !busy) void saveSettings();
  };

  return (
    <form className="settings" onSubmit={submit} noValidate aria-labelledby="settings-title">
      <header className="page-head">
        <h1 id="settings-title">Settings</h1>
        <p className="muted">Stored in hypergolix.yml. Saving restarts Hypergolix so the changes take effect.</p>
      </header>

      {diskChange ? (
        <Banner
          tone="info"
          testId="disk-banner"
          actions={
            <>
              <button type="button" className="button small primary" onClick={reloadFromDisk}>
                Reload
              </button>
              <button type="button" className="button small" onClick={dismissDiskChange}>
                Keep my edits
              </button>
            </>
          }
        >
          hypergolix.yml was changed on disk. Reload to see the new values{dirty ? ' (your unsaved edits here will be lost)' : ''}.
        </Banner>
      ) : null}

      <Section title="Remotes" intro="Persistence servers that keep your encrypted objects and pass on shares. With none, everything stays on this computer.">
        <Remotes draft={draft} err={err} />
      </Section>

      <Section title="Sharing">
        <fieldset className="choices">
          <legend>When someone shares an object with you</legend>
          {SHARING_POLICIES.map((p) => (
            <label key={p} className="choice">
              <input type="radio" name="sharing" value={p} checked={draft.sharing.accept === p} onChange={() => edit((d) => void (d.sharing.accept = p))} />
              <span>
                {SHARING_WORDS[p][0]}
                <span className="hint block">{SHARING_WORDS[p][1]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <p className="note">
          <Icon name="info" />
          <span>
            When you share an object that changes over time, the other person can read <strong>every future version</strong> too, and that cannot be taken
            back. To stop sharing, an app has to move the data to a new object.
          </span>
        </p>
      </Section>

      <Section title="Apps">
        <Field label="App connection port" htmlFor="ipc-port" error={err('process.ipc_port')} hint="Apps on this computer connect to Hypergolix here (default 7772).">
          <NumberInput id="ipc-port" value={draft.process.ipc_port} invalid={!!err('process.ipc_port')} describedBy={describe('ipc-port', err('process.ipc_port'))} onChange={(n) => edit((d) => void (d.process.ipc_port = n))} />
        </Field>
        <Switch
          id="legacy-ipc"
          label="Allow legacy app connections"
          checked={draft.process.ipc_legacy_clients}
          onChange={(on) => edit((d) => void (d.process.ipc_legacy_clients = on))}
          description="For old Python hgx apps that cannot authenticate."
        />
        {draft.process.ipc_legacy_clients ? (
          <Banner tone="warn" testId="legacy-warning">
            <strong>Legacy connections are not authenticated.</strong> Any program on this computer can then read, change and share all your objects. Turn
            this on only for apps you trust, and off again when you are done.
          </Banner>
        ) : null}
      </Section>

      <Section title="Embedded server" intro="Run a persistence server inside Hypergolix, for other computers or other accounts to use.">
        <Switch id="server-enabled" label="Run a persistence server" checked={draft.server.enabled} onChange={(on) => edit((d) => void (d.server.enabled = on))} />
        <fieldset className="choices" disabled={!draft.server.enabled}>
          <legend>Who can reach it</legend>
          {SERVER_HOST_MODES.map((m) => (
            <label key={m} className="choice">
              <input type="radio" name="server-host" value={m} checked={draft.server.host === m} onChange={() => edit((d) => void (d.server.host = m))} />
              <span>
                {HOST_MODE_WORDS[m][0]}
                <span className="hint block">{HOST_MODE_WORDS[m][1]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <Field label="Server port" htmlFor="server-port" error={err('server.port')} hint="Default 7770.">
          <NumberInput id="server-port" value={draft.server.port} invalid={!!err('server.port')} disabled={!draft.server.enabled} describedBy={describe('server-port', err('server.port'))} onChange={(n) => edit((d) => void (d.server.port = n))} />
        </Field>
      </Section>

      <Section title="Desktop">
        <Switch id="start-at-login" label="Start Hypergolix when I log in" checked={draft.desktop.start_at_login} onChange={(on) => edit((d) => void (d.desktop.start_at_login = on))} />
        <fieldset className="switches">
          <legend>Notify me when</legend>
          <Switch id="notify-share" label="someone shares an object with me" checked={draft.desktop.notifications.incoming_share} onChange={(on) => edit((d) => void (d.desktop.notifications.incoming_share = on))} />
          <Switch id="notify-result" label="a share I made succeeds or fails" checked={draft.desktop.notifications.share_result} onChange={(on) => edit((d) => void (d.desktop.notifications.share_result = on))} />
          <Switch id="notify-remote" label="a remote cannot be reached" checked={draft.desktop.notifications.remote_unreachable} onChange={(on) => edit((d) => void (d.desktop.notifications.remote_unreachable = on))} />
          <Switch id="notify-error" label="Hypergolix runs into an error" checked={draft.desktop.notifications.daemon_error} onChange={(on) => edit((d) => void (d.desktop.notifications.daemon_error = on))} />
        </fieldset>
      </Section>

      <Section title="Logging">
        <Field label="Log detail" htmlFor="verbosity" error={err('instrumentation.verbosity')}>
          <select id="verbosity" className="input" value={draft.instrumentation.verbosity} onChange={(e) => edit((d) => void (d.instrumentation.verbosity = e.currentTarget.value as Verbosity))}>
            {VERBOSITIES.map((v) => (
              <option key={v} value={v}>
                {v} — {VERBOSITY_WORDS[v]}
              </option>
            ))}
          </select>
        </Field>
        <Switch id="debug" label="Debug mode" description="Extra checks and logging for developers; slower." checked={draft.instrumentation.debug} onChange={(on) => edit((d) => void (d.instrumentation.debug = on))} />
      </Section>

      {Object.entries(errors).some(([path]) => !SHOWN.test(path)) ? (
        <Banner tone="error" testId="other-errors">
          {Object.entries(errors)
            .filter(([path]) => !SHOWN.test(path))
            .map(([path, message]) => (
              <div key={path}>
                <span className="mono">{path}</span>: {message}
              </div>
            ))}
        </Banner>
      ) : null}

      <div className="save-bar" role="region" aria-label="Save changes">
        <div className={`save-status ${save.ok === true ? 'ok-text' : save.ok === false ? 'error-text' : ''}`} aria-live="polite" data-testid="save-status">
          {busy ? <Spinner /> : null}
          {save.message ?? (invalid ? 'Complete or fix the marked fields to save.' : dirty ? 'You have unsaved changes.' : '')}
        </div>
        <button type="button" className="button" disabled={!dirty || busy} onClick={revertSettings}>
          Revert
        </button>
        <button type="submit" className="button primary" disabled={!dirty || invalid || busy}>
          Save
        </button>
      </div>
    </form>
  );
}

/** Paths that have a field of their own on this page; errors on any other path are listed apart. */
const SHOWN = /^(process\.ipc_port|server\.port|instrumentation\.verbosity|remotes\.\d+(\.host|\.port)?)$/;

const describe = (id: string, error: string | undefined) => `${id}-${error ? 'error' : 'hint'}`;

function Section({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="card flat section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {intro ? <p className="hint">{intro}</p> : null}
      {children}
    </section>
  );
}

function Remotes({ draft, err }: { draft: Settings; err: (path: string) => string | undefined }) {
  const edit = useUi((s) => s.editSettings);
  const focusIndex = useRef<number | null>(null);
  // A just-added row starts empty; it is not "wrong" until the user has had a go at it.
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());
  const settle = (i: number) => fresh.has(i) && setFresh(new Set([...fresh].filter((x) => x !== i)));
  useEffect(() => {
    if (focusIndex.current !== null) {
      document.getElementById(`remote-${focusIndex.current}-host`)?.focus();
      focusIndex.current = null;
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
                type="button"
                className="button icon-only"
                aria-label={`Remove remote ${r.host || i + 1}`}
                onClick={() => {
                  setFresh(new Set());
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
        type="button"
        className="button"
        onClick={() => {
          focusIndex.current = draft.remotes.length;
          setFresh(new Set([...fresh, draft.remotes.length]));
          edit((d) => void d.remotes.push({ host: '', port: 7770, tls: false }));
        }}
      >
        <Icon name="plus" /> Add remote
      </button>
    </>
  );
}
