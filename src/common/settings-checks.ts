/**
 * The checks of the settings form: each field by the validator of its key in
 * src/common/config-keys.ts (the one the config file is checked with, so a value the page
 * accepts as you type is one the file accepts on save), and the checks across fields that the
 * file cannot make. The settings page runs them live; the host runs the cross-field ones again
 * before it saves.
 */
import { hostKey, parseHost, parsePort, type Field } from './config-fields.js';
import { parserOf } from './config-parsers.js';
import { formKeys, valueIn } from './config-paths.js';
import type { Settings } from './contract.js';

/** "must be a whole number from 1 to 65535, not 70000" → "Must be a whole number from 1 to 65535." */
export function sentence(problem: string): string {
  // The field shows what was typed; repeating it (or "NaN" for non-digits) adds nothing.
  const core = problem.replace(/, not .*$/s, '').trim();
  return `${core.charAt(0).toUpperCase()}${core.slice(1)}${/[.!?]$/.test(core) ? '' : '.'}`;
}

/** A remote's identity: its host as `hostKey` has it (as the CLI and the config file compare hosts) and port. */
export const remoteKey = (r: { host: string; port: number }): string => `${hostKey(String(r.host))}:${r.port}`;

/**
 * Problems that each value alone does not have, so the config module accepts them, but that
 * would keep Hypergolix from working: the same remote twice, the server on the apps' port.
 */
export function crossFieldProblems(s: Settings): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, number>();
  s.remotes.forEach((r, i) => {
    const key = remoteKey(r);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else out[`remotes.${i}`] = `Remote ${first + 1} already has this host and port.`;
  });
  if (s.server.enabled && s.server.port === s.process.ipc_port) out['server.port'] = 'Must differ from the app connection port.';
  return out;
}

/** Every problem of the form, keyed by the contract's field paths; a field's own problem hides a cross-field one about it. */
export function validateSettings(s: Settings): Record<string, string> {
  const errors: Record<string, string> = {};
  const put = (path: string, f: Field<unknown>) => {
    if (!f.ok) errors[path] = sentence(f.error);
  };
  s.remotes.forEach((r, i) => {
    put(`remotes.${i}.host`, parseHost(r.host));
    put(`remotes.${i}.port`, parsePort(r.port));
  });
  for (const { path, spec } of formKeys()) put(path.join('.'), parserOf(spec)(valueIn(s, path)));
  for (const [path, problem] of Object.entries(crossFieldProblems(s))) {
    if (errors[path] === undefined && errors[`${path}.host`] === undefined) errors[path] = problem;
  }
  return errors;
}
