/**
 * The settings page's sections. Every label and hint comes from the table of
 * src/common/config-keys.ts, where each setting is declared once.
 */
import { useState, type ReactNode } from 'react';
import { askForBrowserNotifications, browserNotifications } from '../../browser-notices.js';
import { useUi } from '../../app-state.js';
import { CONFIG_KEYS } from '../../../common/config-keys.js';
import { SERVER_HOST_MODES, SHARING_POLICIES, VERBOSITIES, type Settings, type Verbosity } from '../../../common/contract.js';
import { Icon } from '../../components/Icon.js';
import { Banner } from '../../components/feedback.js';
import { Field, NumberInput, Switch } from '../../components/form.js';

export interface SectionProps {
  draft: Settings;
  edit(change: (draft: Settings) => void): void;
  /** The error to show for a field path, if any. */
  err(path: string): string | undefined;
}

const K = CONFIG_KEYS;

/** The ids a field's error or hint is found under, for aria-describedby. */
export const describe = (id: string, error: string | undefined) => `${id}-${error ? 'error' : 'hint'}`;

export function Section({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="card flat section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {intro ? <p className="hint">{intro}</p> : null}
      {children}
    </section>
  );
}

/** Radio buttons for a key with a fixed set of values, each with its label and hint from the table. */
function Choices<T extends string>(props: { legend: string; name: string; values: readonly T[]; words: Record<T, readonly [string, string?]>; value: T; disabled?: boolean; onChange: (v: T) => void }) {
  const { legend, name, values, words, value, disabled, onChange } = props;
  return (
    <fieldset className="choices" disabled={disabled}>
      <legend>{legend}</legend>
      {values.map((v) => (
        <label key={v} className="choice">
          <input type="radio" name={name} value={v} checked={value === v} onChange={() => onChange(v)} />
          <span>
            {words[v][0]}
            <span className="hint block">{words[v][1]}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

export function SharingSection({ draft, edit }: SectionProps) {
  const accept = K.sharing.accept.ui;
  return (
    <Section title="Sharing">
      <Choices legend={accept.label} name="sharing" values={SHARING_POLICIES} words={accept.choices} value={draft.sharing.accept} onChange={(p) => edit((d) => void (d.sharing.accept = p))} />
      <p className="note">
        <Icon name="info" />
        <span>
          When you share an object that changes over time, the other person can read <strong>every future version</strong> too, and that cannot be taken
          back. To stop sharing, an app has to move the data to a new object.
        </span>
      </p>
    </Section>
  );
}

/**
 * What most people never change, in plain words: how apps reach Hypergolix (the port, and old apps
 * without the key) and how much it writes to its logs. Kept apart so the page's first sections are
 * the everyday ones.
 */
export function AdvancedSection(props: SectionProps) {
  return (
    <Section title="Advanced" intro="For developers and for finding problems: how apps connect to Hypergolix, and how much it writes to its logs. Most people never change these.">
      <AppsFields {...props} />
      <LoggingFields {...props} />
    </Section>
  );
}

function AppsFields({ draft, edit, err }: SectionProps) {
  const port = K.process.ipc_port.ui;
  const legacy = K.process.ipc_legacy_clients.ui;
  const sentKey = K.process.ipc_accept_sent_key.ui;
  return (
    <section aria-labelledby="section-apps" className="subsection">
      <h3 id="section-apps">Apps</h3>
      <Field label={port.label} htmlFor="ipc-port" error={err('process.ipc_port')} hint={port.hint}>
        <NumberInput id="ipc-port" value={draft.process.ipc_port} invalid={!!err('process.ipc_port')} describedBy={describe('ipc-port', err('process.ipc_port'))} onChange={(n) => edit((d) => void (d.process.ipc_port = n))} />
      </Field>
      <Switch id="sent-key-ipc" label={sentKey.label} description={sentKey.hint} checked={draft.process.ipc_accept_sent_key} onChange={(on) => edit((d) => void (d.process.ipc_accept_sent_key = on))} />
      <Switch id="legacy-ipc" label={legacy.label} description={legacy.hint} checked={draft.process.ipc_legacy_clients} onChange={(on) => edit((d) => void (d.process.ipc_legacy_clients = on))} />
      {draft.process.ipc_legacy_clients ? (
        <Banner tone="warn" testId="legacy-warning">
          <strong>Legacy connections are not authenticated.</strong> Any program on this computer can then read, change and share all your objects. Turn
          this on only for apps you trust, and off again when you are done.
        </Banner>
      ) : null}
    </section>
  );
}

export function ServerSection({ draft, edit, err }: SectionProps) {
  const on = draft.server.enabled;
  const port = K.server.port.ui;
  const reach = K.server.host.ui;
  return (
    <Section title="Embedded server" intro="Run a persistence server inside Hypergolix, for other computers or other accounts to use.">
      <Switch id="server-enabled" label={K.desktop.embedded_server.ui.label} checked={on} onChange={(v) => edit((d) => void (d.server.enabled = v))} />
      <Choices legend={reach.label} name="server-host" values={SERVER_HOST_MODES} words={reach.choices} value={draft.server.host} disabled={!on} onChange={(m) => edit((d) => void (d.server.host = m))} />
      {on && draft.server.host === 'ANY' ? (
        <Banner tone="warn" testId="server-any-warning">
          Anyone who can reach this computer over any network can then connect to this server and store objects on it. Choose this only behind a
          firewall you control, or with a publish allow-list (server.publish_allowlist in hypergolix.yml).
        </Banner>
      ) : null}
      <Field label={port.label} htmlFor="server-port" error={err('server.port')} hint={port.hint}>
        <NumberInput id="server-port" value={draft.server.port} invalid={!!err('server.port')} disabled={!on} describedBy={describe('server-port', err('server.port'))} onChange={(n) => edit((d) => void (d.server.port = n))} />
      </Field>
    </Section>
  );
}

export function DesktopSection({ draft, edit }: SectionProps) {
  const notify = K.desktop.notifications;
  const n = draft.desktop.notifications;
  const browser = useUi((s) => s.mode) === 'browser';
  const ids = { incoming_share: 'notify-share', share_result: 'notify-result', remote_unreachable: 'notify-remote', daemon_error: 'notify-error', account_change: 'notify-account' } as const;
  return (
    <Section title="Desktop">
      {browser ? (
        <p className="hint" data-testid="desktop-only">
          Hypergolix runs in browser mode here. Starting at login is for the desktop app (it is kept in hypergolix.yml for it); notifications show in
          this browser once you allow them.
        </p>
      ) : null}
      <Switch id="start-at-login" label={K.desktop.start_at_login.ui.label} checked={draft.desktop.start_at_login} disabled={browser} onChange={(on) => edit((d) => void (d.desktop.start_at_login = on))} />
      {browser ? <BrowserNotifications /> : null}
      <fieldset className="switches">
        <legend>{notify.ui.label}</legend>
        {(Object.keys(ids) as (keyof typeof ids)[]).map((key) => (
          <Switch key={key} id={ids[key]} label={notify.keys[key].ui.label} checked={n[key]} onChange={(on) => edit((d) => void (d.desktop.notifications[key] = on))} />
        ))}
      </fieldset>
    </Section>
  );
}

function LoggingFields({ draft, edit, err }: SectionProps) {
  const verbosity = K.instrumentation.verbosity.ui;
  const debug = K.instrumentation.debug.ui;
  return (
    <section aria-labelledby="section-logging" className="subsection">
      <h3 id="section-logging">Logs</h3>
      <Field label={verbosity.label} htmlFor="verbosity" error={err('instrumentation.verbosity')}>
        <select id="verbosity" className="input" value={draft.instrumentation.verbosity} onChange={(e) => edit((d) => void (d.instrumentation.verbosity = e.currentTarget.value as Verbosity))}>
          {VERBOSITIES.map((v) => (
            <option key={v} value={v}>
              {v} — {verbosity.choices[v][0]}
            </option>
          ))}
        </select>
      </Field>
      <Switch id="debug" label={debug.label} description={debug.hint} checked={draft.instrumentation.debug} onChange={(on) => edit((d) => void (d.instrumentation.debug = on))} />
    </section>
  );
}

/** Browser mode: the browser's permission for notifications, asked for on a click (browsers allow nothing else). */
function BrowserNotifications() {
  const [state, setState] = useState(browserNotifications);
  if (state === 'unsupported') return <p className="hint">This browser cannot show notifications.</p>;
  if (state === 'granted') return <p className="hint" data-testid="browser-notifications">Notifications are allowed in this browser.</p>;
  if (state === 'denied') return <p className="hint" data-testid="browser-notifications">This browser blocks notifications from Hypergolix; allow them in its site settings.</p>;
  return (
    <p>
      <button type="button" className="button small" onClick={() => void askForBrowserNotifications().then(setState)}>
        Allow notifications in this browser
      </button>
    </p>
  );
}

