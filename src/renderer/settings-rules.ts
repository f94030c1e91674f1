/**
 * Live validation of the settings form: the same rules the host applies before writing
 * hypergolix.yml, keyed by the contract's field paths.
 */
import type { Settings } from '../common/contract';

// INTERIM: replaced by the shared validators of src/common/config-fields.ts once it lands.
function portProblem(v: number): string | undefined {
  return Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined : 'Enter a port number from 1 to 65535.';
}
function hostProblem(v: string): string | undefined {
  return v.trim() === '' ? 'Enter a host name or IP address.' : undefined;
}

export function validateSettings(s: Settings): Record<string, string> {
  const errors: Record<string, string> = {};
  const put = (path: string, problem: string | undefined) => {
    if (problem) errors[path] = problem;
  };
  s.remotes.forEach((r, i) => {
    put(`remotes.${i}.host`, hostProblem(r.host));
    put(`remotes.${i}.port`, portProblem(r.port));
  });
  const seen = new Map<string, number>();
  s.remotes.forEach((r, i) => {
    const key = `${r.host.trim().toLowerCase()}:${r.port}`;
    if (seen.has(key) && !errors[`remotes.${i}.host`]) errors[`remotes.${i}`] = `Remote ${seen.get(key)! + 1} already has this host and port.`;
    else seen.set(key, i);
  });
  put('process.ipc_port', portProblem(s.process.ipc_port));
  put('server.port', portProblem(s.server.port));
  if (!errors['server.port'] && s.server.enabled && s.server.port === s.process.ipc_port) {
    errors['server.port'] = 'The server cannot use the app connection port.';
  }
  return errors;
}
