/**
 * The contract's Settings (src/common/contract.ts) ↔ hypergolix.yml, through the config module.
 *
 * Reading maps the resolved config onto the form. Writing computes the smallest set of edits
 * that turns the file's current values into the form's, so a key the user did not change is
 * never rewritten (a hand-written `server.host: 192.168.1.5` survives a save of an unrelated
 * field, and so do the comments inside the remotes list). Values are passed to the config
 * module as given: it validates the whole edited file before writing, and its errors come back
 * keyed by the contract's field paths ("remotes.1.port", "server.enabled").
 */
import { formKeys, isKey, nodeAt, putIn, valueIn } from '../common/config-paths.js';
import type { ServerHostMode, Settings } from '../common/contract.js';
import { remoteKey, sentence } from '../common/settings-checks.js';
import { alignRemotes } from './remote-alignment.js';
import { plainConfig, type ConfigError, type ConfigEdits, type HypergolixConfig } from '../core/config/index.js';

// ───────────────────────────── file → form ─────────────────────────────

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const ALL_INTERFACES = new Set(['ANY', '0.0.0.0', '::']);

/**
 * `server.host` as one of the form's three modes. A specific address the user wrote by hand has
 * no mode of its own; it shows as "Local network" (AUTO), the closest meaning, and stays in the
 * file until the user picks another mode.
 */
function serverHostMode(host: string): ServerHostMode {
  if (LOOPBACK.has(host.toLowerCase())) return 'localhost';
  if (ALL_INTERFACES.has(host)) return 'ANY';
  return 'AUTO';
}

const HOST_OF_MODE: Record<ServerHostMode, string> = { localhost: '127.0.0.1', AUTO: 'AUTO', ANY: 'ANY' };

/** The form's values: the keys config-keys.ts shows, as the file holds them, and the contract's own parts. */
export function settingsFromConfig(c: HypergolixConfig): Settings {
  const form: Record<string, unknown> = { remotes: c.remotes.map((r) => ({ host: r.host, port: r.port, tls: r.tls })) };
  for (const { path } of formKeys()) putIn(form, path, valueIn(c, path));
  putIn(form, ['server', 'enabled'], c.desktop.embedded_server);
  putIn(form, ['server', 'host'], serverHostMode(c.server.host));
  return form as Settings;
}

// ───────────────────────────── form → edits ─────────────────────────────

/** The remotes edits: only what differs, keeping the file's items (and their comments) where it can (remote-alignment.ts). */
function remoteEdits(current: HypergolixConfig['remotes'], next: Settings['remotes'], edits: ConfigEdits): void {
  const set: Record<string, unknown> = {};
  const plan = alignRemotes(current.map(remoteKey), next.map(remoteKey));
  if (plan) {
    // Indexes once the removals are made (they go first; `set` applies last, appends at the end).
    const at = (i: number) => i - plan.removed.filter((r) => r < i).length;
    for (const [i, j] of plan.kept) if (current[i]!.tls !== next[j]!.tls) set[`remotes[${at(i)}].tls`] = next[j]!.tls;
    for (const [i, j] of plan.edited) {
      Object.assign(set, { [`remotes[${at(i)}].host`]: next[j]!.host, [`remotes[${at(i)}].port`]: next[j]!.port, [`remotes[${at(i)}].tls`]: next[j]!.tls });
      // A registration page belongs to the server it was written for.
      if (current[i]!.registration !== null) set[`remotes[${at(i)}].registration`] = undefined;
    }
    if (plan.removed.length > 0 || plan.appended.length > 0) {
      edits.remotes = {
        ...(plan.removed.length > 0 ? { remove: plan.removed.map((i) => ({ host: current[i]!.host, port: current[i]!.port })) } : {}),
        ...(plan.appended.length > 0 ? { add: plan.appended.map((j) => ({ host: next[j]!.host, port: next[j]!.port, tls: next[j]!.tls })) } : {}),
      };
    }
  } else {
    // Reordered: position by position. A remote that was in the file keeps its registration
    // page wherever it lands.
    const registrationOf = (r: Settings['remotes'][number]) => current.find((o) => remoteKey(o) === remoteKey(r))?.registration ?? null;
    const shared = Math.min(current.length, next.length);
    for (let i = 0; i < shared; i++) {
      const was = current[i]!;
      const now = next[i]!;
      if (remoteKey(was) !== remoteKey(now)) {
        Object.assign(set, { [`remotes[${i}].host`]: now.host, [`remotes[${i}].port`]: now.port, [`remotes[${i}].tls`]: now.tls });
        const page = registrationOf(now);
        if (page !== was.registration) set[`remotes[${i}].registration`] = page ?? undefined;
      } else if (was.tls !== now.tls) set[`remotes[${i}].tls`] = now.tls;
    }
    for (let i = shared; i < next.length; i++) {
      const page = registrationOf(next[i]!);
      set[`remotes[${i}]`] = { host: next[i]!.host, port: next[i]!.port, tls: next[i]!.tls, ...(page ? { registration: page } : {}) };
    }
    for (let i = current.length - 1; i >= next.length; i--) set[`remotes[${i}]`] = undefined;
  }
  if (Object.keys(set).length > 0) edits.set = { ...edits.set, ...set };
}

/**
 * The edits that make the file say what `next` says, relative to the file's current values
 * `current`. Empty when nothing differs.
 */
export function editsFromSettings(current: HypergolixConfig, next: Settings): ConfigEdits {
  const now = settingsFromConfig(current);
  const edits: ConfigEdits = {};
  remoteEdits(current.remotes, next.remotes, edits);

  const changed: Record<string, unknown> = {};
  for (const { path } of formKeys()) {
    const value = valueIn(next, path);
    if (value !== valueIn(now, path)) putIn(changed, path, value);
  }
  if (next.server.host !== now.server.host) putIn(changed, ['server', 'host'], HOST_OF_MODE[next.server.host]);
  if (next.server.enabled !== now.server.enabled) putIn(changed, ['desktop', 'embedded_server'], next.server.enabled);
  return Object.assign(edits, changed);
}

export const isEmptyEdit = (e: ConfigEdits): boolean => Object.keys(e).length === 0;

// Checked again before a save: the form's checks across fields, which the file cannot make.
export { crossFieldProblems } from '../common/settings-checks.js';

// ───────────────────────────── errors → fields ─────────────────────────────

/** A config path as the contract names it: ['remotes', 1, 'port'] → "remotes.1.port". */
function contractField(path: readonly (string | number)[]): string {
  const node = nodeAt(path);
  if (node !== undefined && isKey(node) && node.ui?.field !== undefined) return node.ui.field;
  return path.map(String).join('.');
}

/** Field errors of a ConfigError, keyed like the contract; empty when no problem names a field. */
export function fieldsOf(err: ConfigError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of err.all) {
    if (e.path.length === 0) continue;
    const key = contractField(e.path);
    out[key] ??= sentence(e.problem);
  }
  return out;
}

// ───────────────────────────── what a change needs ─────────────────────────────

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The daemon reads these sections when it starts; a change to any of them needs a restart.
 * (A change of account, `user:`, is not a restart: the unlocked account is not the named one.)
 */
function daemonPart(c: HypergolixConfig): unknown {
  const p = plainConfig(c) as Record<string, unknown>;
  return { process: p.process, instrumentation: p.instrumentation, remotes: p.remotes, sharing: p.sharing };
}

/** The embedded server reads `server:` and runs while `desktop.embedded_server` is on. */
function serverPart(c: HypergolixConfig): unknown {
  const p = plainConfig(c) as Record<string, unknown>;
  return { server: p.server, enabled: c.desktop.embedded_server };
}

export const daemonChanged = (a: HypergolixConfig, b: HypergolixConfig): boolean => !same(daemonPart(a), daemonPart(b));
export const serverChanged = (a: HypergolixConfig, b: HypergolixConfig): boolean => !same(serverPart(a), serverPart(b));
