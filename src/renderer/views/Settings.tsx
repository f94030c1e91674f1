/** Settings bound to hypergolix.yml: validated as you type, saved with a visible restart. */
import { useEffect, useRef, type FormEvent, type RefObject } from 'react';
import { HOST_WARNINGS, type Settings } from '../../common/contract.js';
import { sameValue, valueAt } from '../../common/json-paths.js';
import { validateSettings } from '../../common/settings-checks.js';
import { useUi } from '../app-state.js';
import { Banner, Spinner } from '../components/feedback.js';
import { AccountSection } from './settings/Account.js';
import { Remotes } from './settings/Remotes.js';
import { AdvancedSection, DesktopSection, Section, ServerSection, SharingSection } from './settings/sections.js';

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
  const { editSettings: edit, saveSettings, loadSettings } = useUi((s) => s);
  const running = useUi((s) => s.snapshot?.status.state === 'running');
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
  const props = { draft, edit, err };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dirty && !invalid && !busy) void saveSettings();
  };

  return (
    <>
      <form className="settings" onSubmit={submit} noValidate aria-labelledby="settings-title">
        <header className="page-head">
          <h1 id="settings-title">Settings</h1>
          <p className="muted">Stored in hypergolix.yml. Saving restarts Hypergolix so the changes take effect.</p>
        </header>

        {diskChange ? <DiskChangeBanner dirty={dirty} /> : null}

        <Section title="Remotes" intro="Persistence servers that keep your encrypted objects and pass on shares. With none, everything stays on this computer.">
          <Remotes draft={draft} err={err} />
        </Section>

        <SharingSection {...props} />
        <ServerSection {...props} />
        <DesktopSection {...props} />
        <AdvancedSection {...props} />

        <OtherErrors errors={errors} />

        <SaveBar dirty={dirty} invalid={invalid} busy={busy} />
      </form>
      {running ? <AccountSection /> : null}
    </>
  );
}

/** Paths that have a field of their own on this page; errors on any other path are listed apart. */
const SHOWN = /^(process\.ipc_port|server\.port|instrumentation\.verbosity|remotes\.\d+(\.host|\.port)?)$/;

function DiskChangeBanner({ dirty }: { dirty: boolean }) {
  const { reloadFromDisk, dismissDiskChange } = useUi((s) => s);
  return (
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
      The settings were changed outside this page (another window, the tray, or hypergolix.yml itself). Reload to see the new values
      {dirty ? ' (your unsaved edits here will be lost), or keep your edits: they are put over the new values, and where both changed a setting, yours stays' : ''}.
    </Banner>
  );
}

/** Errors on paths without a field of their own, listed together. */
function OtherErrors({ errors }: { errors: Record<string, string> }) {
  const other = Object.entries(errors).filter(([path]) => !SHOWN.test(path));
  if (other.length === 0) return null;
  return (
    <Banner tone="error" testId="other-errors">
      {other.map(([path, message]) => (
        <div key={path}>
          <span className="mono">{path}</span>: {message}
        </div>
      ))}
    </Banner>
  );
}

/**
 * Where the focus goes when a save ends: Save is disabled while it runs, which drops the focus
 * to the page, so a keyboard user would start again from the top. A refused field gets it (to be
 * fixed), otherwise the words that say how the save went. Focus the user has moved is left alone.
 */
function useFocusAfterSave(status: RefObject<HTMLDivElement | null>): void {
  const phase = useUi((s) => s.settings.save.phase);
  const before = useRef(phase);
  useEffect(() => {
    const ended = before.current !== phase && (phase === 'done' || phase === 'failed');
    before.current = phase;
    // Lost: on the page, or still on the disabled Save (Chromium moves it off a disabled element only later).
    const at = document.activeElement;
    const lost = !at || at === document.body || (at instanceof HTMLButtonElement && at.disabled);
    if (!ended || !lost) return;
    const marked = document.querySelector<HTMLElement>('form.settings [aria-invalid="true"]');
    (marked ?? status.current)?.focus();
  }, [phase, status]);
}

function SaveBar({ dirty, invalid, busy }: { dirty: boolean; invalid: boolean; busy: boolean }) {
  const save = useUi((s) => s.settings.save);
  const statusRef = useRef<HTMLDivElement>(null);
  useFocusAfterSave(statusRef);
  const revert = useUi((s) => s.revertSettings);
  const retry = useUi((s) => s.retryRestart);
  // A file broken by hand is fixed in the file: a save would only be refused, field or not.
  const broken = useUi((s) => s.snapshot?.status.warnings.some((w) => w.code === HOST_WARNINGS.configInvalid) ?? false);
  return (
    <div className="save-bar" role="region" aria-label="Save changes">
      <div ref={statusRef} tabIndex={-1} className={`save-status ${save.ok === true ? 'ok-text' : save.ok === false ? 'error-text' : ''}`} aria-live="polite" data-testid="save-status">
        {busy ? <Spinner /> : null}
        {broken ? 'Fix hypergolix.yml first (see above); then your changes can be saved.' : (save.message ?? (invalid ? 'Complete or fix the marked fields to save.' : dirty ? 'You have unsaved changes.' : ''))}
      </div>
      {save.phase === 'failed' && save.retry && !busy ? (
        <button type="button" className="button" onClick={() => void retry()}>
          Try the restart again
        </button>
      ) : null}
      <button type="button" className="button" disabled={!dirty || busy} onClick={revert}>
        Revert
      </button>
      <button type="submit" className="button primary" disabled={!dirty || invalid || busy || broken}>
        Save
      </button>
    </div>
  );
}
