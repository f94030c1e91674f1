/**
 * Live validation of the settings form with the shared rules of src/common/config-fields.ts, the
 * same ones the config module applies before writing hypergolix.yml, keyed by the contract's
 * field paths. Two cross-field checks are the form's own: they catch a save that would be
 * accepted but could not work (two identical remotes, the server on the apps' port).
 */
import type { Settings } from '../common/contract.js';
import { parseHost, parsePort, parseSharingPolicy, parseVerbosity, type Field } from '../common/config-fields.js';

/** "must be a whole number from 1 to 65535, not 70000" → "Must be a whole number from 1 to 65535." */
function sentence<T>(f: Field<T>): string | undefined {
  if (f.ok) return undefined;
  // The field shows what was typed; repeating it (or "NaN" for non-digits) adds nothing.
  const core = f.error.replace(/, not .*$/s, '');
  return `${core.charAt(0).toUpperCase()}${core.slice(1)}.`;
}

export function validateSettings(s: Settings): Record<string, string> {
  const errors: Record<string, string> = {};
  const put = (path: string, problem: string | undefined) => {
    if (problem) errors[path] = problem;
  };
  const seen = new Map<string, number>();
  s.remotes.forEach((r, i) => {
    put(`remotes.${i}.host`, sentence(parseHost(r.host)));
    put(`remotes.${i}.port`, sentence(parsePort(r.port)));
    const key = `${r.host.trim().toLowerCase()}:${r.port}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else if (!errors[`remotes.${i}.host`]) errors[`remotes.${i}`] = `Remote ${first + 1} already has this host and port.`;
  });
  put('instrumentation.verbosity', sentence(parseVerbosity(s.instrumentation.verbosity)));
  put('process.ipc_port', sentence(parsePort(s.process.ipc_port)));
  put('server.port', sentence(parsePort(s.server.port)));
  put('sharing.accept', sentence(parseSharingPolicy(s.sharing.accept)));
  if (!errors['server.port'] && s.server.enabled && s.server.port === s.process.ipc_port) {
    errors['server.port'] = 'Must differ from the app connection port.';
  }
  return errors;
}
